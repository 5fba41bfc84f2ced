package io.cfork.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's scenario end to end, with the packaged sample as a user runs it: {@code java -jar}, a
 * worker killed with SIGKILL while a steady stream of requests hits port 3001, then SIGTERM to the
 * master.
 */
class SampleApplicationIT {

	private static final int HELLO_PORT = 3001;

	private static final int ACTUATOR_PORT = 8080;

	private static final int REQUESTS = 1000;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private Process master;

	@AfterEach
	void reapEverything() {
		if (this.master != null) {
			this.master.descendants().forEach(ProcessHandle::destroyForcibly);
			this.master.destroyForcibly();
		}
	}

	@Test
	void keepsAnsweringThroughAWorkerKillAndLeavesNothingBehind() throws Exception {
		assertPortFree(HELLO_PORT);
		assertPortFree(ACTUATOR_PORT);
		Path log = Files.createTempFile("sample-app", ".log");
		long masterPid = startMaster(Path.of("."), log);
		DocumentContext pool = pool();
		assertThat(pool.read("$.alive", Integer.class)).isEqualTo(4);
		List<Integer> pids = pool.read("$.workers[*].pid");
		assertThat(Files.readString(log)).contains("the server is start at port 3001, PID=" + pids.get(0));
		assertThat(hello().body()).isEqualTo("hello fork\n");
		Set<Long> answering = new HashSet<>();
		for (int i = 0; i < 100 && answering.size() < 2; i++) {
			Map.Entry<Long, String> answer = HttpLoad.once(HELLO_PORT);
			assertThat(answer.getValue()).isEqualTo("hello fork\n");
			answering.add(answer.getKey());
		}
		assertThat(answering).as("workers answering on one port").hasSizeGreaterThanOrEqualTo(2);

		// A steady stream of requests; worker 1 is killed once a fifth of it has been answered.
		long victim = pool.read("$.workers[1].pid", Long.class);
		AtomicInteger sent = new AtomicInteger();
		AtomicInteger answered = new AtomicInteger();
		CompletableFuture<Void> stream = CompletableFuture.runAsync(() -> {
			while (sent.get() < REQUESTS) {
				sent.incrementAndGet();
				try {
					if (hello().statusCode() == 200) {
						answered.incrementAndGet();
					}
				}
				catch (IOException ex) {
					// counted as unanswered
				}
			}
		});
		await().atMost(Duration.ofSeconds(60)).until(() -> sent.get() >= REQUESTS / 5);
		ProcessHandle.of(victim).orElseThrow().destroyForcibly();
		stream.get();
		double availability = answered.get() / (double) REQUESTS;
		System.out.printf("Port 3001 availability during a worker kill: %d of %d requests answered (%.2f%%)%n",
				answered.get(), REQUESTS, availability * 100);
		assertThat(availability).isGreaterThanOrEqualTo(0.99);

		// The replacement takes slot 1 with a new pid, and the log tells the story.
		await().atMost(Duration.ofSeconds(30)).until(() -> {
			DocumentContext worker = JsonPath.parse(get(ACTUATOR_PORT, "/actuator/cfork/1").body());
			Long pid = worker.read("$.pid", Long.class);
			return pid != null && pid != victim;
		});
		DocumentContext worker = JsonPath.parse(get(ACTUATOR_PORT, "/actuator/cfork/1").body());
		assertThat(worker.read("$.lastExit", Map.class)).containsEntry("code", 137).containsEntry("signal", "SIGKILL");
		long replacement = worker.read("$.pid", Long.class);
		await().atMost(Duration.ofSeconds(30)).until(() -> Files.readString(log)
			.contains("the server is start at port 3001, PID=" + replacement));
		assertThat(Files.readString(log)).contains("Worker 1 (pid " + victim + ") exited with code 137 (SIGKILL)");

		// SIGTERM to the master: every worker stops, nothing of the pool is left, 3001 is free.
		this.master.destroy();
		assertThat(this.master.waitFor()).isEqualTo(143);
		assertThat(processesOfMaster(masterPid)).as("processes left by master %d", masterPid).isEmpty();
		assertPortFree(HELLO_PORT);
		assertThat(Files.readString(log)).contains("All workers stopped");
	}

