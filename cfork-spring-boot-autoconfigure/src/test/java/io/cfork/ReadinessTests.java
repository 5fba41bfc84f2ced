package io.cfork;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

import io.cfork.workers.HangingWorker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Readiness and liveness with real workers: Node servers that listen late, a shell that prints its
 * ready line, Python workers sharing one port, a Java worker that hangs.
 */
@EnabledOnOs(OS.LINUX)
class ReadinessTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

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
	void portReadinessWaitsForTheWorkerToListen() throws IOException {
		int port = freePort();
		node("setTimeout(() => require('http').createServer((q, s) => s.end('ok')).listen(%d), 1000);".formatted(port));
		start(WorkerCommand.exec("node", List.of("worker.js")), (options) -> options.count(1)
			.readiness(ReadinessCheck.port(port)));
		assertThat(this.pool.snapshot().worker(0).orElseThrow().state()).isEqualTo(WorkerState.STARTING);
		assertThat(this.pool.snapshot().status()).isEqualTo(PoolStatus.STARTING);
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
		WorkerSnapshot worker = this.pool.snapshot().worker(0).orElseThrow();
		assertThat(worker.state()).isEqualTo(WorkerState.RUNNING);
		assertThat(worker.readyAt()).isAfter(worker.startedAt());
		assertThat(this.events.ready).singleElement()
			.satisfies((event) -> assertThat(event.readyTime()).isGreaterThanOrEqualTo(Duration.ofMillis(900)));
		assertThat(get("http://127.0.0.1:" + port + "/")).isEqualTo(200);
	}

	@Test
	void httpReadinessProbesEachWorkerOnItsOwnPortFromIncrementEnv() throws IOException {
		int base = freePort();
		node("""
				const port = Number(process.env.PORT); let ready = false;
				setTimeout(() => { ready = true; }, 800 * (1 + Number(process.env.CFORK_WORKER_INDEX)));
				require('http').createServer((q, s) => { s.statusCode = ready ? 200 : 503; s.end(); }).listen(port);
				""");
		start(WorkerCommand.exec("node", List.of("worker.js")), (options) -> options.count(2)
			.env(Map.of("PORT", Integer.toString(base)))
			.incrementEnv(List.of("PORT"))
			.readiness(ReadinessCheck.http("http://127.0.0.1:{PORT}/ready")));
		await().atMost(WAIT).until(() -> this.pool.snapshot().ready() == 1);
		assertThat(this.pool.snapshot().worker(0).orElseThrow().state()).isEqualTo(WorkerState.RUNNING);
		assertThat(this.pool.snapshot().worker(1).orElseThrow().state()).isEqualTo(WorkerState.STARTING);
		await().atMost(WAIT).until(() -> this.pool.snapshot().ready() == 2);
		assertThat(Proc.environment(this.pool.snapshot().worker(1).orElseThrow().pid())).containsEntry("PORT",
				Integer.toString(base + 1));
	}

	@Test
	void logReadinessReadsTheOutputEvenWhenItIsDiscarded() {
		start(WorkerCommand.exec("sh", List.of("-c", "sleep 0.5; echo 'Server started on :8080'; exec sleep 3600")),
				(options) -> options.count(2).output(null).readiness(ReadinessCheck.log("started on :\\d+")));
		assertThat(this.pool.snapshot().ready()).isZero();
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
		assertThat(this.events.ready).hasSize(2);
	}

	@Test
	void aWorkerNeverReadyIsStoppedAfterTheTimeoutAndDiesYoung() {
		start(WorkerCommand.exec("sleep", List.of("3600")), (options) -> options.count(1)
			.readiness(ReadinessCheck.log("never printed").timeout(Duration.ofMillis(500)))
			.backoff(Duration.ofMillis(100), Duration.ofSeconds(1))
			.limit(3, Duration.ofMinutes(1)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.GAVE_UP);
		assertThat(this.events.exits).hasSize(4).allSatisfy((exited) -> {
			assertThat(exited.unexpected()).isTrue();
			assertThat(exited.exit().signal()).isEqualTo("SIGTERM");
			assertThat(exited.exit().reason()).isEqualTo("not ready within 500ms");
		});
		assertThat(this.events.exits.get(2).reforked()).isTrue();
		assertThat(this.pool.snapshot().worker(0).orElseThrow().crashLoop()).isTrue();
		assertThat(this.events.failed).hasSize(4)
			.allSatisfy((failure) -> assertThat(failure.check()).isEqualTo(WorkerCheckFailed.Check.READINESS));
	}

	@Test
	void portReadinessTellsApartWorkersSharingOnePort() throws IOException {
		int port = freePort();
		Files.writeString(this.directory.resolve("worker.py"), """
				import os, socket, time
				time.sleep(0.2 + 1.5 * int(os.environ['CFORK_WORKER_INDEX']))
				s = socket.socket()
				s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
				s.bind(('127.0.0.1', %d))
				s.listen()
				time.sleep(3600)
				""".formatted(port));
		start(WorkerCommand.exec("python3", List.of("worker.py")), (options) -> options.count(2)
			.readiness(ReadinessCheck.port(port)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().ready() == 1);
		assertThat(this.pool.snapshot().worker(0).orElseThrow().state()).isEqualTo(WorkerState.RUNNING);
		assertThat(this.pool.snapshot().worker(1).orElseThrow().state()).as("the second has not bound the port yet")
			.isEqualTo(WorkerState.STARTING);
		await().atMost(WAIT).until(() -> this.pool.snapshot().ready() == 2);
	}

	@Test
	void aJavaWorkerThatHangsIsReplacedAfterItsThreadDump() throws IOException {
		int port = freePort();
		start(WorkerCommand.java(HangingWorker.class.getName(), null, List.of(), List.of()), (options) -> options
			.count(1)
			.env(Map.of("PORT", Integer.toString(port)))
			.readiness(ReadinessCheck.http("http://127.0.0.1:{PORT}/"))
			.liveness(LivenessCheck.http("http://127.0.0.1:{PORT}/")
				.timing(Duration.ofMillis(300), Duration.ofMillis(200), 3))
			.shutdownTimeout(Duration.ofSeconds(2)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
		long hung = this.pool.snapshot().worker(0).orElseThrow().pid();
		// Hang it: the request never answers, nor does any later one.
		HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/hang"))
			.build(), HttpResponse.BodyHandlers.discarding());
		long hangNanos = System.nanoTime();
		WorkerSnapshot replaced = await().atMost(WAIT)
			.until(() -> this.pool.snapshot().worker(0).orElseThrow(),
					(worker) -> worker.pid() != null && worker.pid() != hung && worker.state() == WorkerState.RUNNING);
		System.out.printf("Hang to replacement ready: %d ms%n", (System.nanoTime() - hangNanos) / 1_000_000);
		assertThat(replaced.lastExit()).satisfies((exit) -> {
			assertThat(exit.unexpected()).isTrue();
			assertThat(exit.reason()).isEqualTo("liveness: 3 failed checks (timed out)");
		});
		assertThat(this.events.failed).filteredOn((failure) -> failure.check() == WorkerCheckFailed.Check.LIVENESS)
			.hasSizeGreaterThanOrEqualTo(3);
		assertThat(this.output).as("the hung worker's thread dump").anyMatch((line) -> line.startsWith("Full thread dump"))
			.anyMatch((line) -> line.contains("\"request-handler\""));
	}

	@Test
	void aWorkerThatStopsListeningIsReplaced() throws IOException {
		int port = freePort();
		node("""
				const server = require('http').createServer((q, s) => s.end('ok')).listen(%d);
				setTimeout(() => server.close(), 1500);
				setInterval(() => {}, 1000);
				""".formatted(port));
		start(WorkerCommand.exec("node", List.of("worker.js")), (options) -> options.count(1)
			.readiness(ReadinessCheck.port(port))
			.liveness(LivenessCheck.port(port).timing(Duration.ofMillis(200), Duration.ofMillis(100), 2)));
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
		long first = this.pool.snapshot().worker(0).orElseThrow().pid();
		await().atMost(WAIT).until(() -> this.events.exits.size() == 1);
		assertThat(this.events.exits.get(0).pid()).isEqualTo(first);
		assertThat(this.events.exits.get(0).exit().reason()).isEqualTo("liveness: 2 failed checks (not listening on port "
				+ port + ")");
		assertThat(this.events.exits.get(0).reforked()).isTrue();
	}

	private void node(String script) throws IOException {
		Files.writeString(this.directory.resolve("worker.js"), script);
	}

	private void start(WorkerCommand command, UnaryOperator<PoolOptions.Builder> customizer) {
		PoolOptions.Builder builder = PoolOptions.builder(command)
			.workingDirectory(this.directory)
			.output((index, pid, stream, line) -> this.output.add(line));
		this.pool = new WorkerPoolManager(customizer.apply(builder).build());
		this.pool.addListener(this.events);
		this.pool.start();
	}

	private static int get(String url) {
		try {
			return HttpClient.newHttpClient()
				.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
				.statusCode();
		}
		catch (IOException | InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
