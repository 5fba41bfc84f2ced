package io.cfork.autoconfigure;

import java.time.Duration;
import java.util.List;

import io.cfork.PoolOptions;
import io.cfork.Proc;
import io.cfork.WorkerPoolManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the resource properties of {@link CforkAutoConfiguration}: {@code cfork.max-memory},
 * {@code cfork.max-lifetime}, {@code cfork.max-lifetime-jitter}, {@code cfork.resources.interval}.
 */
@EnabledOnOs(OS.LINUX)
class CforkResourcesAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CforkAutoConfiguration.class))
		.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1", "cfork.silent=true");

	@AfterEach
	void noWorkerOutlivesItsContext() {
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void bindsTheResourceProperties() {
		this.contextRunner
			.withPropertyValues("cfork.max-memory=512MB", "cfork.max-lifetime=1h", "cfork.max-lifetime-jitter=5m",
					"cfork.resources.interval=1s")
			.run((context) -> {
				PoolOptions options = context.getBean(WorkerPoolManager.class).getOptions();
				assertThat(options.maxMemory()).isEqualTo(512L * 1024 * 1024);
				assertThat(options.maxLifetime()).isEqualTo(Duration.ofHours(1));
				assertThat(options.maxLifetimeJitter()).isEqualTo(Duration.ofMinutes(5));
				assertThat(options.resourceInterval()).isEqualTo(Duration.ofSeconds(1));
			});
	}

	@Test
	void noLimitsByDefaultAndTheJitterIsATenthOfTheLifetime() {
		this.contextRunner.run((context) -> {
			PoolOptions options = context.getBean(WorkerPoolManager.class).getOptions();
			assertThat(options.maxMemory()).isNull();
			assertThat(options.maxLifetime()).isNull();
			assertThat(options.maxLifetimeJitter()).isNull();
			assertThat(options.resourceInterval()).isEqualTo(Duration.ofSeconds(5));
		});
		this.contextRunner.withPropertyValues("cfork.max-lifetime=30m")
			.run((context) -> assertThat(context.getBean(WorkerPoolManager.class).getOptions().maxLifetimeJitter())
				.isEqualTo(Duration.ofMinutes(3)));
	}

	@Test
	void failsOnAMaxMemoryThatIsNotPositive() {
		for (String value : List.of("0", "-1MB")) {
			assertFailure(this.contextRunner.withPropertyValues("cfork.max-memory=" + value), "cfork.max-memory",
					"must be positive", "Set cfork.max-memory to the most a worker and its children may use");
		}
	}

	@Test
	void failsOnAMaxMemoryBelowOneMegabyte() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.max-memory=512KB"), "cfork.max-memory",
				"must be at least 1MB", "such as 512MB; remove it for no limit");
	}

	@Test
	void failsOnAMaxLifetimeThatIsNotPositive() {
		for (String value : List.of("0s", "-1m")) {
			assertFailure(this.contextRunner.withPropertyValues("cfork.max-lifetime=" + value), "cfork.max-lifetime",
					"must be positive", "Set cfork.max-lifetime to how long a worker may live");
		}
	}

	@Test
	void failsOnAJitterLongerThanTheLifetime() {
		assertFailure(
				this.contextRunner.withPropertyValues("cfork.max-lifetime=10m", "cfork.max-lifetime-jitter=11m"),
				"cfork.max-lifetime-jitter", "must not be more than max-lifetime",
				"Set cfork.max-lifetime-jitter to at most cfork.max-lifetime");
	}

	@Test
	void failsOnANegativeJitter() {
		assertFailure(
				this.contextRunner.withPropertyValues("cfork.max-lifetime=10m", "cfork.max-lifetime-jitter=-1s"),
				"cfork.max-lifetime-jitter", "must not be negative", "Set cfork.max-lifetime-jitter to zero or");
	}

	@Test
	void failsOnAJitterWithoutALifetime() {
		assertFailure(this.contextRunner.withPropertyValues("cfork.max-lifetime-jitter=1m"),
				"cfork.max-lifetime-jitter", "is set without max-lifetime", "Set cfork.max-lifetime too");
	}

	@Test
	void failsOnAnIntervalThatIsNotPositive() {
		for (String value : List.of("0s", "-5s")) {
			assertFailure(this.contextRunner.withPropertyValues("cfork.resources.interval=" + value),
					"cfork.resources.interval", "must be positive", "Set cfork.resources.interval to a positive");
		}
	}

	private static void assertFailure(ApplicationContextRunner runner, String property, String problem, String fix) {
		runner.run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new CforkFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).as("failure analysis of %s", context.getStartupFailure()).isNotNull();
			assertThat(analysis.getDescription()).contains("'" + property + "'").contains(problem);
			assertThat(analysis.getAction()).contains(fix);
			assertThat(Proc.workerChildren()).isEmpty();
		});
	}

}
