package io.cfork.autoconfigure.worker;

import java.io.IOException;
import java.nio.channels.Channel;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.catalina.connector.Connector;
import org.apache.coyote.AbstractProtocol;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Hands the pool's socket back when the worker shuts down, before the web server's shutdown, so
 * that a rolling reload fails no request:
 * <ol>
 * <li>pauses each connector on the inherited socket and closes this worker's copy of the socket.
 * Tomcat's acceptor is blocked in {@code accept()} on the socket the whole pool shares, and a paused
 * Tomcat destroys the next connection it accepts, one another worker would have served; closing the
 * channel wakes the acceptor without taking a connection, so every queued connection stays on the
 * master's socket (the master's and the other workers' descriptors stay open);</li>
 * <li>turns keep-alive off beforehand, so that every response says {@code Connection: close}, and
 * waits for the connections to close, at most {@link #CONNECTIONS_GRACE}: a kept-alive connection
 * that Tomcat closes (a paused one after its current response, a stopped one at once) races the
 * client's next request on it.</li>
 * </ol>
 */
class InheritedSocketTomcatRelease implements SmartLifecycle {

	/**
	 * How long a worker waits for its kept-alive connections to close before it stops; one that
	 * sends nothing more is closed then.
	 */
	static final long CONNECTIONS_GRACE = TimeUnit.SECONDS.toMillis(2);

	/**
	 * How long keep-alive is off before the connector pauses, for the requests in flight to be
	 * answered with {@code Connection: close}.
	 */
	static final long KEEP_ALIVE_OFF_WAIT = 200;

	private static final Logger logger = LoggerFactory.getLogger(InheritedSocketTomcatRelease.class);

	private static final long PAUSE_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);

	private final List<Connector> connectors = new CopyOnWriteArrayList<>();

	private volatile boolean running;

	void add(Connector connector) {
		this.connectors.add(connector);
	}

	@Override
	public void start() {
		this.running = true;
	}

	@Override
	public void stop() {
		this.running = false;
		// Keep-alive off first: a paused Tomcat closes each connection after its current response,
		// which must say so. Requests in flight now are answered before the pause unless slower
		// than KEEP_ALIVE_OFF_WAIT.
		for (Connector connector : this.connectors) {
			connector.setProperty("maxKeepAliveRequests", "1");
		}
		awaitConnectionsClose(KEEP_ALIVE_OFF_WAIT);
		for (Connector connector : this.connectors) {
			stopAccepting(connector);
		}
		long left = awaitConnectionsClose(CONNECTIONS_GRACE);
		logger.debug("Stopped accepting on the inherited socket; connections {}",
				(left > 0) ? "closed" : "still open after " + CONNECTIONS_GRACE + " ms");
	}

	private long awaitConnectionsClose(long millis) {
		long left = millis;
		for (Connector connector : this.connectors) {
			left = connector.getProtocolHandler().awaitConnectionsClose(left);
		}
		return left;
	}

	private void stopAccepting(Connector connector) {
		// pause() first (a paused acceptor idles instead of accepting again), and close the channel
		// while pause() waits for the acceptor to leave accept(): pause() wakes it with a connection
		// of its own, and on a shared socket the kernel may hand it a client's instead.
		Thread closer = new Thread(() -> closeOncePaused(connector), "cfork-inherited-socket-release");
		closer.start();
		try {
			connector.pause();
			closer.join(TimeUnit.NANOSECONDS.toMillis(PAUSE_WAIT_NANOS) + 1000);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void closeOncePaused(Connector connector) {
		long deadline = System.nanoTime() + PAUSE_WAIT_NANOS;
		// The NIO connector's protocol, the only one that accepts on an inherited socket.
		while (connector.getProtocolHandler() instanceof AbstractProtocol<?> protocol && !protocol.isPaused()
				&& System.nanoTime() - deadline < 0) {
			LockSupport.parkNanos(50_000);
		}
		try {
			Channel inherited = System.inheritedChannel();
			if (inherited != null) {
				// close(), never shutdown(): that would stop the socket for the whole pool.
				inherited.close();
			}
		}
		catch (IOException ex) {
			logger.debug("Could not close the inherited listening socket", ex);
		}
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	@Override
	public int getPhase() {
		// Stopped before the web server's graceful shutdown, which would pause the connector.
		return WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE + 1;
	}

}
