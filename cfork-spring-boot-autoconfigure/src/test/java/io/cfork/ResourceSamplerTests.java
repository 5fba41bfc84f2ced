package io.cfork;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link ResourceSampler} through a real pool: CPU and memory of real workers, with
 * their sessions, as {@code /proc} shows them.
 */
@EnabledOnOs(OS.LINUX)
class ResourceSamplerTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private static final long MIB = 1024 * 1024;

	private final List<PoolSnapshot> samples = new CopyOnWriteArrayList<>();

	private final List<Long> pids = new CopyOnWriteArrayList<>();

	private WorkerPoolManager pool;

	@AfterEach
	void reapEverything() {
		Proc.stopAndCheckReaped(this.pool);
		Proc.awaitGone(this.pids);
	}

	@Test
	void aBusyWorkerUsesAWholeCoreAndAnIdleOneNone() {
		// The busy loop asks for a higher priority (granted to root, else it runs at the same one):
		// other builds on a shared 2-core machine must not starve it below what is asserted.
		start(shell("if [ \"$CFORK_WORKER_INDEX\" = 0 ]; then exec nice -n -10 sh -c 'while :; do :; done' "
				+ "2>/dev/null; else exec sleep 3600; fi"), (options) -> options.count(2));
		// Two samples after the first, so that the figure covers an interval, not the start-up.
		await().atMost(WAIT).until(() -> this.samples.size() >= 3);
		await().atMost(WAIT).untilAsserted(() -> {
			WorkerSnapshot busy = this.pool.snapshot().worker(0).orElseThrow();
			assertThat(busy.cpu()).as("busy worker's CPU").isNotNull().isGreaterThan(50.0);
		});
		WorkerSnapshot idle = this.pool.snapshot().worker(1).orElseThrow();
		assertThat(idle.cpu()).as("idle worker's CPU").isNotNull().isLessThan(10.0);
		assertThat(idle.memory()).as("idle worker's memory").isNotNull().isPositive().isLessThan(64 * MIB);
		PoolSnapshot pool = this.pool.snapshot();
		assertThat(pool.cpu()).isEqualTo(pool.worker(0).orElseThrow().cpu() + pool.worker(1).orElseThrow().cpu());
		assertThat(pool.memory())
			.isEqualTo(pool.worker(0).orElseThrow().memory() + pool.worker(1).orElseThrow().memory());
	}

	@Test
	void countsTheMemoryOfTheWorkersSession() throws Exception {
		// sh leads the session and stays (a command follows); python3, its child, holds 64 MiB.
		start(shell("python3 -c 'import time; data = b\"x\" * (64 << 20); print(\"holding\", flush=True); "
				+ "time.sleep(3600)'; echo done"), (options) -> options.count(1));
		long shell = this.pool.snapshot().worker(0).orElseThrow().pid();
		await().atMost(WAIT).untilAsserted(() -> {
			Long memory = this.pool.snapshot().worker(0).orElseThrow().memory();
			assertThat(memory).as("memory of the worker with its session").isNotNull().isGreaterThan(64 * MIB);
		});
		List<Long> members = Proc.sessionMembers(List.of(shell));
		assertThat(members).hasSizeGreaterThanOrEqualTo(2);
		this.pids.addAll(members);
		assertThat(residentBytes(shell)).as("the shell's own resident set").isLessThan(16 * MIB);
	}

	@Test
	void aSigstoppedWorkerShowsStoppedUntilSigcont() throws Exception {
		start(shell("exec sleep 3600"), (options) -> options.count(2));
		await().atMost(WAIT).until(() -> this.samples.size() >= 1);
		long pid = this.pool.snapshot().worker(0).orElseThrow().pid();
		assertThat(this.pool.snapshot().workers()).noneMatch(WorkerSnapshot::stopped);
		signal("STOP", pid);
		await().atMost(WAIT).until(() -> this.pool.snapshot().worker(0).orElseThrow().stopped());
		WorkerSnapshot stopped = this.pool.snapshot().worker(0).orElseThrow();
		assertThat(stopped.pid()).isEqualTo(pid);
		assertThat(stopped.state()).isEqualTo(WorkerState.RUNNING);
		assertThat(this.pool.snapshot().worker(1).orElseThrow().stopped()).isFalse();
		signal("CONT", pid);
		await().atMost(WAIT).until(() -> !this.pool.snapshot().worker(0).orElseThrow().stopped());
	}

	private static void signal(String signal, long pid) throws Exception {
		assertThat(new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).start().waitFor()).isZero();
	}

	@Test
	void hasNoFiguresBeforeTheFirstSample() {
		start(WorkerCommand.exec("sleep", List.of("3600")),
				(options) -> options.count(1).resourceInterval(Duration.ofHours(1)));
		WorkerSnapshot worker = this.pool.snapshot().worker(0).orElseThrow();
		assertThat(worker.cpu()).isNull();
		assertThat(worker.memory()).isNull();
		assertThat(this.pool.snapshot().cpu()).isNull();
		assertThat(this.pool.snapshot().memory()).isNull();
	}

	@Test
	void percentOfOneCore() {
		// 100 ticks are 1 s of CPU.
		assertThat(ResourceSampler.percent(100, Duration.ofSeconds(1).toNanos())).isEqualTo(100.0);
		assertThat(ResourceSampler.percent(50, Duration.ofSeconds(2).toNanos())).isEqualTo(25.0);
		assertThat(ResourceSampler.percent(300, Duration.ofSeconds(1).toNanos())).isEqualTo(300.0);
		assertThat(ResourceSampler.percent(-3, Duration.ofSeconds(1).toNanos())).isZero();
		assertThat(ResourceSampler.percent(3, 0)).isZero();
	}

	@Test
	void readsStatAndStatmInPlace() throws Exception {
		// A command name with spaces and parentheses, as /proc/<pid>/stat shows it in parentheses.
		Path script = Files.createTempFile("sl) (e ", "p");
		try {
			Path sleep = List.of(Path.of("/usr/bin/sleep"), Path.of("/bin/sleep"))
				.stream()
				.filter(Files::isExecutable)
				.findFirst()
				.orElseThrow();
			Files.copy(sleep, script, StandardCopyOption.REPLACE_EXISTING);
			script.toFile().setExecutable(true);
			Process process = new ProcessBuilder(script.toString(), "30").start();
			await().atMost(WAIT).until(() -> Files.readString(Path.of("/proc/" + process.pid() + "/stat"))
				.contains("(sl) (e "));
			try {
				ProcReader reader = new ProcReader();
				ProcFs.Stat expected = ProcFs.stat(process.pid());
				ProcReader.Usage usage = reader.usage(process.pid());
				assertThat(usage).isNotNull();
				assertThat(usage.session()).isEqualTo(expected.session());
				assertThat(usage.startTicks()).isEqualTo(expected.startTicks());
				assertThat(usage.cpuTicks()).isNotNegative();
				assertThat(reader.residentPages(process.pid())).isPositive();
				assertThat(reader.usage(ProcessHandle.current().pid()).cpuTicks()).isPositive();
			}
			finally {
				process.destroyForcibly().waitFor();
			}
			ProcReader reader = new ProcReader();
			assertThat(reader.usage(process.pid())).as("a process that is gone").isNull();
			assertThat(reader.residentPages(process.pid())).isEqualTo(-1);
		}
		finally {
			Files.delete(script);
		}
	}

	@Test
	void pageSizeIsTheKernels() throws Exception {
		Process getconf = new ProcessBuilder("getconf", "PAGESIZE").start();
		String expected = new String(getconf.getInputStream().readAllBytes()).trim();
		assertThat(getconf.waitFor()).isZero();
		assertThat(ProcFs.pageSize()).isEqualTo(Long.parseLong(expected));
	}

	private void start(WorkerCommand command, UnaryOperator<PoolOptions.Builder> options) {
		this.pool = new WorkerPoolManager(options.apply(PoolOptions.builder(command)
			.minUptime(Duration.ZERO)
			.resourceInterval(Duration.ofMillis(200))
			.shutdownTimeout(Duration.ofSeconds(5))
			.output(null)).build());
		this.pool.addListener(new WorkerPoolListener() {

			@Override
			public void workerForked(WorkerForked event) {
				ResourceSamplerTests.this.pids.add(event.worker().pid());
			}

			@Override
			public void resourcesSampled(PoolSnapshot pool) {
				ResourceSamplerTests.this.samples.add(pool);
			}

		});
		this.pool.start();
	}

	private static long residentBytes(long pid) throws Exception {
		String statm = Files.readString(Path.of("/proc/" + pid + "/statm"));
		return Long.parseLong(statm.split(" ")[1]) * ProcFs.pageSize();
	}

	private static WorkerCommand shell(String script) {
		return WorkerCommand.exec("sh", List.of("-c", script));
	}

}
