package io.cfork;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import ch.qos.logback.classic.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A permanent start-up failure is visible within seconds, with its cause: real Node workers that
 * cannot bind their port, or cannot even be found, as a new user meets them.
 */
@EnabledOnOs(OS.LINUX)
class CrashLoopTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	@RegisterExtension
	final PoolLogCapture log = new PoolLogCapture();

	private WorkerPoolManager pool;

	@TempDir
	Path directory;

	@AfterEach
	void stopThePool() {
		Proc.stopAndCheckReaped(this.pool);
	}

	@Test
	void theSecondOfTwoNodeWorkersOnOnePortCrashLoopsWithItsErrorInTheLog() throws IOException {
		int port = freePort();
		Files.writeString(this.directory.resolve("worker.js"), """
				require('http').createServer((req, res) => res.end('hello fork\\n'))
				  .listen(%d, () => console.log('listening on %d, pid ' + process.pid));
				""".formatted(port, port));
		start(2);
		WorkerSnapshot looping = await().atMost(WAIT)
			.until(() -> this.pool.snapshot().workers().stream().filter(WorkerSnapshot::crashLoop).findFirst(),
					(found) -> found.isPresent())
			.orElseThrow();
		PoolSnapshot pool = this.pool.snapshot();
		assertThat(pool.status()).isEqualTo(PoolStatus.DEGRADED);
		assertThat(pool.crashLooping()).isOne();
		WorkerSnapshot serving = pool.worker(1 - looping.index()).orElseThrow();
		await().atMost(WAIT).until(() -> this.pool.snapshot().ready() == 1);
		assertThat(this.pool.snapshot().worker(serving.index()).orElseThrow().state()).isEqualTo(WorkerState.RUNNING);
		// The cause, at the levels a user filters on: stderr at WARN, the exit line quotes it, the loop said once.
		assertThat(lines(Level.WARN, "cfork.worker")).anyMatch(
				(line) -> line.startsWith("[worker " + looping.index() + " pid ") && line.contains("EADDRINUSE"));
		assertThat(lines(Level.INFO, "cfork.worker")).anyMatch((line) -> line.contains("listening on " + port));
		assertThat(lines(Level.WARN, WorkerPoolManager.class.getName())).anyMatch((line) -> line.startsWith(
				"Worker " + looping.index() + " (pid ") && line.contains(
						"exited with code 1: Error: listen EADDRINUSE: address already in use :::" + port + "; reforking in"));
		await().atMost(WAIT).until(() -> crashLoopErrors(looping.index()).size() == 1);
		assertThat(crashLoopErrors(looping.index())).singleElement()
			.asString()
			.contains("last error: Error: listen EADDRINUSE");
		// Said once, not at every death.
		int deaths = (int) this.pool.snapshot().reforks();
		await().atMost(WAIT).until(() -> this.pool.snapshot().reforks() > deaths);
		assertThat(crashLoopErrors(looping.index())).hasSize(1);
	}

	@Test
	void workersThatCannotStartAtAllLeaveNoneReady() {
		start(2, "missing.js");
		await().atMost(WAIT).until(() -> this.pool.snapshot().crashLooping() == 2);
		PoolSnapshot pool = this.pool.snapshot();
		assertThat(pool.ready()).isZero();
		assertThat(pool.status()).isEqualTo(PoolStatus.DEGRADED);
		assertThat(pool.workers()).allSatisfy((worker) -> assertThat(worker.lastExit().unexpected()).isTrue());
		assertThat(lines(Level.ERROR, WorkerPoolManager.class.getName()))
			.anyMatch((line) -> line.contains("is crash-looping") && line.contains("Error: Cannot find module"));
	}

	private void start(int count, String... args) {
		List<String> arguments = (args.length > 0) ? List.of(args) : List.of("worker.js");
		this.pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("node", arguments))
			.count(count)
			.workingDirectory(this.directory)
			.minUptime(Duration.ofSeconds(1))
			.backoff(Duration.ofMillis(50), Duration.ofSeconds(1))
			.env(Map.of())
			.build());
		this.pool.start();
	}

	private List<String> crashLoopErrors(int index) {
		return lines(Level.ERROR, WorkerPoolManager.class.getName()).stream()
			.filter((line) -> line.startsWith("Worker " + index + " is crash-looping"))
			.toList();
	}

	private List<String> lines(Level level, String logger) {
		return this.log.lines(level, logger);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
