package io.cfork;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link WorkerPoolManager} with real worker processes, real signals, and {@code /proc},
 * on each launcher.
 */
@EnabledOnOs(OS.LINUX)
@ParameterizedClass
@EnumSource(value = Launcher.class, names = { "NATIVE", "JDK" })
class WorkerPoolManagerTests {

	private static final long SELF = ProcessHandle.current().pid();

	private static final Duration WAIT = Duration.ofSeconds(20);

	@Parameter
	Launcher launcher;

	private final List<WorkerForked> forks = new CopyOnWriteArrayList<>();

	private final List<Long> forkNanos = new CopyOnWriteArrayList<>();

	private final List<WorkerExited> exits = new CopyOnWriteArrayList<>();

	private final AtomicInteger limitsReached = new AtomicInteger();

	private WorkerPoolManager pool;

	private final List<Long> forkedPids = new CopyOnWriteArrayList<>();

	@AfterEach
	void reapEverything() {
		if (this.pool != null) {
			this.pool.stop();
			assertThat(this.pool.snapshot().status()).isEqualTo(PoolStatus.STOPPED);
		}
		assertThat(this.forkedPids).as("workers left after stop()")
			.allSatisfy((pid) -> assertThat(new File("/proc/" + pid)).doesNotExist());
		assertThat(Proc.zombieChildren()).as("zombies after stop()").isEmpty();
	}

	@Test
	void forksCountWorkersAsChildrenWithTheirEnvironmentAndOutput() {
		List<String> lines = new CopyOnWriteArrayList<>();
		start(shell("echo \"hello from $CFORK_WORKER_INDEX of $CFORK_WORKER_COUNT\"; exec sleep 3600"),
				(options) -> options.count(3)
					.env(java.util.Map.of("GREETING", "hi"))
					.output((index, pid, stream, line) -> lines.add(index + "/" + pid + ": " + line)));
		PoolSnapshot snapshot = this.pool.snapshot();
		assertThat(snapshot.alive()).isEqualTo(3);
		assertThat(snapshot.workers()).extracting(WorkerSnapshot::index).containsExactly(0, 1, 2);
		assertThat(snapshot.workers()).extracting(WorkerSnapshot::id).doesNotHaveDuplicates();
		for (WorkerSnapshot worker : snapshot.workers()) {
			assertThat(Proc.parent(worker.pid())).as("parent of worker %d", worker.index()).isEqualTo(SELF);
			// Its output comes once the worker runs: until its exec, /proc shows the launcher's environment.
			String expected = worker.index() + "/" + worker.pid() + ": hello from " + worker.index() + " of 3";
			await().atMost(WAIT).until(() -> lines.contains(expected));
			assertThat(Proc.environment(worker.pid())).containsEntry("GREETING", "hi")
				.containsEntry("CFORK_WORKER_INDEX", String.valueOf(worker.index()))
				.containsEntry("CFORK_WORKER_ID", String.valueOf(worker.id()))
				.containsEntry("CFORK_WORKER_COUNT", "3")
				.containsEntry("CFORK_MASTER_PID", String.valueOf(SELF));
		}
		assertThat(this.forks).extracting(WorkerForked::cause).containsOnly(ForkCause.START);
	}

	@Test
	void reforksASigkilledWorkerInTheSameSlot() {
		start(sleep(), (options) -> options.count(2).minUptime(Duration.ZERO));
		long untouched = this.pool.snapshot().worker(0).orElseThrow().pid();
		WorkerSnapshot before = this.pool.snapshot().worker(1).orElseThrow();
		kill(before.pid());
		WorkerSnapshot after = awaitNewPid(1, before.pid());
		assertThat(after.id()).isGreaterThan(before.id());
		assertThat(after.restarts()).isOne();
		assertThat(after.lastExit()).satisfies((exit) -> {
			assertThat(exit.code()).isEqualTo(137);
			assertThat(exit.signal()).isEqualTo("SIGKILL");
			assertThat(exit.unexpected()).isTrue();
		});
		assertThat(this.pool.snapshot().reforks()).isOne();
		// Listeners hear of the refork once the snapshot that shows it is published.
		await().atMost(WAIT).untilAsserted(() -> {
			assertThat(this.exits).singleElement().satisfies((exited) -> {
				assertThat(exited.pid()).isEqualTo(before.pid());
				assertThat(exited.reforked()).isTrue();
			});
			assertThat(this.forks).last().satisfies((forked) -> {
				assertThat(forked.cause()).isEqualTo(ForkCause.REFORK);
				assertThat(forked.reforkLatency()).isNotNull().isLessThan(WAIT);
			});
		});
		assertThat(this.pool.snapshot().worker(0).orElseThrow().pid()).isEqualTo(untouched);
	}

