package io.cfork.sample;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The seed's worker: an HTTP/1.1 server on port 3001 that answers {@code hello fork}, or
 * {@code hello fork (version N)} once a version file is deployed. Every worker accepts on the one
 * socket the master listens on ({@code cfork.listen}), which it inherits as its stdin, as Node's
 * cluster shares its port; run on its own, it binds the port itself with {@code SO_REUSEPORT}.
 * Each response names the worker in headers ({@code X-Worker-Pid}, {@code X-Worker-Index}).
 * <p>
 * The version is read once, at start, from the file named by {@code HELLO_FORK_VERSION_FILE}
 * (relative to the working directory): deploy a new one, reload, and each new worker answers it.
 * <p>
 * On SIGTERM it drains, so that a reload or a stop fails no request: it stops accepting (the
 * master's socket goes on queueing for the other workers), finishes what is in flight, answers
 * the next request of each kept-alive connection with {@code Connection: close}, and exits once
 * every connection is closed (a connection that sends nothing more is closed after
 * {@link #IDLE_GRACE_MILLIS}).
 * <p>
 * Plain JDK and no Spring, so a worker is listening a few hundred milliseconds after its fork.
 */
public final class HelloForkWorker {

	/** How long a draining worker waits for the next request of an idle kept-alive connection. */
	static final long IDLE_GRACE_MILLIS = 2000;

	/** How long a draining worker waits at most for its connections, whatever they do. */
	static final long DRAIN_LIMIT_MILLIS = 10_000;

	private final ServerSocketChannel server;

	private final String headers;

	private final byte[] body;

	/** A thread per open connection, kept for the next one (the pool is never shut down). */
	private final ExecutorService connections = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "hello-fork-connection");
		thread.setDaemon(true);
		return thread;
	});

	private final Object lock = new Object();

	/** Open connections, and those of them in the middle of a request; guarded by {@link #lock}. */
	private int open;

	private int busy;

	private volatile boolean draining;

	HelloForkWorker(ServerSocketChannel server, String version, long pid, String index) {
		this.server = server;
		this.body = ((version != null) ? "hello fork (version " + version + ")\n" : "hello fork\n")
			.getBytes(StandardCharsets.US_ASCII);
		this.headers = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + this.body.length
				+ "\r\nX-Worker-Pid: " + pid + "\r\nX-Worker-Index: " + index + "\r\n";
	}

	public static void main(String[] args) throws IOException {
		int port = Integer.parseInt(System.getenv().getOrDefault("HELLO_FORK_PORT", "3001"));
		long pid = ProcessHandle.current().pid();
		String index = System.getenv().getOrDefault("CFORK_WORKER_INDEX", "-");
		String version = version(System.getenv("HELLO_FORK_VERSION_FILE"));
		HelloForkWorker worker = new HelloForkWorker(listeningSocket(port), version, pid, index);
		Thread acceptor = Thread.currentThread();
		Runtime.getRuntime().addShutdownHook(new Thread(() -> worker.drain(acceptor), "hello-fork-drain"));
		System.out.println("the server is start at port " + port + ", PID=" + pid
				+ ((version != null) ? ", version " + version : ""));
		worker.acceptUntilClosed();
	}

	/**
	 * The version deployed in the given file (its first line), or {@code null} without one.
	 */
	static String version(String file) throws IOException {
		if (file == null || file.isBlank() || !Files.isRegularFile(Path.of(file))) {
			return null;
		}
		String version = Files.readString(Path.of(file), StandardCharsets.UTF_8).strip().lines().findFirst().orElse("");
		return version.isEmpty() ? null : version;
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

	void acceptUntilClosed() throws IOException {
		while (true) {
			SocketChannel connection;
			try {
				connection = this.server.accept();
			}
			catch (ClosedChannelException ex) {
				return;
			}
			synchronized (this.lock) {
				this.open++;
			}
			this.connections.execute(() -> serve(connection));
		}
	}

	/**
	 * SIGTERM: stops accepting, then waits until every connection is closed, or until only idle ones
	 * are left past the grace period. The JVM exits when this returns.
	 */
	void drain(Thread acceptor) {
		this.draining = true;
		try {
			// A connection the kernel already queued stays on the master's socket for another worker.
			this.server.close();
			// One accepted just before the close is counted before the wait below.
			acceptor.join(1000);
			long start = System.currentTimeMillis();
			synchronized (this.lock) {
				while (this.open > 0) {
					long elapsed = System.currentTimeMillis() - start;
					if ((elapsed >= IDLE_GRACE_MILLIS && this.busy == 0) || elapsed >= DRAIN_LIMIT_MILLIS) {
						return;
					}
					this.lock.wait(Math.max(1, ((this.busy == 0) ? IDLE_GRACE_MILLIS : DRAIN_LIMIT_MILLIS) - elapsed));
				}
			}
		}
		catch (IOException ex) {
			// exiting anyway
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Answers the requests of one connection, keeping it alive unless the client asked otherwise or
	 * the worker drains, in which case the response says {@code Connection: close}.
	 */
	private void serve(SocketChannel connection) {
		ByteBuffer buffer = ByteBuffer.allocate(8192);
		try (connection) {
			boolean keepAlive = true;
			while (keepAlive) {
				int end = readRequest(connection, buffer);
				if (end < 0) {
					return;
				}
				String head = new String(buffer.array(), 0, end, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
				keepAlive = !this.draining && wantsKeepAlive(head);
				try {
					write(connection, keepAlive);
				}
				finally {
					synchronized (this.lock) {
						this.busy--;
						this.lock.notifyAll();
					}
				}
				// What the client sent after this request's headers is the start of the next one.
				buffer.limit(buffer.position()).position(end);
				buffer.compact();
			}
		}
		catch (IOException ex) {
			// The client went away: nothing to answer.
		}
		finally {
			synchronized (this.lock) {
				this.open--;
				this.lock.notifyAll();
			}
		}
	}

	/**
	 * Reads until the blank line that ends a request's headers; the request counts as in flight
	 * from its first byte. Returns the offset just past the headers, or -1 if the connection ended
	 * (or sent more than a buffer of headers) first.
	 */
	private int readRequest(SocketChannel connection, ByteBuffer buffer) throws IOException {
		boolean counted = false;
		try {
			while (true) {
				if (buffer.position() > 0 && !counted) {
					synchronized (this.lock) {
						this.busy++;
					}
					counted = true;
				}
				int end = endOfHeaders(buffer);
				if (end > 0) {
					counted = false;
					return end;
				}
				if (!buffer.hasRemaining() || connection.read(buffer) < 0) {
					return -1;
				}
			}
		}
		finally {
			if (counted) {
				synchronized (this.lock) {
					this.busy--;
				}
			}
		}
	}

	private void write(SocketChannel connection, boolean keepAlive) throws IOException {
		byte[] head = (this.headers + (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
			.getBytes(StandardCharsets.US_ASCII);
		ByteBuffer response = ByteBuffer.allocate(head.length + this.body.length).put(head).put(this.body).flip();
		while (response.hasRemaining()) {
			connection.write(response);
		}
	}

	/** HTTP/1.1 keeps the connection unless it says close; HTTP/1.0 only if it says keep-alive. */
	private static boolean wantsKeepAlive(String head) {
		boolean http11 = head.substring(0, Math.max(0, head.indexOf('\r'))).endsWith("http/1.1");
		return http11 ? !head.contains("\r\nconnection: close") : head.contains("\r\nconnection: keep-alive");
	}

	private static int endOfHeaders(ByteBuffer buffer) {
		byte[] bytes = buffer.array();
		for (int i = 3; i < buffer.position(); i++) {
			if (bytes[i - 3] == '\r' && bytes[i - 2] == '\n' && bytes[i - 1] == '\r' && bytes[i] == '\n') {
				return i + 1;
			}
		}
		return -1;
	}

}
