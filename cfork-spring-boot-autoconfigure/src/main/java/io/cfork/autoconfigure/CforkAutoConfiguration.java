package io.cfork.autoconfigure;

import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.io.ResourceLoader;

/**
 * Auto-configuration of the worker pool: a {@link WorkerPoolManager} built from
 * {@code cfork.*}, started with the application context and stopped with it. Backs off when
 * {@code cfork.enabled=false}, and in an application that was itself started as a worker.
 * <p>
 * What the pool reports is published as Spring application events ({@code io.cfork.event}), and
 * given to every {@link WorkerPoolListener} bean the application defines: both are subscribed
 * before the pool first starts.
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "cfork.enabled", matchIfMissing = true)
@Conditional(OnCforkMasterCondition.class)
@EnableConfigurationProperties(CforkProperties.class)
public final class CforkAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	WorkerPoolManager workerPoolManager(CforkProperties properties, ResourceLoader resourceLoader) {
		return new WorkerPoolManager(CforkPoolOptions.from(properties, resourceLoader.getClassLoader()));
	}

	@Bean
	@ConditionalOnMissingBean
	WorkerPoolLifecycle workerPoolLifecycle(WorkerPoolManager workerPoolManager,
			ApplicationEventPublisher applicationEventPublisher, ObjectProvider<WorkerPoolListener> listeners) {
		return new WorkerPoolLifecycle(workerPoolManager,
				new CforkEventPublisher(applicationEventPublisher, workerPoolManager), listeners);
	}

}
