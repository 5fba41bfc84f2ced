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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Rolling reloads of real Node workers on a master-owned port: new code served with no failed
 * request, a broken version halted with the old workers serving, and the refusals.
 */
@EnabledOnOs(OS.LINUX)
class ReloadTests {

	private static final Duration WAIT = Duration.ofSeconds(60);

	/** A worker that serves its version, drains on SIGTERM, and reads its version from disk at start. */
	private static final String WORKER = """
			const fs = require('fs');
			const version = fs.readFileSync('version.txt', 'utf8').trim();
			if (version === 'broken') { console.error('Error: version broken cannot start'); process.exit(1); }
			const server = require('http').createServer((req, res) => {
			  res.setHeader('Connection', 'close'); res.end(version);
			});
			// A 'slow' version takes 2 s to start serving.
			setTimeout(() => server.listen({ fd: 3 }, () => console.log('serving ' + version)),
			  version.startsWith('slow') ? 2000 : 0);
			process.on('SIGTERM', () => server.close(() => process.exit(0)));
			""";

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final List<ReloadSnapshot> finished = new CopyOnWriteArrayList<>();

	private WorkerPoolManager pool;

	private int port;

	@TempDir
	Path directory;

	@AfterEach
	void stopThePool() {
		Proc.stopAndCheckReaped(this.pool);
	}

	@Test
	void aStartFirstReloadServesTheNewVersionWithNoFailedRequest() throws Exception {
		start("v1", (options) -> options.count(3));
		Load load = new Load();
		load.start();
		await().atMost(WAIT).until(() -> load.answered.get() > 50);
		Files.writeString(this.directory.resolve("version.txt"), "v2");
		ReloadSnapshot reload = this.pool.reload().get(60, TimeUnit.SECONDS);
		await().atMost(WAIT).until(() -> load.lastBody.equals("v2") && load.answered.get() > 100);
		load.stop();
		assertThat(reload.state()).isEqualTo(ReloadSnapshot.State.DONE);
		assertThat(reload.replaced()).isEqualTo(3);
		assertThat(reload.generation()).isEqualTo(1);
		assertThat(load.failed.get()).as("failed requests during the reload").isZero();
		assertThat(this.pool.snapshot().workers()).allSatisfy((worker) -> {
			assertThat(worker.generation()).isEqualTo(1);
			assertThat(worker.next()).isNull();
			assertThat(worker.lastExit().reason()).isEqualTo("reload");
		});
		assertThat(this.pool.snapshot().reload().state()).isEqualTo(ReloadSnapshot.State.DONE);
		assertThat(this.finished).singleElement().satisfies((done) -> assertThat(done.state())
			.isEqualTo(ReloadSnapshot.State.DONE));
		for (int i = 0; i < 10; i++) {
			assertThat(get()).isEqualTo("v2");
		}
		System.out.printf("Start-first reload of 3 workers under load: %d requests, %d failed%n", load.answered.get(),
				load.failed.get());
	}

	@Test
	void aBrokenVersionHaltsTheReloadAndTheOldWorkersServe() throws Exception {
		start("v1", (options) -> options.count(2));
		List<Long> old = this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList();
		Files.writeString(this.directory.resolve("version.txt"), "broken");
		ReloadSnapshot reload = this.pool.reload().get(60, TimeUnit.SECONDS);
		assertThat(reload.state()).isEqualTo(ReloadSnapshot.State.FAILED);
		assertThat(reload.replaced()).isZero();
		assertThat(reload.reason()).contains("worker 0's replacement exited with code 1")
			.contains("Error: version broken cannot start");
		assertThat(this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList()).isEqualTo(old);
		assertThat(this.pool.snapshot().status()).isEqualTo(PoolStatus.RUNNING);
		assertThat(this.pool.snapshot().reforks()).as("a failed reload is not a crash").isZero();
		assertThat(get()).isEqualTo("v1");
	}

	@Test
	void aStopFirstReloadReplacesEachWorkerInPlace() throws Exception {
		start("v1", (options) -> options.count(2).reload(ReloadStrategy.STOP_FIRST, 2));
		Files.writeString(this.directory.resolve("version.txt"), "v2");
		ReloadSnapshot reload = this.pool.reload().get(60, TimeUnit.SECONDS);
		assertThat(reload.state()).isEqualTo(ReloadSnapshot.State.DONE);
		assertThat(this.pool.snapshot().workers()).allSatisfy((worker) -> {
			assertThat(worker.generation()).isEqualTo(1);
			assertThat(worker.lastExit().signal()).isEqualTo(null);
			assertThat(worker.lastExit().unexpected()).isFalse();
		});
		assertThat(get()).isEqualTo("v2");
	}

	@Test
	void aReloadOrAScaleDuringAReloadIsRefused() throws Exception {
		start("v1", (options) -> options.count(2));
		CompletableFuture<PoolSnapshot> started = new CompletableFuture<>();
		CompletableFuture<ReloadSnapshot> first = slowReload(started);
		assertRefused(this.pool.reload());
		assertRefused(this.pool.scale(3));
		assertRefused(this.pool.restart(0));
		assertThat(first.get(60, TimeUnit.SECONDS).state()).isEqualTo(ReloadSnapshot.State.DONE);
		assertThat(this.pool.scale(3).get(10, TimeUnit.SECONDS).desired()).isEqualTo(3);
	}