	@Test
	void boundsACrashLoopWithGrowingBackoffThenGivesUp() {
		start(shell("exit 1"), (options) -> options.count(1)
			.limit(5, Duration.ofMinutes(1))
			.backoff(Duration.ofMillis(20), Duration.ofSeconds(1)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		assertThat(this.forks).hasSize(6);
		assertThat(this.forks).extracting(WorkerForked::cause)
			.containsExactly(ForkCause.START, ForkCause.REFORK, ForkCause.REFORK, ForkCause.REFORK, ForkCause.REFORK,
					ForkCause.REFORK);
		// Each gap is at least the backoff delay, which doubles: 20, 40, 80, 160, 320 ms.
		for (int i = 1; i < this.forkNanos.size(); i++) {
			long gapMillis = (this.forkNanos.get(i) - this.forkNanos.get(i - 1)) / 1_000_000;
			assertThat(gapMillis).as("gap before refork %d", i).isGreaterThanOrEqualTo(20L << (i - 1));
		}
		assertThat(this.limitsReached).hasValue(1);
		assertThat(this.pool.snapshot().limit().reached()).isTrue();
		assertThat(this.pool.snapshot().worker(0).orElseThrow().state()).isEqualTo(WorkerState.EXITED);
		// And nothing more is forked.
		await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).until(() -> this.forks.size() == 6);
	}

	@Test
	void doesNotReforkAfterAStopExitCode() {
		start(shell("exit 7"), (options) -> options.count(1).stopExitCodes(Set.of(7)));
		await().atMost(WAIT).until(() -> this.exits.size() == 1);
		assertThat(this.exits.get(0).reforked()).isFalse();
		assertThat(this.exits.get(0).exit().code()).isEqualTo(7);
		assertThat(this.pool.snapshot().worker(0).orElseThrow().state()).isEqualTo(WorkerState.EXITED);
		assertThat(this.pool.snapshot().status()).isEqualTo(PoolStatus.DEGRADED);
		await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> this.forks.size() == 1);
	}

