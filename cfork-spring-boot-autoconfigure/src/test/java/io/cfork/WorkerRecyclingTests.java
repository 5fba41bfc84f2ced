package io.cfork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Workers recycled for their resources ({@code max-memory}, {@code max-lifetime}), with real
 * processes: stop-first, not a crash, and a replacement that fails is one.
 */
@EnabledOnOs(OS.LINUX)
class WorkerRecyclingTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final long MIB = 1024 * 1024;

	/** Grows by 5 MiB every 50 ms (100 MiB/s) in its first fork, up to 1 GiB; later forks only sleep. */
	private static final String LEAK = """
			import os, time
			data = []
			while os.environ["CFORK_WORKER_ID"] == "1" and len(data) < 200:
			    data.append(b"x" * (5 << 20))
			    time.sleep(0.05)
			time.sleep(3600)
			""";

	/** Every event of the pool, in order. */
	private final List<Object> events = new CopyOnWriteArrayList<>();

	private final Map<Object, Long> nanos = new ConcurrentHashMap<>();

	private final List<Long> pids = new CopyOnWriteArrayList<>();

	private WorkerPoolManager pool;

	@AfterEach
	void reapEverything() {
		Proc.stopAndCheckReaped(this.pool);
		Proc.awaitGone(this.pids);
	}

	@Test
	void aWorkerAboveMaxMemoryIsStoppedThenForkedAgainWithoutCountingACrash() {
		start(WorkerCommand.exec("python3", List.of("-c", LEAK)), (options) -> options.count(1)
			.maxMemory(50 * MIB)
			.resourceInterval(Duration.ofMillis(200)));
		WorkerRecycled recycled = await().atMost(WAIT).until(() -> first(WorkerRecycled.class), (event) -> event != null);
		assertThat(recycled.reason()).isEqualTo(WorkerRecycled.Reason.MEMORY);
		// Two samples above: at 100 MiB/s and 200 ms, about 40 MiB past the limit; 100 MiB is five
		// intervals of leaking, for a loaded machine.
		assertThat(recycled.memory()).isGreaterThan(50 * MIB).isLessThan(150 * MIB);
		assertThat(recycled.worker().state()).isEqualTo(WorkerState.STOPPING);
		// Stop-first: the leaking process exited before its replacement was forked.
		WorkerForked replacement = await().atMost(WAIT)
			.until(() -> forks().stream().filter((forked) -> forked.cause() == ForkCause.RECYCLE).findFirst().orElse(null),
					(forked) -> forked != null);
		WorkerExited exited = exits().get(0);
		assertThat(this.events.indexOf(exited)).isLessThan(this.events.indexOf(replacement));
		assertThat(exited.pid()).isEqualTo(recycled.pid());
		assertThat(exited.unexpected()).isFalse();
		assertThat(exited.exit().signal()).isEqualTo("SIGTERM");
		assertThat(exited.exit().reason()).isEqualTo("max-memory");
		// The replacement serves (it only sleeps: it is not the first fork) and stays under the limit.
		await().atMost(WAIT).untilAsserted(() -> {
			WorkerSnapshot worker = this.pool.snapshot().worker(0).orElseThrow();
			assertThat(worker.pid()).isEqualTo(replacement.worker().pid());
			assertThat(worker.state()).isEqualTo(WorkerState.RUNNING);
			assertThat(worker.memory()).isNotNull().isLessThan(50 * MIB);
			assertThat(worker.lastExit().reason()).isEqualTo("max-memory");
		});
		PoolSnapshot pool = this.pool.snapshot();
		assertThat(pool.reforks()).as("a recycle is not a refork").isZero();
		assertThat(pool.status()).isEqualTo(PoolStatus.RUNNING);
		assertThat(forks()).extracting(WorkerForked::cause).containsExactly(ForkCause.START, ForkCause.RECYCLE);
		System.out.printf("max-memory 50 MiB, leak 100 MiB/s, interval 200ms: recycled at %.1f MiB%n",
				recycled.memory() / (double) MIB);
	}

	@Test
	void aWorkerAboveMaxMemoryBeforeItWasReadyFailedToStart() {
		// Not ready before it has lived 30 s: it outgrows the limit while it starts.
		start(WorkerCommand.exec("python3", List.of("-c", LEAK)), (options) -> options.count(1)
			.minUptime(Duration.ofSeconds(30))
			.backoff(Duration.ofMillis(300), Duration.ofSeconds(1))
			.maxMemory(50 * MIB)
			.resourceInterval(Duration.ofMillis(200)));
		WorkerRecycled recycled = await().atMost(WAIT).until(() -> first(WorkerRecycled.class), (event) -> event != null);
		assertThat(recycled.wasReady()).isFalse();
		await().atMost(WAIT).until(() -> forks().size() == 2);
		WorkerExited exited = exits().get(0);
		assertThat(exited.unexpected()).as("a failed start").isTrue();
		assertThat(exited.reforked()).isTrue();
		assertThat(exited.exit().reason()).isEqualTo("max-memory");
		assertThat(forks().get(1).cause()).isEqualTo(ForkCause.REFORK);
		assertThat((this.nanos.get(forks().get(1)) - this.nanos.get(exited)) / 1_000_000).as("backed off")
			.isGreaterThanOrEqualTo(290);
		assertThat(this.pool.snapshot().reforks()).isOne();
	}

	@Test
	void countsAndRecyclesTheMemoryAChildOfTheWorkerHolds() {
		// sh leads the session and stays; python3, its child, leaks. SIGTERM ends sh; the session's
		// reaper kills the child it leaves.
		start(WorkerCommand.exec("sh", List.of("-c", "python3 -c \"$LEAK\"; echo done")), (options) -> options.count(1)
			.env(Map.of("LEAK", LEAK))
			.maxMemory(50 * MIB)
			.resourceInterval(Duration.ofMillis(200)));
		long shell = this.pool.snapshot().worker(0).orElseThrow().pid();
		await().atMost(WAIT).until(() -> Proc.sessionMembers(List.of(shell)).size() >= 2);
		this.pids.addAll(Proc.sessionMembers(List.of(shell)));
		WorkerRecycled recycled = await().atMost(WAIT).until(() -> first(WorkerRecycled.class), (event) -> event != null);
		assertThat(recycled.pid()).isEqualTo(shell);
		assertThat(recycled.memory()).isGreaterThan(50 * MIB);
		await().atMost(WAIT).until(() -> Proc.sessionMembers(List.of(shell)).isEmpty());
		await().atMost(WAIT).until(() -> forks().size() == 2);
		assertThat(forks().get(1).cause()).isEqualTo(ForkCause.RECYCLE);
	}

	@Test
	void eachWorkerIsRecycledAfterItsLifetimePlusARandomPartOfTheJitter() {
		Duration lifetime = Duration.ofSeconds(2);
		Duration jitter = Duration.ofSeconds(1);
		start(WorkerCommand.exec("sleep", List.of("3600")),
				(options) -> options.count(3).maxLifetime(lifetime).maxLifetimeJitter(jitter));
		await().atMost(WAIT).until(() -> recycles().size() >= 3);
		List<Double> lateness = new ArrayList<>();
		for (int index = 0; index < 3; index++) {
			int slot = index;
			WorkerForked forked = forks().stream().filter((event) -> event.worker().index() == slot).findFirst()
				.orElseThrow();
			WorkerRecycled recycled = recycles().stream().filter((event) -> event.worker().index() == slot)
				.findFirst()
				.orElseThrow();
			assertThat(recycled.reason()).isEqualTo(WorkerRecycled.Reason.LIFETIME);
			assertThat(recycled.pid()).isEqualTo(forked.worker().pid());
			double late = (this.nanos.get(recycled) - this.nanos.get(forked) - lifetime.toNanos()) / 1e6;
			assertThat(late).as("ms past the lifetime of worker %d", slot)
				.isGreaterThanOrEqualTo(-5)
				.isLessThan(jitter.toMillis() + 500);
			lateness.add(late);
		}
		// Spread by the jitter: three draws from 0..1000 ms all within 20 ms of each other are
		// a 1 in 800 chance.
		assertThat(lateness.stream().mapToDouble(Double::doubleValue).max().orElseThrow()
				- lateness.stream().mapToDouble(Double::doubleValue).min().orElseThrow())
			.as("spread of %s", lateness)
			.isGreaterThan(20);
		await().atMost(WAIT).until(() -> forks().stream().filter((f) -> f.cause() == ForkCause.RECYCLE).count() >= 3);
		assertThat(exits()).allSatisfy((exited) -> {
			assertThat(exited.unexpected()).isFalse();
			assertThat(exited.exit().reason()).isEqualTo("max-lifetime");
		});
		assertThat(this.pool.snapshot().reforks()).isZero();
		System.out.printf("max-lifetime 2s, jitter 1s: recycled %s ms past the lifetime%n", lateness);
		// Each replacement has a lifetime of its own, and is recycled in its turn.
		await().atMost(WAIT).until(() -> recycles().size() >= 6);
	}

	@Test
	void aStopFirstReplacementThatDiesYoungBacksOffAndCountsAsAnyOther() {
		// The first fork lives until recycled; its replacements exit at once. Stop-first: the
		// worker is gone when its replacement fails, so the slot reforks, with backoff.
		start(WorkerCommand.exec("sh",
				List.of("-c", "if [ \"$CFORK_WORKER_ID\" = 1 ]; then exec sleep 3600; else exit 3; fi")),
				(options) -> options.count(1)
					.reload(ReloadStrategy.STOP_FIRST, 1)
					.minUptime(Duration.ofSeconds(1))
					.maxLifetime(Duration.ofMillis(1500))
					.maxLifetimeJitter(Duration.ZERO)
					.backoff(Duration.ofMillis(200), Duration.ofSeconds(1)));
		await().atMost(WAIT).until(() -> exits().size() >= 3);
		List<WorkerExited> exits = exits();
		assertThat(exits.get(0).unexpected()).isFalse();
		assertThat(exits.get(0).exit().reason()).isEqualTo("max-lifetime");
		assertThat(exits.get(1).unexpected()).isTrue();
		assertThat(exits.get(1).exit().code()).isEqualTo(3);
		assertThat(exits.get(1).reforked()).isTrue();
		assertThat(forks()).extracting(WorkerForked::cause).startsWith(ForkCause.START, ForkCause.RECYCLE,
				ForkCause.REFORK);
		// Backed off: 200 ms, then 400 ms.
		WorkerForked recycle = forks().get(1);
		WorkerForked refork = forks().get(2);
		assertThat((this.nanos.get(refork) - this.nanos.get(exits.get(1))) / 1_000_000).isGreaterThanOrEqualTo(190);
		assertThat(recycle.worker().restarts()).isOne();
		assertThat(this.pool.snapshot().reforks()).isGreaterThanOrEqualTo(1);
	}

	@Test
	void refusesLimitsWhereThereIsNoProc() {
		PoolOptions.Builder memory = PoolOptions.builder(WorkerCommand.exec("sleep", List.of("1"))).maxMemory(MIB * 64);
		assertThat(memory.build(true).maxMemory()).isEqualTo(64 * MIB);
		org.assertj.core.api.Assertions.assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> memory.build(false))
			.satisfies((ex) -> {
				assertThat(ex.getOption()).isEqualTo("max-memory");
				assertThat(ex.getProblem()).contains("/proc");
			});
		PoolOptions.Builder lifetime = PoolOptions.builder(WorkerCommand.exec("sleep", List.of("1")))
			.maxLifetime(Duration.ofHours(1));
		assertThat(lifetime.build(true).maxLifetimeJitter()).isEqualTo(Duration.ofMinutes(6));
		org.assertj.core.api.Assertions.assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> lifetime.build(false))
			.satisfies((ex) -> {
				assertThat(ex.getOption()).isEqualTo("max-lifetime");
				assertThat(ex.getProblem()).contains("/proc");
			});
		assertThat(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("1"))).build(false).maxMemory()).isNull();
	}

	private void start(WorkerCommand command, UnaryOperator<PoolOptions.Builder> options) {
		this.pool = new WorkerPoolManager(options.apply(PoolOptions.builder(command)
			.minUptime(Duration.ZERO)
			.shutdownTimeout(Duration.ofSeconds(5))
			.output(null)).build());
		this.pool.addListener(new WorkerPoolListener() {

			@Override
			public void workerForked(WorkerForked event) {
				record(event);
				WorkerRecyclingTests.this.pids.add(event.worker().pid());
			}

			@Override
			public void workerExited(WorkerExited event) {
				record(event);
			}

			@Override
			public void workerRecycled(WorkerRecycled event) {
				record(event);
			}

		});
		this.pool.start();
	}

	private void record(Object event) {
		this.nanos.put(event, System.nanoTime());
		this.events.add(event);
	}

	private <T> T first(Class<T> type) {
		return this.events.stream().filter(type::isInstance).map(type::cast).findFirst().orElse(null);
	}

	private List<WorkerForked> forks() {
		return this.events.stream().filter(WorkerForked.class::isInstance).map(WorkerForked.class::cast).toList();
	}

	private List<WorkerExited> exits() {
		return this.events.stream().filter(WorkerExited.class::isInstance).map(WorkerExited.class::cast).toList();
	}

	private List<WorkerRecycled> recycles() {
		return this.events.stream().filter(WorkerRecycled.class::isInstance).map(WorkerRecycled.class::cast).toList();
	}

}
