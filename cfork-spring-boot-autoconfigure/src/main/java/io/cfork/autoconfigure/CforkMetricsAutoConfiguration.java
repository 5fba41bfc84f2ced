package io.cfork.autoconfigure;

import io.cfork.WorkerPoolManager;
import io.cfork.actuate.CforkMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the worker pool's Micrometer meters.
 */
@AutoConfiguration(after = CforkAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration" })
@ConditionalOnClass(MeterBinder.class)
@ConditionalOnBean({ WorkerPoolManager.class, MeterRegistry.class })
public final class CforkMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	CforkMetrics cforkMetrics(WorkerPoolManager workerPoolManager) {
		return new CforkMetrics(workerPoolManager);
	}

}