	@Test
	void doesNotReforkWhenReforkIsOff() {
		start(shell("exit 0"), (options) -> options.count(2).refork(false));
		await().atMost(WAIT).until(() -> this.exits.size() == 2);
		assertThat(this.exits).noneMatch(WorkerExited::reforked);
		assertThat(this.pool.snapshot().alive()).isZero();
		await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> this.forks.size() == 2);
	}

	@Test
	void restartsGracefullyWithoutCountingARefork() throws Exception {
		start(sleep(), (options) -> options.count(1));
		long pid = this.pool.snapshot().worker(0).orElseThrow().pid();
		WorkerSnapshot restarted = this.pool.restart(0).get();
		assertThat(restarted.pid()).isNotEqualTo(pid);
		assertThat(restarted.lastExit().unexpected()).isFalse();
		assertThat(restarted.lastExit().signal()).isEqualTo("SIGTERM");
		assertThat(ProcessHandle.of(pid)).isEmpty();
		assertThat(this.pool.snapshot().reforks()).isZero();
		assertThat(this.forks).extracting(WorkerForked::cause).containsExactly(ForkCause.START, ForkCause.RESTART);
		assertThat(this.pool.restart(5)).failsWithin(WAIT)
			.withThrowableOfType(java.util.concurrent.ExecutionException.class)
			.withCauseInstanceOf(NoSuchWorkerException.class);
	}

	@Test
	void scalesUpAndDownWithoutReforkingTheRemovedSlots() throws Exception {
		start(sleep(), (options) -> options.count(2));
		assertThat(this.pool.scale(4).get().desired()).isEqualTo(4);
		await().atMost(WAIT).until(() -> this.pool.snapshot().alive() == 4);
		List<Long> removed = List.of(this.pool.snapshot().worker(2).orElseThrow().pid(),
				this.pool.snapshot().worker(3).orElseThrow().pid());
		this.pool.scale(2).get();
		await().atMost(WAIT).until(() -> this.pool.snapshot().workers().size() == 2);
		assertThat(removed).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isEmpty());
		assertThat(this.exits).hasSize(2).noneMatch(WorkerExited::unexpected).noneMatch(WorkerExited::reforked);
		assertThat(this.forks).extracting(WorkerForked::cause)
			.containsExactly(ForkCause.START, ForkCause.START, ForkCause.SCALE, ForkCause.SCALE);
	}

	@Test
	void refusesUpFrontAScaleThatCannotFitTheLimitsOnProcesses() throws Exception {
		start(sleep(), (options) -> options.count(1));
		// No machine allows two billion threads: threads-max is at most about one billion.
		assertThatExceptionOfType(java.util.concurrent.ExecutionException.class)
			.isThrownBy(() -> this.pool.scale(2_000_000_000).get())
			.havingCause()
			.isInstanceOf(InvalidPoolOptionException.class)
			.withMessageContaining("'count' (2000000000)")
			.withMessageContaining("1999999999 more workers need")
			.withMessageContaining("kept for the master's own threads");
		assertThat(this.pool.snapshot().desired()).isOne();
		assertThat(this.forks).hasSize(1);
	}

	@Test
	void scalingClearsAReachedLimit() throws Exception {
		start(shell("exit 1"), (options) -> options.count(1)
			.limit(1, Duration.ofMinutes(1))
			.backoff(Duration.ZERO, Duration.ZERO));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		int forks = this.forks.size();
		this.pool.scale(1).get();
		await().atMost(WAIT).until(() -> this.limitsReached.get() == 2);
		assertThat(this.forks.subList(forks, this.forks.size())).extracting(WorkerForked::cause)
			.startsWith(ForkCause.SCALE);
	}

	@Test
	void killsAWorkerThatIgnoresSigtermAfterTheShutdownTimeout() {
		start(shell("trap '' TERM; echo trapped; while :; do sleep 1; done"),
				(options) -> options.count(1).shutdownTimeout(Duration.ofMillis(1500)));
		long pid = this.pool.snapshot().worker(0).orElseThrow().pid();
		long started = System.nanoTime();
		this.pool.stop();
		long stoppedMillis = (System.nanoTime() - started) / 1_000_000;
		assertThat(stoppedMillis).as("stop() waited for the timeout").isGreaterThanOrEqualTo(1500);
		assertThat(ProcessHandle.of(pid)).as("reaped when stop() returns").isEmpty();
		assertThat(this.exits).singleElement().satisfies((exited) -> {
			assertThat(exited.exit().signal()).isEqualTo("SIGKILL");
			assertThat(exited.unexpected()).isFalse();
		});
	}

	@Test
	void stopsEveryWorkerAtOnceAndReapsThem() {
		start(sleep(), (options) -> options.count(4));
		List<Long> pids = this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList();
		this.pool.stop();
		assertThat(pids).allSatisfy((pid) -> assertThat(new File("/proc/" + pid)).doesNotExist());
		assertThat(this.exits).hasSize(4).allSatisfy((exited) -> {
			assertThat(exited.exit().signal()).isEqualTo("SIGTERM");
			assertThat(exited.unexpected()).isFalse();
			assertThat(exited.reforked()).isFalse();
		});
	}

	@Test
	void countsAWorkerThatCannotBeLaunchedAsADeath(@TempDir Path temp) throws Exception {
		Path directory = Files.createDirectory(temp.resolve("work"));
		WorkerCommand command = sleep();
		PoolOptions options = PoolOptions.builder(command)
			.count(1)
			.workingDirectory(directory)
			.limit(2, Duration.ofMinutes(1))
			.backoff(Duration.ofMillis(10), Duration.ofMillis(10))
			.launcher(this.launcher)
			.build();
		Files.delete(directory);
		this.pool = listenedTo(new WorkerPoolManager(options));
		this.pool.start();
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		assertThat(this.exits).hasSize(3).allSatisfy((exited) -> {
			assertThat(exited.exit().code()).isEqualTo(WorkerExit.LAUNCH_FAILED);
			assertThat(exited.exit().error()).isNotBlank();
			assertThat(exited.unexpected()).isTrue();
		});
	}

	@Test
	void workersDieWithAMasterKilledBySigkill() throws Exception {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		Process master = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
				ForkingMaster.class.getName(), "3", this.launcher.name())
			.redirectError(ProcessBuilder.Redirect.DISCARD)
			.start();
		List<Long> workers = new ArrayList<>();
		try {
			BufferedReader out = new BufferedReader(new InputStreamReader(master.getInputStream(), StandardCharsets.UTF_8));
			String line = out.readLine();
			while (line != null && !line.startsWith("PIDS ")) {
				line = out.readLine();
			}
			assertThat(line).as("the master's worker pids").isNotNull();
			Arrays.stream(line.substring(5).split(",")).map(Long::parseLong).forEach(workers::add);
			assertThat(workers).hasSize(3).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isPresent());
			// The parent-death signal is set by setpriv, in the worker, before it execs the command: a
			// master killed in between (a millisecond after a fork) leaves that worker behind.
			await().atMost(WAIT).until(() -> workers.stream().allMatch((pid) -> "sleep".equals(Proc.command(pid))));
			master.destroyForcibly().waitFor();
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(workers).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isEmpty()));
			assertThat(Proc.workersOf(master.pid())).isEmpty();
		}
		finally {
			master.destroyForcibly();
			workers.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
		}
	}

	@Test
	void heavyChurnLeavesNoZombiesAndNoLeakedThreadsOrDescriptors() {
		start(sleep(), (options) -> options.count(8)
			.minUptime(Duration.ZERO)
			.backoff(Duration.ZERO, Duration.ZERO)
			.limit(100_000, Duration.ofMinutes(1)));
		int fds = Proc.openFileDescriptors();
		int threads = Proc.threadsWithoutReapers();
		int kills = 300;
		for (int i = 0; i < kills; i++) {
			int index = i % 8;
			long pid = this.pool.snapshot().worker(index).orElseThrow().pid();
			kill(pid);
			awaitNewPid(index, pid);
		}
		await().atMost(WAIT).until(() -> this.pool.snapshot().alive() == 8);
		assertThat(this.pool.snapshot().reforks()).isEqualTo(kills);
		await().atMost(WAIT).untilAsserted(() -> {
			assertThat(Proc.zombieChildren()).isEmpty();
			assertThat(ProcessHandle.current().children().filter((child) -> this.forkedPids.contains(child.pid())))
				.hasSize(8);
			assertThat(Proc.openFileDescriptors()).isLessThanOrEqualTo(fds + 2);
			assertThat(Proc.threadsWithoutReapers()).isLessThanOrEqualTo(threads + 2);
		});
		List<Long> latencies = new ArrayList<>();
		this.forks.stream()
			.filter((forked) -> forked.reforkLatency() != null)
			.forEach((forked) -> latencies.add(forked.reforkLatency().toNanos()));
		Collections.sort(latencies);
		System.out.printf("Refork latency over %d SIGKILLs of a trivial worker (pool of 8): median %.2f ms, "
				+ "p99 %.2f ms, max %.2f ms%n", latencies.size(), latencies.get(latencies.size() / 2) / 1e6,
				latencies.get((int) Math.ceil(latencies.size() * 0.99) - 1) / 1e6,
				latencies.get(latencies.size() - 1) / 1e6);
	}

	@Test
	void masterThreadsAndHeapGrowModestlyWithTheNumberOfWorkers() {
		long[] at8 = measure(8);
		long[] at200 = measure(200);
		System.out.printf("Master with 8 trivial workers: %d threads, %d KB heap used; with 200: %d threads, "
				+ "%d KB heap used (%.1f KB and %.2f threads per worker)%n", at8[0], at8[1] / 1024, at200[0],
				at200[1] / 1024, (at200[1] - at8[1]) / 1024.0 / 192, (at200[0] - at8[0]) / 192.0);
		// Each worker costs the JDK's process reaper thread (not counted here: not in this thread group)
		// and one output pump thread per stream.
		assertThat(at200[0] - at8[0]).isLessThanOrEqualTo(192 * 2 + 8);
	}

	private long[] measure(int count) {
		start(sleep(), (options) -> options.count(count));
		await().atMost(WAIT).until(() -> this.pool.snapshot().alive() == count);
		System.gc();
		Runtime runtime = Runtime.getRuntime();
		long[] measured = { Thread.activeCount(), runtime.totalMemory() - runtime.freeMemory() };
		this.pool.stop();
		this.pool = null;
		return measured;
	}

	private void start(WorkerCommand command, UnaryOperator<PoolOptions.Builder> customizer) {
		this.forks.clear();
		this.exits.clear();
		this.pool = listenedTo(new WorkerPoolManager(
				customizer.apply(PoolOptions.builder(command).launcher(this.launcher)).build()));
		this.pool.start();
		await().atMost(WAIT).until(() -> this.forks.size() >= this.pool.snapshot().desired());
	}

	private WorkerPoolManager listenedTo(WorkerPoolManager pool) {
		pool.addListener(new WorkerPoolListener() {

			@Override
			public void workerForked(WorkerForked event) {
				WorkerPoolManagerTests.this.forkNanos.add(System.nanoTime());
				WorkerPoolManagerTests.this.forks.add(event);
				WorkerPoolManagerTests.this.forkedPids.add(event.worker().pid());
			}

			@Override
			public void workerExited(WorkerExited event) {
				WorkerPoolManagerTests.this.exits.add(event);
			}

			@Override
			public void reforkLimitReached(ReforkLimitReached event) {
				WorkerPoolManagerTests.this.limitsReached.incrementAndGet();
			}

		});
		return pool;
	}

	private WorkerSnapshot awaitNewPid(int index, long oldPid) {
		return await().atMost(WAIT)
			.pollDelay(Duration.ZERO)
			.pollInterval(Duration.ofMillis(1))
			.until(() -> this.pool.snapshot().worker(index).orElseThrow(),
					(worker) -> worker.pid() != null && worker.pid() != oldPid);
	}

	private static void kill(long pid) {
		ProcessHandle.of(pid).orElseThrow().destroyForcibly();
	}

	private static WorkerCommand sleep() {
		return WorkerCommand.exec("sleep", List.of("3600"));
	}

	private static WorkerCommand shell(String script) {
		return WorkerCommand.exec("sh", List.of("-c", script));
	}

}
