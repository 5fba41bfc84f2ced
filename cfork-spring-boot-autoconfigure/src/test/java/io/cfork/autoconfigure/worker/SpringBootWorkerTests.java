package io.cfork.autoconfigure.worker;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import com.jayway.jsonpath.JsonPath;
import io.cfork.Proc;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import io.cfork.workers.WebWorkerApplication;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One Spring Boot application as master and as its workers, in real processes: the workers accept
 * on the master's socket with no code of their own.
 */
@EnabledOnOs(OS.LINUX)
class SpringBootWorkerTests {

	private static final Duration START = Duration.ofSeconds(90);

	private ConfigurableApplicationContext master;

	@AfterEach
	void stopTheMaster() {
		if (this.master != null) {
			List<Long> workers = workerPids(this.master.getBean(WorkerPoolManager.class));
			this.master.close();
			Proc.awaitGone(workers);
		}
		assertThat(Proc.workerChildren()).isEmpty();
		assertThat(Proc.zombieChildren()).isEmpty();
	}

	@Test
	void tomcatWorkersAcceptOnTheMastersSocketAndBindNoPortOfTheirOwn() throws Exception {
		int port = freePort();
		int serverPort = freePort();
		int managementPort = freePortPair();
		// A management server on a port of its own (one per worker) binds it: only the application's
		// server takes the inherited socket.
		this.master = startMaster(port, serverPort, "cfork.readiness.type=log",
				"cfork.readiness.log-pattern=Started WebWorkerApplication",
				"cfork.env.MANAGEMENT_SERVER_PORT=" + managementPort, "cfork.increment-env=MANAGEMENT_SERVER_PORT");
		WorkerPoolManager pool = this.master.getBean(WorkerPoolManager.class);
		await().atMost(START).until(() -> pool.snapshot().ready() == 2);
		List<Long> workers = workerPids(pool);
		// Whichever worker accepts answers; stopped, the other one does, on the same port.
		Set<String> answeredBy = new HashSet<>();
		String first = checkedAnswer(port, workers);
		answeredBy.add(first);
		signal("STOP", first);
		try {
			// A connection whose wake-up went to the stopped worker's accept waits in the queue until
			// the next one wakes the other worker, which then takes both: ask again if need be.
			answeredBy.add(await().atMost(START)
				.ignoreExceptions()
				.until(() -> checkedAnswer(port, workers), Objects::nonNull));
		}
		finally {
			signal("CONT", first);
		}
		assertThat(answeredBy).as("workers that answered on the master's port").hasSize(2);
		Set<String> listening = Proc.listeningSockets(port);
		assertThat(listening).as("the one listening socket of the port").hasSize(1);
		assertThat(Proc.listeningSockets(serverPort)).as("sockets on server.port").isEmpty();
		for (WorkerSnapshot worker : pool.snapshot().workers()) {
			Map<Integer, String> sockets = Proc.socketInodes(worker.pid());
			assertThat(sockets).as("stdin and descriptor 3 of worker %d", worker.pid())
				.containsEntry(0, listening.iterator().next())
				.containsEntry(3, listening.iterator().next());
			int ownManagementPort = managementPort + worker.index();
			assertThat(get(ownManagementPort, "/actuator/health")).contains("UP");
			Set<String> expected = new HashSet<>(listening);
			expected.addAll(Proc.listeningSockets(ownManagementPort));
			assertThat(expected).hasSize(2);
			assertThat(Proc.listeningSocketsOf(worker.pid())).as("listening sockets of worker %d", worker.pid())
				.isEqualTo(expected);
		}
	}

