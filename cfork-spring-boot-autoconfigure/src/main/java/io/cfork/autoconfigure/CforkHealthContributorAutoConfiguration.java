package io.cfork.autoconfigure;

import io.cfork.WorkerPoolManager;
import io.cfork.actuate.CforkHealthIndicator;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.context.annotation.Bean;

/**
 * Auto-configuration of the {@code cfork} health contributor.
 */
@AutoConfiguration(after = CforkAutoConfiguration.class,
		beforeName = "org.springframework.boot.health.autoconfigure.contributor.HealthContributorAutoConfiguration")
@ConditionalOnClass(AbstractHealthIndicator.class)
@ConditionalOnBean(WorkerPoolManager.class)
@ConditionalOnEnabledHealthIndicator("cfork")
public final class CforkHealthContributorAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean(name = "cforkHealthIndicator")
	CforkHealthIndicator cforkHealthIndicator(WorkerPoolManager workerPoolManager) {
		return new CforkHealthIndicator(workerPoolManager);
	}

}
