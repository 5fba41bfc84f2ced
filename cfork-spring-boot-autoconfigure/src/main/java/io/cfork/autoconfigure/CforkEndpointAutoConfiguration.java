package io.cfork.autoconfigure;

import io.cfork.WorkerPoolManager;
import io.cfork.actuate.CforkEndpoint;
import io.cfork.actuate.CforkEndpointWebExtension;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code cfork} actuator endpoint: the {@link CforkEndpoint} when it is
 * exposed (over HTTP or JMX), and its {@link CforkEndpointWebExtension} when it is exposed over
 * HTTP.
 */
@AutoConfiguration(after = CforkAutoConfiguration.class)
@ConditionalOnClass(Endpoint.class)
@ConditionalOnBean(WorkerPoolManager.class)
@ConditionalOnAvailableEndpoint(CforkEndpoint.class)
@EnableConfigurationProperties(CforkEndpointProperties.class)
public final class CforkEndpointAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CforkEndpoint cforkEndpoint(WorkerPoolManager workerPoolManager, CforkEndpointProperties properties) {
		return new CforkEndpoint(workerPoolManager, properties.getShowValues());
	}

	@Bean
	@ConditionalOnBean(CforkEndpoint.class)
	@ConditionalOnMissingBean
	@ConditionalOnAvailableEndpoint(exposure = EndpointExposure.WEB)
	CforkEndpointWebExtension cforkEndpointWebExtension(CforkEndpoint cforkEndpoint,
			CforkEndpointProperties properties) {
		return new CforkEndpointWebExtension(cforkEndpoint, properties.getShowValues(), properties.getRoles());
	}

}