	@Test
	void jettyWorkersAcceptOnTheMastersSocketToo() throws Exception {
		int port = freePort();
		int serverPort = freePort();
		this.master = startMaster(port, serverPort, "cfork.count=1", "cfork.java.class-path=" + jettyClassPath(),
				"cfork.readiness.type=log", "cfork.readiness.log-pattern=Started WebWorkerApplication");
		WorkerPoolManager pool = this.master.getBean(WorkerPoolManager.class);
		await().atMost(START).until(() -> pool.snapshot().ready() == 1);
		long worker = pool.snapshot().worker(0).orElseThrow().pid();
		Map<String, String> answer = JsonPath.parse(get(port, "/")).read("$");
		assertThat(answer).containsEntry("pid", Long.toString(worker))
			.containsEntry("listenPid", Long.toString(worker))
			.containsEntry("server", "JettyServletWebServer");
		assertThat(Proc.listeningSockets(serverPort)).as("sockets on server.port").isEmpty();
		assertThat(Proc.listeningSocketsOf(worker)).isEqualTo(Proc.listeningSockets(port)).hasSize(1);
	}

	@Test
	void aWorkerStartedWithExecIsToldToAskForTheSocketOnStdin() throws Exception {
		int serverPort = freePort();
		// java -cp ... as cfork.exec, so listen-stdin is off: the socket is at fd 3 only.
		int port = freePort();
		this.master = startMaster(port, serverPort, "cfork.count=1", "cfork.java.main-class=",
				"cfork.exec=" + Path.of(System.getProperty("java.home"), "bin", "java"),
				"cfork.args=-XX:TieredStopAtLevel=1,-cp," + System.getProperty("java.class.path") + ","
						+ WebWorkerApplication.class.getName(),
				"cfork.readiness.type=log", "cfork.readiness.log-pattern=Set cfork.listen-stdin=true on the master");
		WorkerPoolManager pool = this.master.getBean(WorkerPoolManager.class);
		await().atMost(START).until(() -> pool.snapshot().ready() == 1);
		long worker = pool.snapshot().worker(0).orElseThrow().pid();
		// It binds server.port itself, beside the socket it holds at fd 3.
		await().atMost(START).untilAsserted(() -> assertThat(Proc.listeningSocketsOf(worker))
			.containsAll(Proc.listeningSockets(serverPort))
			.hasSize(2));
		assertThat(Proc.listeningSockets(serverPort)).hasSize(1);
	}

