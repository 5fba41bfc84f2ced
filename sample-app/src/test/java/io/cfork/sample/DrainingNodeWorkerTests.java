package io.cfork.sample;

import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.cfork.ListenAddress;
import io.cfork.PoolOptions;
import io.cfork.PoolStatus;
import io.cfork.ReadinessCheck;
import io.cfork.ReloadSnapshot;
import io.cfork.WorkerCommand;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The README's Node worker that drains on SIGTERM ({@code drain-worker.js}), on the master's
 * socket: a reload under a load of kept-alive and closed connections fails no request.
 */
class DrainingNodeWorkerTests {

	@TempDir
	Path directory;

	private WorkerPoolManager pool;

	@AfterEach
	void stopThePool() {
		if (this.pool != null) {
			List<Long> pids = this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList();
			this.pool.stop();
			await().atMost(Duration.ofSeconds(20))
				.untilAsserted(() -> assertThat(pids).allSatisfy((pid) -> assertThat(Path.of("/proc/" + pid)).doesNotExist()));
		}
	}

	@Test
	void aReloadUnderLoadFailsNoRequest() throws Exception {
		int port;
		try (ServerSocket socket = new ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		try (InputStream worker = getClass().getResourceAsStream("/drain-worker.js")) {
			Files.write(this.directory.resolve("worker.js"), worker.readAllBytes());
		}
		Files.writeString(this.directory.resolve("version.txt"), "1\n");
		this.pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("node", List.of("worker.js")))
			.count(4)
			.workingDirectory(this.directory)
			.listen(List.of(new ListenAddress(port, "127.0.0.1", 511, null)))
			.readiness(ReadinessCheck.log("listening").timeout(Duration.ofSeconds(10)))
			.shutdownTimeout(Duration.ofSeconds(5))
			.build());
		this.pool.start();
		await().atMost(Duration.ofSeconds(30)).until(() -> this.pool.snapshot().status() == PoolStatus.RUNNING);
		HttpLoad load = new HttpLoad(port, 16).start();
		await().atMost(Duration.ofSeconds(30)).until(() -> load.answered.get() > 2000);
		Files.writeString(this.directory.resolve("version.txt"), "2\n");
		ReloadSnapshot reload = this.pool.reload().get(60, TimeUnit.SECONDS);
		int answeredAtDone = load.answered.get();
		await().atMost(Duration.ofSeconds(10)).until(() -> load.answered.get() > answeredAtDone + 2000);
		load.stop();
		System.out.printf("A reload of 4 Node workers under load (16 connections, half kept alive): %d requests, "
				+ "%d socket errors, %d non-2xx%n", load.answered.get(), load.socketErrors.get(), load.non2xx.get());
		assertThat(reload.state()).isEqualTo(ReloadSnapshot.State.DONE);
		assertThat(load.errors).as("socket errors and non-2xx responses").isEmpty();
		assertThat(load.failed()).isZero();
		assertThat(this.pool.snapshot().workers())
			.allSatisfy((worker) -> assertThat(load.lastBodyByPid.get(worker.pid())).as("worker %d's answer", worker.pid())
				.isEqualTo("hello fork (version 2)\n"));
	}

}
