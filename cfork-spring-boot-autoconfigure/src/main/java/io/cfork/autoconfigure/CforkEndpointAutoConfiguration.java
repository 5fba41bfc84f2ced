package io.cfork.autoconfigure;

import io.cfork.WorkerPoolManager;
import io.cfork.actuate.CforkEndpoint;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code cfork} actuator endpoint.
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
		return new CforkEndpoint(workerPoolManager, properties.getShowValues(), properties.getRoles());
	}

}