	/**
	 * The tests' class path with Jetty serving instead of Tomcat: Spring Boot's Jetty module (kept
	 * off the tests' own class path) in, Tomcat out.
	 */
	private static String jettyClassPath() {
		String jetty = System.getProperty("cfork.test.spring-boot-jetty");
		assertThat(jetty).as("spring-boot-jetty's jar, set by the build").isNotBlank().doesNotContain("${");
		List<String> entries = new ArrayList<>(List.of(jetty));
		for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
			String name = Path.of(entry).getFileName().toString();
			if (!name.startsWith("tomcat-embed-") && !name.startsWith("spring-boot-tomcat-")
					&& !name.startsWith("spring-boot-starter-tomcat")) {
				entries.add(entry);
			}
		}
		return String.join(File.pathSeparator, entries);
	}

	@Test
	void aWorkerIsReadyOnceItsContextIsAndReplacedOnceItsLivenessIsBroken() throws Exception {
		int port = freePort();
		Duration watchdogTimeout = Duration.ofSeconds(2);
		this.master = startMaster(port, freePort(), "cfork.count=1", "cfork.readiness.type=notify",
				"cfork.liveness.type=watchdog", "cfork.liveness.watchdog-timeout=" + watchdogTimeout.toMillis() + "ms");
		WorkerPoolManager pool = this.master.getBean(WorkerPoolManager.class);
		await().atMost(START).until(() -> pool.snapshot().ready() == 1);
		WorkerSnapshot worker = pool.snapshot().worker(0).orElseThrow();
		Map<String, String> answer = JsonPath.parse(get(port, "/")).read("$");
		assertThat(answer).containsEntry("pid", Long.toString(worker.pid()));
		assertThat(worker.readyAt()).as("ready in the pool, after the worker's own ApplicationReadyEvent")
			.isAfterOrEqualTo(Instant.parse(answer.get("readyAt")));
		// Fed every half period: still the same worker, ready, past the watchdog's timeout.
		await().during(watchdogTimeout.plusMillis(500)).atMost(watchdogTimeout.multipliedBy(2))
			.until(() -> worker.pid().equals(pool.snapshot().worker(0).orElseThrow().pid())
					&& pool.snapshot().ready() == 1);
		assertThat(post(port, "/broken")).isEqualTo(Long.toString(worker.pid()));
		await().atMost(START).untilAsserted(() -> {
			WorkerSnapshot replacement = pool.snapshot().worker(0).orElseThrow();
			assertThat(replacement.pid()).isNotNull().isNotEqualTo(worker.pid());
			assertThat(replacement.readyAt()).isNotNull();
			assertThat(replacement.lastExit()).isNotNull();
			assertThat(replacement.lastExit().unexpected()).isTrue();
			assertThat(replacement.lastExit().reason()).contains("no WATCHDOG=1 within");
		});
		Proc.awaitGone(List.of(worker.pid()));
	}

	/**
	 * Starts the test application as the master of two workers that are the same application,
	 * with the master's socket on {@code port} and {@code server.port} set to {@code serverPort}
	 * for the workers (which must not bind it).
	 */
	private static ConfigurableApplicationContext startMaster(int port, int serverPort, String... properties) {
		List<String> all = new ArrayList<>(List.of("server.port=0", "spring.main.banner-mode=off",
				"cfork.java.main-class=" + WebWorkerApplication.class.getName(), "cfork.count=2",
				"cfork.listen[0].port=" + port, "cfork.listen[0].host=127.0.0.1",
				"cfork.env.SERVER_PORT=" + serverPort,
				"cfork.java.jvm-args=-XX:TieredStopAtLevel=1,-XX:+UseSerialGC,-Xss512k",
				"cfork.args=--spring.main.banner-mode=off"));
		all.addAll(List.of(properties));
		return new SpringApplicationBuilder(WebWorkerApplication.class).properties(all.toArray(String[]::new)).run();
	}

	/** One answer on the port, checked: from a worker of the pool, with its own LISTEN_PID. */
	private static String checkedAnswer(int port, List<Long> workers) throws IOException {
		Map<String, String> answer = JsonPath.parse(get(port, "/")).read("$");
		String pid = answer.get("pid");
		assertThat(workers).contains(Long.parseLong(pid));
		assertThat(answer).containsEntry("listenPid", pid).containsEntry("listenFds", "1");
		return pid;
	}

	/** A GET on a connection of its own, closed after the answer: the next one may reach another worker. */
	static String get(int port, String path) throws IOException {
		return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	}

	static String post(int port, String path) throws IOException {
		return exchange(port,
				"POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	}

	private static String exchange(int port, String request) throws IOException {
		try (Socket socket = new Socket("127.0.0.1", port)) {
			socket.setSoTimeout(10_000);
			OutputStream out = socket.getOutputStream();
			out.write(request.getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
			assertThat(response).startsWith("HTTP/1.1 200");
			String body = response.substring(response.indexOf("\r\n\r\n") + 4);
			// Chunked: the one chunk between its size line and the terminating zero chunk.
			if (response.toLowerCase().contains("transfer-encoding: chunked")) {
				body = body.substring(body.indexOf("\r\n") + 2, body.lastIndexOf("\r\n0\r\n"));
			}
			return body;
		}
	}

	static List<Long> workerPids(WorkerPoolManager pool) {
		return pool.snapshot().workers().stream().map(WorkerSnapshot::pid).filter((pid) -> pid != null).toList();
	}

	private static void signal(String signal, String pid) throws IOException, InterruptedException {
		assertThat(new ProcessBuilder("kill", "-" + signal, pid).start().waitFor()).isZero();
	}

	/** A free port whose next port is free too. */
	private static int freePortPair() throws IOException {
		for (int attempt = 0; attempt < 20; attempt++) {
			int port = freePort();
			try (ServerSocket next = new ServerSocket(port + 1)) {
				return port;
			}
			catch (IOException ex) {
				// taken: another pair
			}
		}
		throw new IllegalStateException("no two free ports in a row");
	}

	static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
