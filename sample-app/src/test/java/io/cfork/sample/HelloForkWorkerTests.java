package io.cfork.sample;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's worker as a real process: its version from the file on disk, and its drain on
 * SIGTERM (the next request of a kept-alive connection answered with {@code Connection: close},
 * then the exit).
 */
class HelloForkWorkerTests {

	@TempDir
	Path directory;

	private Process worker;

	private int port;

	@AfterEach
	void stopTheWorker() throws InterruptedException {
		if (this.worker != null) {
			this.worker.destroyForcibly();
			assertThat(this.worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
		}
	}

	@Test
	void answersTheVersionOnDiskAtItsStart() throws Exception {
		Files.writeString(this.directory.resolve("hello-fork.version"), "7\n");
		start();
		try (Socket connection = connect()) {
			List<String> response = request(connection);
			assertThat(response.get(0)).isEqualTo("HTTP/1.1 200 OK");
			assertThat(response).doesNotContain("Connection: close").last().isEqualTo("hello fork (version 7)");
		}
	}

	@Test
	void drainsOnSigterm() throws Exception {
		start();
		try (Socket kept = connect(); Socket idle = connect()) {
			assertThat(request(kept)).doesNotContain("Connection: close").last().isEqualTo("hello fork");
			assertThat(request(idle)).doesNotContain("Connection: close");
			this.worker.destroy();
			// Still alive: the kept-alive connections are open, and the next request gets an answer.
			assertThat(this.worker.waitFor(300, TimeUnit.MILLISECONDS)).isFalse();
			List<String> last = request(kept);
			assertThat(last).contains("Connection: close").last().isEqualTo("hello fork");
			assertThat(kept.getInputStream().read()).as("the connection closed after its last response").isEqualTo(-1);
			// The idle one is closed after the grace period, then the worker exits.
			assertThat(this.worker.waitFor(10, TimeUnit.SECONDS)).isTrue();
			assertThat(this.worker.exitValue()).isEqualTo(143);
			assertThat(idle.getInputStream().read()).isEqualTo(-1);
		}
		try (Socket refused = new Socket()) {
			assertThat(refused).satisfies((socket) -> org.assertj.core.api.Assertions
				.assertThatIOException()
				.isThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", this.port), 2000)));
		}
	}

	private void start() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			this.port = socket.getLocalPort();
		}
		ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
				"-cp", System.getProperty("java.class.path"), HelloForkWorker.class.getName())
			.directory(this.directory.toFile())
			.redirectErrorStream(true);
		builder.environment().put("HELLO_FORK_PORT", Integer.toString(this.port));
		builder.environment().put("HELLO_FORK_VERSION_FILE", "hello-fork.version");
		this.worker = builder.start();
		BufferedReader output = new BufferedReader(new InputStreamReader(this.worker.getInputStream()));
		assertThat(output.readLine()).startsWith("the server is start at port " + this.port);
	}

	private Socket connect() throws IOException {
		Socket socket = new Socket();
		socket.connect(new InetSocketAddress("127.0.0.1", this.port), 2000);
		socket.setSoTimeout(5000);
		return socket;
	}

	/** One request on the connection: the response's lines, head and body. */
	private static List<String> request(Socket connection) throws IOException {
		OutputStream out = connection.getOutputStream();
		out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
		out.flush();
		List<String> lines = new ArrayList<>();
		StringBuilder line = new StringBuilder();
		int length = -1;
		while (true) {
			int b = connection.getInputStream().read();
			assertThat(b).as("a byte of the response").isNotNegative();
			if (b == '\n') {
				String text = line.toString().stripTrailing();
				line.setLength(0);
				if (text.isEmpty()) {
					break;
				}
				lines.add(text);
				if (text.startsWith("Content-Length: ")) {
					length = Integer.parseInt(text.substring(16));
				}
			}
			else {
				line.append((char) b);
			}
		}
		lines.add(new String(connection.getInputStream().readNBytes(length), StandardCharsets.US_ASCII).strip());
		return lines;
	}

}
