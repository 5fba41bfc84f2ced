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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

import com.jayway.jsonpath.JsonPath;
import io.cfork.workers.InheritedChannelWorker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Sockets owned by the master ({@code cfork.listen}): bound once, inherited by every worker with
 * systemd's socket-activation variables, by Node workers and by a Java worker through
 * {@code System.inheritedChannel()}.
 */
@EnabledOnOs(OS.LINUX)
class ListenTests {

	private static final Duration WAIT = Duration.ofSeconds(30);

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private WorkerPoolManager pool;

	@TempDir
	Path directory;

	@AfterEach
	void stopThePool() {
		Proc.stopAndCheckReaped(this.pool);
	}

	@Test
	void nodeWorkersShareTheMastersPortAndSeeTheirOwnListenPid() throws Exception {
		int port = freePort();
		Files.writeString(this.directory.resolve("worker.js"), """
				require('http').createServer((req, res) => {
				  // A connection of its own for each request: the next one may go to another worker.
				  res.setHeader('Connection', 'close');
				  res.end(JSON.stringify({ pid: process.pid, listenPid: process.env.LISTEN_PID,
				      fds: process.env.LISTEN_FDS, names: process.env.LISTEN_FDNAMES }));
				}).listen({ fd: 3 }, () => console.log('listening on fd 3'));
				""");
		start(WorkerCommand.exec("node", List.of("worker.js")), (options) -> options.count(3)
			.listen(List.of(new ListenAddress(port, "127.0.0.1", 128, "http")))
			.readiness(ReadinessCheck.log("listening on fd 3")));
		await().atMost(WAIT).until(() -> this.pool.snapshot().ready() == 3);
		Set<Long> workers = new HashSet<>(this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList());
		// Whichever worker accepts answers: stop the one that did, and another answers on the same port.
		Set<String> answeredBy = new HashSet<>();
		String first = checkedAnswer(port, workers);
		answeredBy.add(first);
		ProcessHandle stopped = ProcessHandle.of(Long.parseLong(first)).orElseThrow();
		new ProcessBuilder("kill", "-STOP", first).start().waitFor();
		try {
			answeredBy.add(checkedAnswer(port, workers));
		}
		finally {
			new ProcessBuilder("kill", "-CONT", first).start().waitFor();
		}
		assertThat(stopped.isAlive()).isTrue();
		assertThat(answeredBy).as("workers that answered on the one port").hasSize(2);
		Set<String> listening = ListeningSockets.listeningInodes(port);
		assertThat(listening).as("the one listening socket of the port").hasSize(1);
		for (long worker : workers) {
			assertThat(Files.readSymbolicLink(Path.of("/proc/" + worker + "/fd/3")).toString())
				.as("descriptor 3 of worker %d", worker)
				.isEqualTo("socket:[" + listening.iterator().next() + "]");
		}
	}

	@Test
	void aKilledWorkerNeverMakesThePortUnavailable() throws Exception {
		int port = freePort();
		Files.writeString(this.directory.resolve("worker.js"),
				"require('http').createServer((q, s) => s.end('ok')).listen({ fd: 3 });");
		start(WorkerCommand.exec("node", List.of("worker.js")), (options) -> options.count(1)
			.listen(List.of(ListenAddress.port(port))));
		await().atMost(WAIT).until(() -> answers(port));
		long first = this.pool.snapshot().worker(0).orElseThrow().pid();
		ProcessHandle.of(first).orElseThrow().destroyForcibly();
		// The master holds the socket: a connection waits in its queue for the refork, never refused.
		assertThat(get(port)).isEqualTo("ok");
		assertThat(this.pool.snapshot().worker(0).orElseThrow().pid()).isNotEqualTo(first);
	}

	@Test
	void aJavaWorkerAdoptsTheSocketAsItsInheritedChannel() throws Exception {
		int port = freePort();
		start(WorkerCommand.java(InheritedChannelWorker.class.getName(), null, List.of(), List.of()),
				(options) -> options.count(2).listen(List.of(ListenAddress.port(port))));
		assertThat(this.pool.getOptions().listenStdin()).isTrue();
		await().atMost(WAIT).until(() -> answers(port));
		assertThat(get(port)).startsWith("java pid ");
	}

	@Test
	void anAddressInUseIsRefusedNamingThePortAndWhatHoldsIt() throws Exception {
		try (ServerSocket taken = new ServerSocket(0)) {
			int port = taken.getLocalPort();
			this.pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
				.count(1)
				.listen(List.of(ListenAddress.port(port)))
				.build());
			assertThatExceptionOfType(InvalidPoolOptionException.class).isThrownBy(this.pool::start)
				.satisfies((ex) -> {
					assertThat(ex.getOption()).isEqualTo("listen[0].port");
					assertThat(ex.getProblem()).contains("*:" + port + " is already in use by pid "
							+ ProcessHandle.current().pid());
				});
			assertThat(this.pool.isRunning()).isFalse();
			assertThat(Proc.workerChildren()).isEmpty();
		}
	}

	@Test
	void listenNeedsTheNativeLauncherAndAResolvableHost() {
		WorkerCommand sleep = WorkerCommand.exec("sleep", List.of("3600"));
		assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> PoolOptions.builder(sleep)
				.launcher(Launcher.JDK)
				.listen(List.of(ListenAddress.port(3001)))
				.build())
			.satisfies((ex) -> assertThat(ex.getProblem()).contains("needs the native launcher"));
		assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> PoolOptions.builder(sleep).listen(List.of(ListenAddress.port(70000))).build())
			.satisfies((ex) -> assertThat(ex.getOption()).isEqualTo("listen[0].port"));
		assertThatExceptionOfType(InvalidPoolOptionException.class)
			.isThrownBy(() -> PoolOptions.builder(sleep)
				.listen(List.of(ListenAddress.port(3001)))
				.readiness(ReadinessCheck.port(3001))
				.build())
			.satisfies((ex) -> assertThat(ex.getProblem()).contains("answers for any worker"));
		this.pool = new WorkerPoolManager(PoolOptions.builder(sleep)
			.listen(List.of(new ListenAddress(3001, "no-such-host.invalid", 10, null)))
			.build());
		assertThatExceptionOfType(InvalidPoolOptionException.class).isThrownBy(this.pool::start)
			.satisfies((ex) -> assertThat(ex.getOption()).isEqualTo("listen[0].host"));
	}

	/**
	 * One answer on the port, checked: from a worker of the pool, with its own LISTEN_PID.
	 * @return the pid that answered
	 */
	private String checkedAnswer(int port, Set<Long> workers) throws Exception {
		Map<String, Object> answer = JsonPath.parse(get(port)).read("$");
		String pid = String.valueOf(answer.get("pid"));
		assertThat(workers).contains(Long.parseLong(pid));
		assertThat(answer).containsEntry("listenPid", pid).containsEntry("fds", "1").containsEntry("names", "http");
		return pid;
	}

	private void start(WorkerCommand command, UnaryOperator<PoolOptions.Builder> customizer) {
		this.pool = new WorkerPoolManager(customizer.apply(PoolOptions.builder(command).workingDirectory(this.directory))
			.build());
		this.pool.start();
	}

	private boolean answers(int port) {
		try {
			get(port);
			return true;
		}
		catch (IOException ex) {
			return false;
		}
	}

	private String get(int port) throws IOException {
		try {
			return this.http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
				.timeout(Duration.ofSeconds(10))
				.build(), HttpResponse.BodyHandlers.ofString()).body();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IOException(ex);
		}
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