	@Test
	void aReloadUnderLoadFailsNoRequestAndEveryWorkerAnswersTheNewVersion(@TempDir Path directory) throws Exception {
		assertPortFree(HELLO_PORT);
		assertPortFree(ACTUATOR_PORT);
		Path version = directory.resolve("hello-fork.version");
		Files.writeString(version, "1\n");
		Path log = directory.resolve("sample-app.log");
		startMaster(directory, log, "--management.endpoint.cfork.access=unrestricted");
		assertThat(hello().body()).isEqualTo("hello fork (version 1)\n");

		// wrk's way: 16 connections, half kept alive, half closed after each response, none retrying.
		HttpLoad load = new HttpLoad(HELLO_PORT, 16).start();
		await().atMost(Duration.ofSeconds(30)).until(() -> load.answered.get() > 2000);
		Files.writeString(version, "2\n");
		HttpResponse<String> accepted = post("/actuator/cfork", "{\"reload\":true}");
		assertThat(accepted.statusCode()).isEqualTo(202);
		assertThat(JsonPath.parse(accepted.body()).read("$.reload.state", String.class)).isEqualTo("IN_PROGRESS");
		await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
			.until(() -> "DONE".equals(pool().read("$.reload.state")));
		DocumentContext pool = pool();
		assertThat(pool.read("$.reload.replaced", Integer.class)).isEqualTo(4);
		List<Long> workers = pool.read("$.workers[*].pid", List.class)
			.stream().map((pid) -> ((Number) pid).longValue()).toList();
		int answeredAtDone = load.answered.get();
		await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(load.lastBodyByPid)
			.as("the last answer of each worker").containsKeys(workers.toArray(Long[]::new)));
		await().atMost(Duration.ofSeconds(10)).until(() -> load.answered.get() > answeredAtDone + 2000);
		load.stop();
		System.out.printf("A reload of 4 workers under load (16 connections, half kept alive): %d requests, "
				+ "%d socket errors, %d non-2xx%n", load.answered.get(), load.socketErrors.get(), load.non2xx.get());
		assertThat(load.errors).as("socket errors and non-2xx responses").isEmpty();
		assertThat(load.failed()).isZero();
		assertThat(workers).allSatisfy((pid) -> assertThat(load.lastBodyByPid.get(pid))
			.as("worker %d's answer", pid).isEqualTo("hello fork (version 2)\n"));
		assertThat(Files.readString(log)).contains("Reload done: 4 workers replaced (generation 1)");

		this.master.destroy();
		assertThat(this.master.waitFor()).isEqualTo(143);
		assertThat(processesOfMaster(this.master.pid())).as("processes left by the master").isEmpty();
	}

	/**
	 * Starts the packaged sample in the given working directory and waits until its four workers
	 * are RUNNING; returns the master's pid.
	 */
	private long startMaster(Path directory, Path log, String... args) throws IOException {
		List<String> command = new java.util.ArrayList<>(List.of(javaExecutable(), "-jar",
				Path.of(System.getProperty("sample.jar")).toAbsolutePath().toString()));
		command.addAll(List.of(args));
		this.master = new ProcessBuilder(command).directory(directory.toFile())
			.redirectErrorStream(true)
			.redirectOutput(log.toFile())
			.start();
		await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250))
			.until(() -> "RUNNING".equals(poolOrNull().map((pool) -> pool.read("$.status")).orElse(null)));
		return this.master.pid();
	}

	private HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
		return this.http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + ACTUATOR_PORT + path))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(json))
			.timeout(Duration.ofSeconds(5))
			.build(), HttpResponse.BodyHandlers.ofString());
	}

	private HttpResponse<String> hello() throws IOException {
		return send(HELLO_PORT, "/");
	}

	private DocumentContext pool() throws IOException {
		return JsonPath.parse(get(ACTUATOR_PORT, "/actuator/cfork").body());
	}

	private java.util.Optional<DocumentContext> poolOrNull() {
		try {
			HttpResponse<String> response = get(ACTUATOR_PORT, "/actuator/cfork");
			return (response.statusCode() == 200) ? java.util.Optional.of(JsonPath.parse(response.body()))
					: java.util.Optional.empty();
		}
		catch (IOException ex) {
			return java.util.Optional.empty();
		}
	}

	private HttpResponse<String> get(int port, String path) throws IOException {
		return send(port, path);
	}

	private HttpResponse<String> send(int port, String path) throws IOException {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
			.timeout(Duration.ofSeconds(5))
			.build();
		try {
			return this.http.send(request, HttpResponse.BodyHandlers.ofString());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	/** Live processes whose environment says they were forked by the given master. */
	private static List<Long> processesOfMaster(long masterPid) throws IOException {
		String marker = "CFORK_MASTER_PID=" + masterPid;
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			return entries.filter((entry) -> entry.getFileName().toString().matches("\\d+")).filter((entry) -> {
				try {
					return List.of(Files.readString(entry.resolve("environ")).split("\0")).contains(marker);
				}
				catch (IOException ex) {
					return false;
				}
			}).map((entry) -> Long.parseLong(entry.getFileName().toString())).toList();
		}
	}

	private static void assertPortFree(int port) {
		try (ServerSocket socket = new ServerSocket()) {
			socket.bind(new InetSocketAddress(port));
		}
		catch (IOException ex) {
			throw new IllegalStateException("Port " + port + " is in use: stop whatever listens on it, then run the "
					+ "test again", ex);
		}
	}

	private static String javaExecutable() {
		return Path.of(System.getProperty("java.home"), "bin", "java").toString();
	}

}
