package io.cfork.sample;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A continuous HTTP load as wrk makes it: each connection sends one request after another and
 * never retries, so a socket error or a non-2xx response is counted as a failure. Half the
 * connections are kept alive (closed only after a response saying {@code Connection: close}), the
 * other half send {@code Connection: close} with every request.
 */
final class HttpLoad {

	private final int port;

	private final List<Thread> threads = new ArrayList<>();

	private final AtomicBoolean running = new AtomicBoolean(true);

	final AtomicInteger answered = new AtomicInteger();

	final AtomicInteger socketErrors = new AtomicInteger();

	final AtomicInteger non2xx = new AtomicInteger();

	/** The last body each worker (by its {@code X-Worker-Pid}) answered. */
	final Map<Long, String> lastBodyByPid = new ConcurrentHashMap<>();

	final List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();

	HttpLoad(int port, int connections) {
		this.port = port;
		for (int i = 0; i < connections; i++) {
			boolean keepAlive = (i % 2 == 0);
			Thread thread = new Thread(() -> run(keepAlive), "load-" + i + (keepAlive ? "-keep-alive" : "-close"));
			thread.setDaemon(true);
			this.threads.add(thread);
		}
	}

	HttpLoad start() {
		this.threads.forEach(Thread::start);
		return this;
	}

	void stop() throws InterruptedException {
		this.running.set(false);
		for (Thread thread : this.threads) {
			thread.join(10_000);
		}
	}

	int failed() {
		return this.socketErrors.get() + this.non2xx.get();
	}

	private void run(boolean keepAlive) {
		byte[] request = ("GET / HTTP/1.1\r\nHost: localhost:" + this.port + "\r\n"
				+ (keepAlive ? "" : "Connection: close\r\n") + "\r\n")
			.getBytes(StandardCharsets.US_ASCII);
		Socket socket = null;
		while (this.running.get()) {
			try {
				if (socket == null) {
					socket = new Socket();
					socket.connect(new InetSocketAddress("127.0.0.1", this.port), 5000);
					socket.setSoTimeout(5000);
				}
				OutputStream out = socket.getOutputStream();
				out.write(request);
				out.flush();
				boolean close = readResponse(new BufferedInputStream(socket.getInputStream(), 8192));
				if (close || !keepAlive) {
					socket.close();
					socket = null;
				}
			}
			catch (IOException ex) {
				this.socketErrors.incrementAndGet();
				this.errors.add(Thread.currentThread().getName() + ": " + ex);
				socket = close(socket);
			}
		}
		close(socket);
	}

	/**
	 * Reads one response (status line, headers, a {@code Content-Length} body) and counts it;
	 * returns whether the server said it closes the connection.
	 */
	private boolean readResponse(InputStream in) throws IOException {
		String status = line(in);
		int length = 0;
		long pid = -1;
		boolean close = false;
		for (String header = line(in); !header.isEmpty(); header = line(in)) {
			String lower = header.toLowerCase(Locale.ROOT);
			if (lower.startsWith("content-length:")) {
				length = Integer.parseInt(header.substring(15).trim());
			}
			else if (lower.startsWith("x-worker-pid:")) {
				pid = Long.parseLong(header.substring(13).trim());
			}
			else if (lower.startsWith("connection:") && lower.contains("close")) {
				close = true;
			}
		}
		String body = new String(in.readNBytes(length), StandardCharsets.US_ASCII);
		if (body.length() != length) {
			throw new IOException("the connection ended in a response's body");
		}
		if (status.startsWith("HTTP/1.1 2")) {
			this.answered.incrementAndGet();
			this.lastBodyByPid.put(pid, body);
		}
		else {
			this.non2xx.incrementAndGet();
			this.errors.add(status);
		}
		return close;
	}

	/**
	 * One request on a connection of its own (closed after the response): the answering worker's
	 * pid and the body.
	 */
	static Map.Entry<Long, String> once(int port) throws IOException {
		HttpLoad counter = new HttpLoad(port, 0);
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
			socket.setSoTimeout(5000);
			socket.getOutputStream()
				.write(("GET / HTTP/1.1\r\nHost: localhost:" + port + "\r\nConnection: close\r\n\r\n")
					.getBytes(StandardCharsets.US_ASCII));
			counter.readResponse(new BufferedInputStream(socket.getInputStream()));
		}
		if (counter.answered.get() != 1) {
			throw new IOException("not answered with a 2xx: " + counter.errors);
		}
		return counter.lastBodyByPid.entrySet().iterator().next();
	}

	private static String line(InputStream in) throws IOException {
		ByteArrayOutputStream line = new ByteArrayOutputStream();
		for (int b = in.read(); b != '\n'; b = in.read()) {
			if (b < 0) {
				throw new IOException("the connection ended in a response's head");
			}
			if (b != '\r') {
				line.write(b);
			}
		}
		return line.toString(StandardCharsets.US_ASCII);
	}

	private static Socket close(Socket socket) {
		if (socket != null) {
			try {
				socket.close();
			}
			catch (IOException ex) {
				// closing anyway
			}
		}
		return null;
	}

}
