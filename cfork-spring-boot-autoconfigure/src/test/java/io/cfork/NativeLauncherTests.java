package io.cfork;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.function.UnaryOperator;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link NativeLauncher} (and its {@link ChildWatcher}) with real processes, checked in
 * {@code /proc}: what a worker inherits, what the master keeps, and how exits and output travel.
 */
@EnabledOnOs(OS.LINUX)
class NativeLauncherTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	private final List<NativeLauncher> launchers = new ArrayList<>();

	private final List<WorkerProcess> processes = new ArrayList<>();

	private WorkerPoolManager pool;

	@BeforeAll
	static void nativeLauncherWorksHere() {
		assertThat(Launchers.nativeUnavailable()).as("why the native launcher cannot work here").isNull();
	}

	@AfterEach
	void reapEverything() {
		if (this.pool != null) {
			this.pool.stop();
		}
		this.processes.forEach(WorkerProcess::kill);
		await().atMost(WAIT).until(() -> Proc.zombieChildren().isEmpty() && Proc.workerChildren().isEmpty());
		this.launchers.forEach(NativeLauncher::close);
	}

	@Test
	void aWorkerHoldsNoDescriptorOfTheMasterButItsOwnThree(@TempDir Path temp) throws Exception {
		Path file = Files.writeString(temp.resolve("held"), "held by the master");
		try (ServerSocket socket = new ServerSocket(0); FileInputStream in = new FileInputStream(file.toFile())) {
			assertThat(inheritableDescriptors()).as("the master's descriptors a child would inherit")
				.isNotEmpty();
			WorkerProcess captured = launch(sleep(), (options) -> options.output((index, pid, stream, line) -> {
			}));
			WorkerProcess silent = launch(sleep(), (options) -> options.output(null));
			// Once they run their command: not while setpriv, which opens files of its own, runs.
			awaitCommand(captured, "sleep");
			awaitCommand(silent, "sleep");
			assertThat(descriptors(captured.pid())).containsOnlyKeys("0", "1", "2")
				.containsEntry("0", "/dev/null")
				.hasEntrySatisfying("1", (target) -> assertThat(target).startsWith("pipe:"))
				.hasEntrySatisfying("2", (target) -> assertThat(target).startsWith("pipe:"));
			assertThat(descriptors(silent.pid())).containsExactlyInAnyOrderEntriesOf(
					Map.of("0", "/dev/null", "1", "/dev/null", "2", "/dev/null"));
		}
	}

	@Test
	void aWorkerLeadsASessionAndAProcessGroupOfItsOwn() throws Exception {
		WorkerProcess worker = launch(sleep(), UnaryOperator.identity());
		String[] stat = Proc.stat(worker.pid());
		assertThat(Long.parseLong(stat[2])).as("process group").isEqualTo(worker.pid());
		assertThat(Long.parseLong(stat[3])).as("session").isEqualTo(worker.pid());
		assertThat(Proc.parent(worker.pid())).isEqualTo(ProcessHandle.current().pid());
	}

	@Test
	void aWorkerStartsInTheWorkingDirectoryWithTheEnvironment(@TempDir Path temp) throws Exception {
		List<String> lines = new CopyOnWriteArrayList<>();
		WorkerProcess worker = launch(shell("pwd; echo \"$GREETING $CFORK_WORKER_INDEX\"; exec sleep 3600"),
				(options) -> options.workingDirectory(temp)
					.env(Map.of("GREETING", "hi"))
					.output((index, pid, stream, line) -> lines.add(line)));
		await().atMost(WAIT).until(() -> lines.size() == 2);
		assertThat(lines).containsExactly(temp.toRealPath().toString(), "hi 0");
		awaitCommand(worker, "sleep");
		assertThat(Proc.environment(worker.pid())).containsEntry("CFORK_WORKER_ID", "1")
			.containsEntry("CFORK_WORKER_COUNT", "1")
			.containsEntry("CFORK_MASTER_PID", Long.toString(ProcessHandle.current().pid()));
	}

	@Test
	void reportsExitCodesAsTheJdkDoes() throws Exception {
		assertThat(exitOf(launch(shell("exit 3"), UnaryOperator.identity()))).isEqualTo(3);
		WorkerProcess sleeping = launch(sleep(), UnaryOperator.identity());
		CompletableFuture<Integer> exit = exit(sleeping);
		sleeping.terminate();
		assertThat(exit.get()).isEqualTo(143);
		assertThat(ChildWatcher.exitCode(0x0300)).isEqualTo(3);
		assertThat(ChildWatcher.exitCode(9)).isEqualTo(137);
		assertThat(ChildWatcher.exitCode(0x80 | 11)).as("a core dump").isEqualTo(139);
	}

	@Test
	void killTakesTheWorkersSessionWithIt() throws Exception {
		WorkerProcess worker = launch(shell("sleep 3600 & sleep 3600 & wait"), UnaryOperator.identity());
		await().atMost(WAIT).until(() -> Proc.sessionMembers(List.of(worker.pid())).size() == 3);
		CompletableFuture<Integer> exit = exit(worker);
		worker.kill();
		assertThat(exit.get()).isEqualTo(137);
		await().atMost(WAIT).until(() -> Proc.sessionMembers(List.of(worker.pid())).isEmpty());
		worker.terminate();
		worker.kill();
	}

	@Test
	void splitsEachStreamIntoLinesInOrderAndKeepsTheLastErrorLine() throws Exception {
		Map<WorkerOutput.Stream, List<String>> lines = new ConcurrentHashMap<>();
		String script = "i=0; while [ $i -lt 500 ]; do echo \"out $i\"; echo \"err $i\" >&2; i=$((i+1)); done; "
				+ "printf 'crlf\\r\\n'; head -c 40000 /dev/zero | tr '\\0' x; echo; printf 'last words\\n' >&2; "
				+ "printf 'no newline'; exit 3";
		WorkerProcess worker = launch(shell(script), (options) -> options.output(
				(index, pid, stream, line) -> lines.computeIfAbsent(stream, (key) -> new CopyOnWriteArrayList<>())
					.add(line)));
		assertThat(exitOf(worker)).isEqualTo(3);
		await().atMost(WAIT).until(() -> lines.getOrDefault(WorkerOutput.Stream.STDOUT, List.of()).size() == 505);
		List<String> out = lines.get(WorkerOutput.Stream.STDOUT);
		assertThat(out.subList(0, 500)).containsExactlyElementsOf(numbered("out"));
		assertThat(out.get(500)).isEqualTo("crlf");
		assertThat(out.subList(501, 504)).extracting(String::length).containsExactly(16384, 16384, 7232);
		assertThat(out.get(504)).isEqualTo("no newline");
		await().atMost(WAIT).until(() -> lines.get(WorkerOutput.Stream.STDERR).size() == 501);
		assertThat(lines.get(WorkerOutput.Stream.STDERR)).startsWith(numbered("err").toArray(String[]::new))
			.endsWith("last words");
		assertThat(worker.lastErrorLine()).isEqualTo("last words");
	}

	@Test
	void aBlockedReceiverThrottlesTheChattyWorkerButDelaysNoExit() throws Exception {
		CountDownLatch release = new CountDownLatch(1);
		List<String> lines = new CopyOnWriteArrayList<>();
		String script = "[ \"$CFORK_WORKER_INDEX\" = 0 ] || exit 7; i=0; while [ $i -lt 20000 ]; do "
				+ "echo \"line $i of a worker whose output is throttled\"; i=$((i+1)); done; exit 6";
		NativeLauncher launcher = launcher(shell(script), (options) -> options.output((index, pid, stream, line) -> {
			lines.add(line);
			try {
				release.await();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}));
		WorkerProcess chatty = track(launcher.launch(0, 1, 2, null));
		CompletableFuture<Integer> chattyExit = exit(chatty);
		await().atMost(WAIT).until(() -> !lines.isEmpty());
		// The receiver is blocked in its first line: another worker's exit is still reported.
		WorkerProcess quiet = track(launcher.launch(1, 2, 2, null));
		assertThat(exitOf(quiet)).isEqualTo(7);
		// The chatty worker printed far more than the master holds and the pipe buffers: it waits.
		assertThat(chattyExit).isNotDone();
		release.countDown();
		assertThat(chattyExit.get()).isEqualTo(6);
		await().atMost(WAIT).until(() -> lines.size() == 20000);
		assertThat(lines).containsExactlyElementsOf(IntStream.range(0, 20000)
			.mapToObj((i) -> "line " + i + " of a worker whose output is throttled")
			.toList());
	}

	@Test
	void aProcessLeftHoldingThePipesDelaysNeitherTheExitNorTheClosingOfThePipes() throws Exception {
		List<String> lines = new CopyOnWriteArrayList<>();
		WorkerProcess worker = launch(shell("sleep 3600 & echo started; exit 4"),
				(options) -> options.output((index, pid, stream, line) -> lines.add(line)));
		long started = System.nanoTime();
		assertThat(exitOf(worker)).isEqualTo(4);
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
		List<Long> left = Proc.sessionMembers(List.of(worker.pid()));
		assertThat(left).as("the sleep holding the pipes").hasSize(1);
		int pipes = descriptorsOfType("pipe:");
		left.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
		await().atMost(WAIT).until(() -> descriptorsOfType("pipe:") == pipes - 2);
		assertThat(lines).containsExactly("started");
	}

	@Test
	void noZombieNorDescriptorOfADeadWorkerStaysAfter200KillsAndReforks() throws IOException {
		List<String> lines = new CopyOnWriteArrayList<>();
		int port;
		try (ServerSocket free = new ServerSocket(0)) {
			port = free.getLocalPort();
		}
		startPool(8, (index, pid, stream, line) -> lines.add(line), List.of(ListenAddress.port(port)));
		int fds = Proc.openFileDescriptors();
		int pipes = descriptorsOfType("pipe:");
		int sockets = descriptorsOfType("socket:");
		assertThat(descriptorsOfType("anon_inode:[pidfd]")).isEqualTo(8);
		for (int i = 0; i < 200; i++) {
			int index = i % 8;
			long pid = this.pool.snapshot().worker(index).orElseThrow().pid();
			ProcessHandle.of(pid).orElseThrow().destroyForcibly();
			await().atMost(WAIT)
				.pollInterval(Duration.ofMillis(1))
				.until(() -> this.pool.snapshot().worker(index).orElseThrow().pid(),
						(now) -> now != null && now != pid);
		}
		await().atMost(WAIT).untilAsserted(() -> {
			assertThat(this.pool.snapshot().alive()).isEqualTo(8);
			assertThat(Proc.zombieChildren()).isEmpty();
			assertThat(Proc.workerChildren()).hasSize(8);
			assertThat(descriptorsOfType("anon_inode:[pidfd]")).isEqualTo(8);
			assertThat(descriptorsOfType("pipe:")).isEqualTo(pipes);
			assertThat(descriptorsOfType("socket:")).as("the master's listening socket stays, alone").isEqualTo(sockets);
			assertThat(Proc.openFileDescriptors()).isLessThanOrEqualTo(fds + 2);
		});
		assertThat(this.pool.snapshot().reforks()).isEqualTo(200);
		// The port stays the master's: the kernel still queues connections on it.
		try (Socket connected = new Socket("127.0.0.1", port)) {
			assertThat(connected.isConnected()).isTrue();
		}
	}

	@Test
	void theMastersThreadsDoNotGrowWithTheNumberOfWorkers() {
		int[] at8 = threadsWith(8);
		int[] at200 = threadsWith(200);
		System.out.printf("Master threads with output captured, native launcher: 8 workers %d (JVM %d), 200 workers "
				+ "%d (JVM %d)%n", at8[0], at8[1], at200[0], at200[1]);
		assertThat(at200[0]).as("Java threads").isLessThanOrEqualTo(at8[0] + 2);
		assertThat(at200[1]).as("threads in /proc/self/status").isLessThanOrEqualTo(at8[1] + 6);
	}

	private int[] threadsWith(int count) {
		startPool(count, (index, pid, stream, line) -> {
		});
		await().atMost(WAIT).until(() -> this.pool.snapshot().alive() == count);
		int[] threads = { Proc.threadsWithoutReapers(), Proc.threads() };
		this.pool.stop();
		this.pool = null;
		return threads;
	}

	private void startPool(int count, WorkerOutput output) {
		startPool(count, output, List.of());
	}

	private void startPool(int count, WorkerOutput output, List<ListenAddress> listen) {
		this.pool = new WorkerPoolManager(PoolOptions.builder(sleep())
			.count(count)
			.listen(listen)
			.minUptime(Duration.ZERO)
			.backoff(Duration.ZERO, Duration.ZERO)
			.limit(100_000, Duration.ofMinutes(1))
			.output(output)
			.launcher(Launcher.NATIVE)
			.build());
		this.pool.start();
		await().atMost(WAIT).until(() -> this.pool.snapshot().alive() == count);
	}

	private NativeLauncher launcher(WorkerCommand command, UnaryOperator<PoolOptions.Builder> customizer) {
		PoolOptions options = customizer.apply(PoolOptions.builder(command).launcher(Launcher.NATIVE)).build();
		NativeLauncher launcher = new NativeLauncher(options, options.output(), "test-pool", null);
		this.launchers.add(launcher);
		return launcher;
	}

	private WorkerProcess launch(WorkerCommand command, UnaryOperator<PoolOptions.Builder> customizer)
			throws IOException {
		return track(launcher(command, customizer).launch(0, 1, 1, null));
	}

	private WorkerProcess track(WorkerProcess process) {
		this.processes.add(process);
		return process;
	}

	/** Waits until the worker has exec'd its command (it starts as setpriv). */
	private static void awaitCommand(WorkerProcess process, String command) {
		await().atMost(WAIT).until(() -> command.equals(Proc.command(process.pid())));
	}

	private static CompletableFuture<Integer> exit(WorkerProcess process) {
		CompletableFuture<Integer> exit = new CompletableFuture<>();
		process.onExit(exit::complete);
		return exit.orTimeout(WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
	}

	private static int exitOf(WorkerProcess process) throws Exception {
		return exit(process).get();
	}

	private static List<String> numbered(String prefix) {
		return IntStream.range(0, 500).mapToObj((i) -> prefix + " " + i).toList();
	}

	/** A process's descriptors and what they point to. */
	private static Map<String, String> descriptors(long pid) throws IOException {
		Map<String, String> descriptors = new ConcurrentHashMap<>();
		try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
			fds.forEach((fd) -> {
				try {
					descriptors.put(fd.getFileName().toString(), Files.readSymbolicLink(fd).toString());
				}
				catch (IOException ex) {
					// closed meanwhile
				}
			});
		}
		return descriptors;
	}

	private static int descriptorsOfType(String prefix) {
		try {
			return (int) descriptors(ProcessHandle.current().pid()).values()
				.stream()
				.filter((target) -> target.startsWith(prefix))
				.count();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** This JVM's descriptors above 2 without close-on-exec: a plain fork and exec would hand them on. */
	private static List<Integer> inheritableDescriptors() throws IOException {
		List<Integer> inheritable = new ArrayList<>();
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fdinfo"))) {
			for (Path fd : fds.toList()) {
				int number = Integer.parseInt(fd.getFileName().toString());
				try {
					String flags = Files.readAllLines(fd)
						.stream()
						.filter((line) -> line.startsWith("flags:"))
						.findFirst()
						.orElseThrow();
					if (number > 2 && (Integer.parseInt(flags.substring(6).trim(), 8) & 02000000) == 0) {
						inheritable.add(number);
					}
				}
				catch (IOException ex) {
					// closed meanwhile
				}
			}
		}
		Collections.sort(inheritable);
		return inheritable;
	}

	private static WorkerCommand sleep() {
		return WorkerCommand.exec("sleep", List.of("3600"));
	}

	private static WorkerCommand shell(String script) {
		return WorkerCommand.exec("sh", List.of("-c", script));
	}

}
