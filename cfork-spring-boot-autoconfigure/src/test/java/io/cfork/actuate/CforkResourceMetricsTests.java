package io.cfork.actuate;

import java.time.Duration;
import java.util.List;

import io.cfork.PoolOptions;
import io.cfork.Proc;
import io.cfork.WorkerCommand;
import io.cfork.WorkerPoolManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for the resource meters of {@link CforkMetrics} with a real pool: per-slot CPU and memory
 * gauges kept to the pool's slots, the pool's totals, and recycles by reason.
 */
@EnabledOnOs(OS.LINUX)
class CforkResourceMetricsTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private final SimpleMeterRegistry first = new SimpleMeterRegistry();

	private final SimpleMeterRegistry second = new SimpleMeterRegistry();

	private WorkerPoolManager pool;

	private CforkMetrics metrics;

	@AfterEach
	void reap() {
		if (this.metrics != null) {
			this.metrics.close();
		}
		if (this.pool != null) {
			this.pool.stop();
		}
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void perSlotGaugesFollowTheSlotsAndAreRemovedOnScaleDown() throws Exception {
		CompositeMeterRegistry composite = new CompositeMeterRegistry();
		composite.add(this.second);
		pool(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600"))).count(3));
		this.metrics.bindTo(this.first);
		this.metrics.bindTo(composite);
		this.pool.start();
		for (MeterRegistry registry : List.of(this.first, this.second)) {
			await().atMost(WAIT).untilAsserted(() -> {
				assertThat(indexes(registry, "cfork.worker.cpu")).containsExactlyInAnyOrder("0", "1", "2");
				assertThat(indexes(registry, "cfork.worker.memory")).containsExactlyInAnyOrder("0", "1", "2");
				assertThat(registry.get("cfork.worker.memory").tag("index", "2").gauge().value()).isPositive();
				assertThat(registry.get("cfork.worker.cpu").tag("index", "2").gauge().value()).isNotNaN()
					.isGreaterThanOrEqualTo(0);
				assertThat(registry.get("cfork.workers.memory").gauge().value()).isEqualTo(
						this.pool.snapshot().memory().doubleValue());
				assertThat(registry.get("cfork.workers.cpu").gauge().value()).isNotNaN();
			});
			assertThat(registry.get("cfork.worker.memory").gauge().getId().getBaseUnit()).isEqualTo("bytes");
		}
		this.pool.scale(1).get();
		for (MeterRegistry registry : List.of(this.first, this.second)) {
			await().atMost(WAIT).untilAsserted(() -> {
				assertThat(indexes(registry, "cfork.worker.cpu")).containsExactly("0");
				assertThat(indexes(registry, "cfork.worker.memory")).containsExactly("0");
			});
		}
		this.pool.scale(2).get();
		await().atMost(WAIT)
			.untilAsserted(() -> assertThat(indexes(this.first, "cfork.worker.memory")).containsExactlyInAnyOrder("0",
					"1"));
	}

	@Test
	void aSlotWithoutAProcessReadsNaN() {
		pool(PoolOptions.builder(WorkerCommand.exec("sh", List.of("-c", "exit 1")))
			.count(1)
			.limit(1, Duration.ofMinutes(1))
			.backoff(Duration.ZERO, Duration.ZERO));
		this.metrics.bindTo(this.first);
		this.pool.start();
		await().atMost(WAIT).until(() -> this.pool.snapshot().limit().reached());
		assertThat(this.first.get("cfork.worker.cpu").tag("index", "0").gauge().value()).isNaN();
		assertThat(this.first.get("cfork.worker.memory").tag("index", "0").gauge().value()).isNaN();
		assertThat(this.first.get("cfork.workers.memory").gauge().value()).isNaN();
	}

	@Test
	void countsRecyclesByReason() {
		pool(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
			.count(2)
			.maxLifetime(Duration.ofMillis(300))
			.maxLifetimeJitter(Duration.ZERO));
		this.metrics.bindTo(this.first);
		assertThat(recycles(this.first, "memory")).isZero();
		assertThat(recycles(this.first, "lifetime")).isZero();
		this.pool.start();
		await().atMost(WAIT).until(() -> recycles(this.first, "lifetime") >= 2);
		await().atMost(WAIT).until(() -> forks(this.first, "recycle") >= 2);
		assertThat(recycles(this.first, "memory")).isZero();
		assertThat(this.first.get("cfork.worker.exits").tag("unexpected", "false").tag("code", "143").counter().count())
			.isGreaterThanOrEqualTo(2);
	}

	private void pool(PoolOptions.Builder options) {
		this.pool = new WorkerPoolManager(options.minUptime(Duration.ZERO)
			.resourceInterval(Duration.ofMillis(200))
			.shutdownTimeout(Duration.ofSeconds(3))
			.output(null)
			.build());
		this.metrics = new CforkMetrics(this.pool);
	}

	private static List<String> indexes(MeterRegistry registry, String name) {
		return Search.in(registry).name(name).meters().stream().map((meter) -> meter.getId().getTag("index")).toList();
	}

	private static double recycles(MeterRegistry registry, String reason) {
		return registry.get("cfork.worker.recycles").tag("reason", reason).counter().count();
	}

	private static double forks(MeterRegistry registry, String cause) {
		return registry.get("cfork.worker.forks").tag("cause", cause).counter().count();
	}

}
