package io.cfork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import io.cfork.worker.NotifyReceiver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * What workers say themselves, with real workers: systemd's sd_notify protocol from Python's
 * standard library, {@code systemd-notify} and {@code socat}; the watchdog; Node's IPC channel.
 */
@EnabledOnOs(OS.LINUX)
class NotifyTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private static final String PYTHON_WORKER = """
			import os, socket, sys, time
			def notify(message):
			    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
			    s.sendto(message.encode(), os.environ['NOTIFY_SOCKET'])
			    s.close()
			notify('STATUS=booting')
			time.sleep(0.5)
			notify('READY=1\\nSTATUS=serving \\x1b[31mred\\x1b[0m')
			for _ in range(int(sys.argv[1])):
			    notify('WATCHDOG=1')
			    time.sleep(0.1)
			notify('STATUS=hung')
			time.sleep(3600)
			""";

	private final RecordingListener events = new RecordingListener();

	private final List<String> output = new CopyOnWriteArrayList<>();

	private WorkerPoolManager pool;

	@TempDir
	Path directory;

	@AfterEach
	void stopThePool() {
		Proc.stopAndCheckReaped(this.pool);
	}

	@Test
	void aPythonWorkerIsReadyOnReady1ShowsItsStatusAndIsReplacedOnceItsWatchdogStops() throws IOException {
		Files.writeString(this.directory.resolve("worker.py"), PYTHON_WORKER);
		start(WorkerCommand.exec("python3", List.of("worker.py", "10")), (options) -> options.count(1)
			.readiness(ReadinessCheck.sdNotify())
			.liveness(LivenessCheck.watchdog(Duration.ofMillis(500))));
		WorkerSnapshot starting = this.pool.snapshot().worker(0).orElseThrow();
		assertThat(starting.state()).isEqualTo(WorkerState.STARTING);
		// Read once the exec-in-place step has exec'd Python.
		Map<String, String> env = await().atMost(WAIT)
			.until(() -> Proc.environment(starting.pid()), (read) -> read.containsKey("WATCHDOG_PID"));
		assertThat(env).containsEntry("WATCHDOG_PID", Long.toString(starting.pid()))
			.containsEntry("WATCHDOG_USEC", "500000");
		Path socket = Path.of(env.get("NOTIFY_SOCKET"));
		assertThat(socket.toString().length()).isLessThanOrEqualTo(WorkerMessages.MAX_SOCKET_PATH);
		assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket.getParent())))
			.isEqualTo("rwx------");
		WorkerSnapshot ready = await().atMost(WAIT)
			.until(() -> this.pool.snapshot().worker(0).orElseThrow(), (worker) -> worker.state() == WorkerState.RUNNING);
		assertThat(ready.readyAt().minusMillis(400)).isAfter(ready.startedAt());
		await().atMost(WAIT)
			.until(() -> this.pool.snapshot().worker(0).orElseThrow().status(), "serving \\x1b[31mred\\x1b[0m"::equals);
		// Its watchdog stops after about a second: it is replaced, and its socket removed.
		WorkerSnapshot replaced = await().atMost(WAIT)
			.until(() -> this.pool.snapshot().worker(0).orElseThrow(),
					(worker) -> worker.lastExit() != null && worker.pid() != null);
		assertThat(replaced.lastExit().unexpected()).isTrue();
		assertThat(replaced.lastExit().signal()).isEqualTo("SIGTERM");
		assertThat(replaced.lastExit().reason()).isEqualTo("liveness: no WATCHDOG=1 within 500ms");
		assertThat(this.events.exits).singleElement()
			.satisfies((exited) -> assertThat(exited.lifetime()).isBetween(Duration.ofMillis(1400), Duration.ofSeconds(10)));
		assertThat(this.events.failed).singleElement()
			.satisfies((failure) -> assertThat(failure.check()).isEqualTo(WorkerCheckFailed.Check.LIVENESS));
		assertThat(socket).doesNotExist();
		assertThat(replaced.status()).as("the new worker's status").isIn(null, "booting");
		this.pool.stop();
		assertThat(socket.getParent()).as("the sockets' directory, once the pool stopped").doesNotExist();
	}

	@Test
	void aWorkerThatNeverSaysReadyIsStoppedAfterTheTimeoutAndDiesYoung() {
		start(WorkerCommand.exec("sleep", List.of("3600")), (options) -> options.count(1)
			.readiness(ReadinessCheck.sdNotify().timeout(Duration.ofMillis(400)))
			.backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
			.limit(1, Duration.ofMinutes(1)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		assertThat(this.events.exits).hasSize(2).allSatisfy((exited) -> {
			assertThat(exited.unexpected()).isTrue();
			assertThat(exited.exit().reason()).isEqualTo("not ready within 400ms");
		});
	}

	@Test
	void workersWrittenForSystemdWorkUnchanged() {
		// systemd-notify (systemd 252 waits on a barrier the pool answers by reading) and socat.
		String script = """
				sleep 0.2
				if [ "$CFORK_WORKER_INDEX" = 0 ]; then
				  systemd-notify --ready --status="up via systemd-notify" || exit 3
				else
				  printf 'READY=1\\nSTATUS=up via socat' | socat -u - "UNIX-SENDTO:$NOTIFY_SOCKET" || exit 4
				fi
				exec sleep 3600
				""";
		start(WorkerCommand.exec("sh", List.of("-c", script)), (options) -> options.count(2)
			.readiness(ReadinessCheck.sdNotify().timeout(Duration.ofSeconds(20))));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
		await().atMost(WAIT)
			.untilAsserted(() -> assertThat(this.pool.snapshot().workers()).extracting(WorkerSnapshot::status)
				.containsExactly("up via systemd-notify", "up via socat"));
		assertThat(this.events.exits).isEmpty();
	}

	@Test
	void stoppingIsShownAndTheExitStaysUnexpected() {
		String script = """
				import os, socket, time
				s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
				s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])
				time.sleep(0.3)
				s.sendto(b'STOPPING=1\\nSTATUS=draining', os.environ['NOTIFY_SOCKET'])
				time.sleep(0.5)
				""";
		start(WorkerCommand.exec("python3", List.of("-c", script)), (options) -> options.count(1)
			.readiness(ReadinessCheck.sdNotify())
			.refork(false));
		await().atMost(WAIT).until(() -> this.pool.snapshot().worker(0).orElseThrow().stopping());
		assertThat(this.pool.snapshot().worker(0).orElseThrow().status()).isEqualTo("draining");
		await().atMost(WAIT).until(() -> this.events.exits.size() == 1);
		assertThat(this.events.exits.get(0).unexpected()).isTrue();
	}

	@Test
	void aNodeWorkerIsReadyOnProcessSendReadyAndTheChannelKeepsNoneAlive() throws IOException {
		// Worker 0 stays; worker 1 has nothing left to do once it said it is ready, and exits.
		Files.writeString(this.directory.resolve("worker.js"), """
				setTimeout(() => process.send('ready'), 300);
				if (process.env.CFORK_WORKER_INDEX === '0') setInterval(() => {}, 1000);
				""");
		start(WorkerCommand.exec("node", List.of("worker.js")), (options) -> options.count(2)
			.readiness(ReadinessCheck.ipc())
			.stopExitCodes(Set.of(0)));
		await().atMost(WAIT).until(() -> this.events.exits.size() == 1);
		assertThat(this.events.exits.get(0).worker().index()).isEqualTo(1);
		assertThat(this.events.exits.get(0).exit().code()).isZero();
		assertThat(this.events.exits.get(0).lifetime()).isLessThan(Duration.ofSeconds(5));
		WorkerSnapshot stays = await().atMost(WAIT)
			.until(() -> this.pool.snapshot().worker(0).orElseThrow(), (worker) -> worker.state() == WorkerState.RUNNING);
		assertThat(stays.readyAt().minusMillis(250)).isAfter(stays.startedAt());
		assertThat(Proc.environment(stays.pid())).containsEntry("NODE_CHANNEL_SERIALIZATION_MODE", "json");
		assertThat(this.output).as("Node's own warnings").isEmpty();
	}

	@Test
	void aMasterUnderSystemdSaysReadyOnceItsPoolIsReadyAndStoppingWhenItStops() throws Exception {
		String worker = "import os, socket, time; time.sleep(0.3); socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)"
				+ ".sendto(b'READY=1', os.environ['NOTIFY_SOCKET']); time.sleep(3600)";
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		try (NotifyReceiver systemd = NotifyReceiver.bind(this.directory.resolve("systemd.sock").toString())) {
			ProcessBuilder builder = new ProcessBuilder(java, "-Dreadiness=notify", "-cp",
					System.getProperty("java.class.path"), ForkingMaster.class.getName(), "2", "AUTO", "python3", "-c",
					worker);
			builder.environment().putAll(Map.of("NOTIFY_SOCKET", systemd.address(), "WATCHDOG_USEC", "1000000"));
			Process master = builder.redirectErrorStream(true).start();
			List<Long> workers = new CopyOnWriteArrayList<>();
			Thread reader = new Thread(() -> master.inputReader().lines().forEach((line) -> {
				this.output.add(line);
				if (line.startsWith("PIDS ")) {
					Arrays.stream(line.substring(5).split(",")).map(Long::parseLong).forEach(workers::add);
				}
			}));
			reader.start();
			try {
				await().atMost(WAIT).until(() -> workers.size() == 2);
				assertThat(systemd.receive(WAIT)).isEqualTo("READY=1\nSTATUS=2 of 2 workers ready");
				Map<String, String> env = Proc.environment(workers.get(0));
				assertThat(env.get("NOTIFY_SOCKET")).as("a worker's own socket").isNotNull()
					.isNotEqualTo(systemd.address());
				assertThat(env).doesNotContainKeys("WATCHDOG_USEC", "WATCHDOG_PID");
				Path sockets = Path.of(env.get("NOTIFY_SOCKET")).getParent();
				master.destroy();
				assertThat(systemd.receive(WAIT)).isEqualTo("STOPPING=1");
				assertThat(master.waitFor(30, TimeUnit.SECONDS)).isTrue();
				Proc.awaitGone(workers);
				assertThat(sockets).as("the workers' sockets").doesNotExist();
			}
			finally {
				master.destroyForcibly().waitFor();
				workers.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
				reader.join(5000);
			}
		}
	}

	@Test
	void badInputIsRefusedBeforeAnythingIsForked() {
		WorkerCommand node = WorkerCommand.exec("node", List.of("worker.js"));
		assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> PoolOptions.builder(node).readiness(ReadinessCheck.ipc()).launcher(Launcher.JDK).build())
			.withMessageContaining("'readiness.type' (ipc): needs the native launcher")
			.withMessageContaining("Set launcher to auto or native");
		assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> PoolOptions.builder(node).liveness(LivenessCheck.watchdog(Duration.ZERO)).build())
			.withMessageContaining("'liveness.watchdog-timeout' (PT0S): must be positive");
		assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> PoolOptions.builder(node).liveness(LivenessCheck.watchdog(Duration.ofSeconds(-1))).build())
			.withMessageContaining("'liveness.watchdog-timeout'");
	}

	private void start(WorkerCommand command, UnaryOperator<PoolOptions.Builder> customizer) {
		PoolOptions.Builder builder = PoolOptions.builder(command)
			.workingDirectory(this.directory)
			.shutdownTimeout(Duration.ofSeconds(2))
			.output((index, pid, stream, line) -> this.output.add(line));
		this.pool = new WorkerPoolManager(customizer.apply(builder).build());
		this.pool.addListener(this.events);
		this.pool.start();
	}

}
