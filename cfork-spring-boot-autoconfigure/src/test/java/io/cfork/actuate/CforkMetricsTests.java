package io.cfork.actuate;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import io.cfork.ForkCause;
import io.cfork.PoolOptions;
import io.cfork.Proc;
import io.cfork.WorkerCommand;
import io.cfork.WorkerForked;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link CforkMetrics} with a real pool: it subscribes when bound, records in every
 * registry it is bound to, and unsubscribes when closed.
 */
@EnabledOnOs(OS.LINUX)
class CforkMetricsTests {

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
	void recordsEachEventInEveryRegistryItIsBoundTo() {
		pool(sleep(), (options) -> options.count(2));
		this.metrics.bindTo(this.first);
		this.metrics.bindTo(this.second);
		this.pool.start();
		for (MeterRegistry registry : List.of(this.first, this.second)) {
			await().atMost(WAIT).until(() -> forks(registry, "start") == 2);
			assertThat(registry.get("cfork.workers.alive").gauge().value()).isEqualTo(2);
			assertThat(registry.get("cfork.workers.desired").gauge().value()).isEqualTo(2);
			await().atMost(WAIT)
				.until(() -> registry.get("cfork.workers").tag("state", "running").gauge().value() == 2);
		}
		long pid = this.pool.snapshot().worker(1).orElseThrow().pid();
		ProcessHandle.of(pid).orElseThrow().destroyForcibly();
		for (MeterRegistry registry : List.of(this.first, this.second)) {
			await().atMost(WAIT).until(() -> forks(registry, "refork") == 1);
			assertThat(registry.get("cfork.worker.exits").tag("unexpected", "true").tag("code", "137").counter().count())
				.isOne();
			assertThat(registry.get("cfork.worker.lifetime").timer().count()).isOne();
			assertThat(registry.get("cfork.refork.latency").timer().count()).isOne();
			assertThat(registry.get("cfork.refork.limit.reached").counter().count()).isZero();
		}
	}

	@Test
	void countsTheReforkLimitInEveryRegistry() {
		pool(WorkerCommand.exec("sh", List.of("-c", "exit 1")),
				(options) -> options.count(1).limit(1, Duration.ofMinutes(1)).backoff(Duration.ZERO, Duration.ZERO));
		this.metrics.bindTo(this.first);
		this.metrics.bindTo(this.second);
		this.pool.start();
		for (MeterRegistry registry : List.of(this.first, this.second)) {
			await().atMost(WAIT).until(() -> registry.get("cfork.refork.limit.reached").counter().count() == 1);
			assertThat(forks(registry, "start")).isOne();
			assertThat(forks(registry, "refork")).isOne();
			assertThat(registry.get("cfork.worker.exits").tag("unexpected", "true").tag("code", "1").counter().count())
				.isEqualTo(2);
			assertThat(registry.get("cfork.workers").tag("state", "exited").gauge().value()).isOne();
		}
	}

	@Test
	void recordsThroughACompositeInEachOfItsRegistries() {
		CompositeMeterRegistry composite = new CompositeMeterRegistry();
		composite.add(this.first);
		composite.add(this.second);
		pool(sleep(), (options) -> options.count(1));
		this.metrics.bindTo(composite);
		this.pool.start();
		for (MeterRegistry registry : List.of(composite, this.first, this.second)) {
			await().atMost(WAIT).until(() -> forks(registry, "start") == 1);
			assertThat(registry.get("cfork.workers.alive").gauge().value()).isOne();
		}
	}

	@Test
	void bindingTwiceToOneRegistryCountsOnce() {
		pool(sleep(), (options) -> options.count(1));
		List<WorkerForked> seen = probe();
		this.metrics.bindTo(this.first);
		this.metrics.bindTo(this.first);
		this.pool.start();
		await().atMost(WAIT).until(() -> seen.size() == 1);
		assertThat(forks(this.first, "start")).isOne();
	}

	@Test
	void closeUnsubscribesFromThePool() {
		pool(sleep(), (options) -> options.count(1));
		this.metrics.bindTo(this.first);
		List<WorkerForked> seen = probe();
		this.pool.start();
		await().atMost(WAIT).until(() -> forks(this.first, "start") == 1);
		this.metrics.close();
		this.pool.restart(0).join();
		// The probe was subscribed after the metrics: once it has seen the restart, the metrics would
		// have too.
		await().atMost(WAIT).until(() -> seen.stream().anyMatch((forked) -> forked.cause() == ForkCause.RESTART));
		assertThat(forks(this.first, "restart")).isZero();
		assertThat(this.first.find("cfork.worker.exits").counters()).isEmpty();
		assertThat(this.first.get("cfork.workers.alive").gauge().value()).as("gauges read the pool").isOne();
	}

	private void pool(WorkerCommand command, UnaryOperator<PoolOptions.Builder> options) {
		this.pool = new WorkerPoolManager(
				options.apply(PoolOptions.builder(command).minUptime(Duration.ZERO).output(null)).build());
		this.metrics = new CforkMetrics(this.pool);
	}

	private List<WorkerForked> probe() {
		List<WorkerForked> seen = new CopyOnWriteArrayList<>();
		this.pool.addListener(new WorkerPoolListener() {

			@Override
			public void workerForked(WorkerForked event) {
				seen.add(event);
			}

		});
		return seen;
	}

	private static WorkerCommand sleep() {
		return WorkerCommand.exec("sleep", List.of("3600"));
	}

	private static double forks(MeterRegistry registry, String cause) {
		return registry.get("cfork.worker.forks").tag("cause", cause).counter().count();
	}

}
