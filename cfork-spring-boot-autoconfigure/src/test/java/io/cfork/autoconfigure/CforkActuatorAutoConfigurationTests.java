package io.cfork.autoconfigure;

import io.cfork.WorkerPoolManager;
import io.cfork.actuate.CforkEndpoint;
import io.cfork.actuate.CforkEndpointWebExtension;
import io.cfork.actuate.CforkHealthIndicator;
import io.cfork.actuate.CforkMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link CforkEndpointAutoConfiguration}, {@link CforkHealthContributorAutoConfiguration}
 * and {@link CforkMetricsAutoConfiguration}: each backs off on its own, and the pool runs without
 * any of them.
 */
class CforkActuatorAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CforkAutoConfiguration.class, CforkEndpointAutoConfiguration.class,
				CforkHealthContributorAutoConfiguration.class, CforkMetricsAutoConfiguration.class))
		.withUserConfiguration(MeterRegistryConfiguration.class)
		.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1",
				"management.endpoints.web.exposure.include=cfork");

	@Test
	void providesEndpointHealthAndMetrics() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(CforkEndpoint.class)
				.hasSingleBean(CforkEndpointWebExtension.class)
				.hasSingleBean(CforkHealthIndicator.class)
				.hasSingleBean(CforkMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			context.getBean(CforkMetrics.class).bindTo(registry);
			assertThat(registry.get("cfork.workers.alive").gauge().value()).isOne();
		});
	}

	@Test
	void endpointBacksOffWhenNotExposed() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=health")
			.run((context) -> assertThat(context).doesNotHaveBean(CforkEndpoint.class)
				.hasSingleBean(WorkerPoolManager.class));
	}

	@Test
	void endpointWithoutWebExtensionWhenExposedOnlyOverJmx() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=health", "spring.jmx.enabled=true",
					"management.endpoints.jmx.exposure.include=cfork")
			.run((context) -> assertThat(context).hasSingleBean(CforkEndpoint.class)
				.doesNotHaveBean(CforkEndpointWebExtension.class));
	}

	@Test
	void endpointAndExtensionBackOffToTheApplicationsOwn() {
		this.contextRunner.withUserConfiguration(UserEndpointConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(CforkEndpoint.class).hasSingleBean(CforkEndpointWebExtension.class);
			assertThat(context.getBean(CforkEndpoint.class))
				.isSameAs(context.getBean(UserEndpointConfiguration.class).endpoint);
		});
	}

	@Test
	void healthBacksOffWhenDisabled() {
		this.contextRunner.withPropertyValues("management.health.cfork.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(CforkHealthIndicator.class));
	}

	@Test
	void everyAdapterBacksOffWithoutAPool() {
		this.contextRunner.withPropertyValues("cfork.enabled=false")
			.run((context) -> assertThat(context).hasNotFailed()
				.doesNotHaveBean(CforkEndpoint.class)
				.doesNotHaveBean(CforkHealthIndicator.class)
				.doesNotHaveBean(CforkMetrics.class));
	}

	@Test
	void poolRunsWithoutActuator() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(Endpoint.class, AbstractHealthIndicator.class))
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(CforkEndpoint.class)
					.doesNotHaveBean(CforkHealthIndicator.class);
				assertThat(context.getBean(WorkerPoolManager.class).snapshot().alive()).isOne();
			});
	}

	@Test
	void poolRunsWithoutMicrometer() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(CforkAutoConfiguration.class, CforkEndpointAutoConfiguration.class,
					CforkHealthContributorAutoConfiguration.class, CforkMetricsAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(MeterBinder.class))
			.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1")
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(CforkMetrics.class);
				assertThat(context.getBean(WorkerPoolManager.class).snapshot().alive()).isOne();
			});
	}

	@Test
	void metricsBackOffWithoutARegistry() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(CforkAutoConfiguration.class, CforkMetricsAutoConfiguration.class))
			.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1")
			.run((context) -> assertThat(context).hasNotFailed().doesNotHaveBean(CforkMetrics.class));
	}

	@Configuration(proxyBeanMethods = false)
	static class UserEndpointConfiguration {

		CforkEndpoint endpoint;

		@Bean
		CforkEndpoint userCforkEndpoint(WorkerPoolManager pool) {
			this.endpoint = new CforkEndpoint(pool, Show.ALWAYS);
			return this.endpoint;
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class MeterRegistryConfiguration {

		@Bean
		MeterRegistry meterRegistry() {
			return new SimpleMeterRegistry();
		}

	}

}