	@Test
	void aWorkerKilledDuringAReloadIsReforkedAndTheReloadGoesOn() throws Exception {
		start("v1", (options) -> options.count(3));
		CompletableFuture<PoolSnapshot> started = new CompletableFuture<>();
		CompletableFuture<ReloadSnapshot> reload = slowReload(started);
		long victim = started.get().workers().get(2).pid();
		ProcessHandle.of(victim).orElseThrow().destroyForcibly();
		Proc.awaitGone(List.of(victim));
		ReloadSnapshot done = reload.get(60, TimeUnit.SECONDS);
		assertThat(done.state()).isEqualTo(ReloadSnapshot.State.DONE);
		assertThat(done.replaced()).isEqualTo(3);
		assertThat(this.pool.snapshot().reforks()).as("the killed worker was reforked").isEqualTo(1);
		assertThat(this.pool.snapshot().workers()).allSatisfy((worker) -> {
			assertThat(worker.generation()).isEqualTo(1);
			assertThat(worker.state()).isEqualTo(WorkerState.RUNNING);
			assertThat(worker.pid()).isNotEqualTo(victim);
		});
		assertThat(get()).isEqualTo("slow-v2");
	}

	@Test
	void stoppingThePoolDuringAReloadReapsTheOldWorkersAndTheNewOnes() throws Exception {
		start("v1", (options) -> options.count(3));
		CompletableFuture<PoolSnapshot> started = new CompletableFuture<>();
		CompletableFuture<ReloadSnapshot> reload = slowReload(started);
		List<WorkerSnapshot> workers = started.get().workers();
		List<Long> pids = new java.util.ArrayList<>(workers.stream().map(WorkerSnapshot::pid).toList());
		await().atMost(WAIT).until(() -> this.pool.snapshot().workers().get(0).next() != null
				&& this.pool.snapshot().workers().get(0).next().pid() != null);
		pids.add(this.pool.snapshot().workers().get(0).next().pid());
		assertThat(pids).hasSize(4).doesNotContainNull();
		this.pool.stop();
		Proc.awaitGone(pids);
		assertThat(Proc.zombieChildren()).as("zombie children").isEmpty();
		assertThat(Proc.workersOf(ProcessHandle.current().pid())).as("processes carrying this master's mark").isEmpty();
		ReloadSnapshot ended = reload.get(10, TimeUnit.SECONDS);
		assertThat(ended.state()).isEqualTo(ReloadSnapshot.State.FAILED);
		assertThat(ended.reason()).isEqualTo("the pool stopped");
	}

	/**
	 * Starts a reload to a version that takes 2 s to start, once it is under way (worker 0's
	 * replacement forked).
	 */
	private CompletableFuture<ReloadSnapshot> slowReload(CompletableFuture<PoolSnapshot> started) throws Exception {
		Files.writeString(this.directory.resolve("version.txt"), "slow-v2");
		CompletableFuture<ReloadSnapshot> reload = this.pool.reload(started);
		assertThat(started.get(10, TimeUnit.SECONDS).reload().state()).isEqualTo(ReloadSnapshot.State.IN_PROGRESS);
		assertThat(started.get().workers().get(0).next()).as("worker 0's replacement").isNotNull();
		return reload;
	}

	private static void assertRefused(CompletableFuture<?> refused) {
		assertThat(refused).failsWithin(Duration.ofSeconds(10))
			.withThrowableOfType(ExecutionException.class)
			.withCauseInstanceOf(ReloadInProgressException.class);
	}

	private void start(String version, UnaryOperator<PoolOptions.Builder> customizer) throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			this.port = socket.getLocalPort();
		}
		Files.writeString(this.directory.resolve("worker.js"), WORKER);
		Files.writeString(this.directory.resolve("version.txt"), version);
		PoolOptions.Builder builder = PoolOptions.builder(WorkerCommand.exec("node", List.of("worker.js")))
			.workingDirectory(this.directory)
			.listen(List.of(new ListenAddress(this.port, "127.0.0.1", 511, null)))
			.readiness(ReadinessCheck.log("serving").timeout(Duration.ofSeconds(10)))
			.shutdownTimeout(Duration.ofSeconds(5));
		this.pool = new WorkerPoolManager(customizer.apply(builder).build());
		this.pool.addListener(new WorkerPoolListener() {

			@Override
			public void reloadFinished(ReloadSnapshot reload) {
				ReloadTests.this.finished.add(reload);
			}

		});
		this.pool.start();
		await().atMost(WAIT).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
	}

	private String get() throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/"))
			.timeout(Duration.ofSeconds(10))
			.build(), HttpResponse.BodyHandlers.ofString()).body();
	}

	/**
	 * Requests, one after another on a thread of its own, counting the answered and the failed.
	 */
	private final class Load {

		final AtomicInteger answered = new AtomicInteger();

		final AtomicInteger failed = new AtomicInteger();

		final AtomicBoolean running = new AtomicBoolean(true);

		volatile String lastBody = "";

		private final Thread thread = new Thread(this::run, "reload-load");

		void start() {
			this.thread.start();
		}

		void stop() throws InterruptedException {
			this.running.set(false);
			this.thread.join(10_000);
		}

		private void run() {
			while (this.running.get()) {
				try {
					HttpResponse<String> response = ReloadTests.this.http.send(
							HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ReloadTests.this.port + "/"))
								.timeout(Duration.ofSeconds(10))
								.build(),
							HttpResponse.BodyHandlers.ofString());
					if (response.statusCode() == 200) {
						this.answered.incrementAndGet();
						this.lastBody = response.body();
					}
					else {
						this.failed.incrementAndGet();
					}
				}
				catch (IOException ex) {
					this.failed.incrementAndGet();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					return;
				}
			}
		}

	}

}
