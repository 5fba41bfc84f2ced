package io.cfork.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The seed's worker: an HTTP server on port 3001 that answers {@code hello fork}. Every worker
 * accepts on the one socket the master listens on ({@code cfork.listen}), which it inherits as its
 * stdin, as Node's cluster shares its port; run on its own, it binds the port itself with
 * {@code SO_REUSEPORT}. Each response names the worker in headers
 * ({@code X-Worker-Pid}, {@code X-Worker-Index}).
 * <p>
 * Plain JDK and no Spring, so a worker is listening a few hundred milliseconds after its fork.
 */
public final class HelloForkWorker {

	private static final byte[] BODY = "hello fork\n".getBytes(StandardCharsets.US_ASCII);

	private HelloForkWorker() {
	}

	public static void main(String[] args) throws IOException {
		int port = Integer.parseInt(System.getenv().getOrDefault("HELLO_FORK_PORT", "3001"));
		long pid = ProcessHandle.current().pid();
		String index = System.getenv().getOrDefault("CFORK_WORKER_INDEX", "-");
		ServerSocketChannel server = listeningSocket(port);
		byte[] head = ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + BODY.length
				+ "\r\nX-Worker-Pid: " + pid + "\r\nX-Worker-Index: " + index + "\r\nConnection: close\r\n\r\n")
			.getBytes(StandardCharsets.US_ASCII);
		ExecutorService connections = Executors.newFixedThreadPool(4, (task) -> {
			Thread thread = new Thread(task, "hello-fork-connection");
			thread.setDaemon(true);
			return thread;
		});
		// SIGTERM: stop accepting, and let the JVM exit.
		Runtime.getRuntime().addShutdownHook(new Thread(() -> close(server)));
		System.out.println("the server is start at port " + port + ", PID=" + pid);
		while (server.isOpen()) {
			try {
				SocketChannel connection = server.accept();
				connections.execute(() -> answer(connection, head));
			}
			catch (ClosedChannelException ex) {
				break;
			}
		}
	}

	/**
	 * The master's socket, inherited as stdin ({@code cfork.listen}); else a socket of this worker's
	 * own on the port, with {@code SO_REUSEPORT} so that every worker can bind it.
	 */
	private static ServerSocketChannel listeningSocket(int port) throws IOException {
		if (System.inheritedChannel() instanceof ServerSocketChannel inherited) {
			return inherited;
		}
		ServerSocketChannel server = ServerSocketChannel.open();
		server.setOption(StandardSocketOptions.SO_REUSEPORT, true);
		server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
		server.bind(new InetSocketAddress(port), 1024);
		return server;
	}

	/**
	 * Reads the request up to the end of its headers and answers {@code hello fork}.
	 */
	static void answer(SocketChannel connection, byte[] head) {
		try (connection) {
			ByteBuffer request = ByteBuffer.allocate(8192);
			while (request.hasRemaining() && connection.read(request) > 0 && !endOfHeaders(request)) {
				// read until the blank line that ends the headers
			}
			ByteBuffer response = ByteBuffer.allocate(head.length + BODY.length).put(head).put(BODY).flip();
			while (response.hasRemaining()) {
				connection.write(response);
			}
		}
		catch (IOException ex) {
			// The client went away: nothing to answer.
		}
	}

	private static boolean endOfHeaders(ByteBuffer request) {
		int end = request.position();
		return end >= 4 && request.get(end - 4) == '\r' && request.get(end - 3) == '\n' && request.get(end - 2) == '\r'
				&& request.get(end - 1) == '\n';
	}

	private static void close(ServerSocketChannel server) {
		try {
			server.close();
		}
		catch (IOException ex) {
			// closing anyway
		}
	}

}
