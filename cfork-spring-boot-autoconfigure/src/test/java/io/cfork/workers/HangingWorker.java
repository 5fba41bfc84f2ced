package io.cfork.workers;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpServer;

/**
 * A Java worker for liveness tests: serves {@code GET /} on port {@code $PORT} with 200, and hangs
 * every request (a stuck request thread) once {@code /hang} was requested.
 */
public final class HangingWorker {

	private static volatile boolean hung;

	private HangingWorker() {
	}

	public static void main(String[] args) throws IOException {
		int port = Integer.parseInt(System.getenv("PORT"));
		HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
		server.setExecutor(Executors.newFixedThreadPool(4, (task) -> new Thread(task, "request-handler")));
		CountDownLatch never = new CountDownLatch(1);
		server.createContext("/", (exchange) -> {
			if (exchange.getRequestURI().getPath().equals("/hang")) {
				hung = true;
			}
			if (hung) {
				try {
					never.await();
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
			exchange.sendResponseHeaders(200, body.length);
			try (OutputStream out = exchange.getResponseBody()) {
				out.write(body);
			}
		});
		server.start();
		System.out.println("serving on " + port);
	}

}
