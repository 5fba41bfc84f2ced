package io.cfork;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The pool's own log lines, written by a thread of their own so that supervision never waits on
 * log I/O: with the master's stdout a full pipe, or a slow appender, the supervisor still reforks,
 * publishes snapshots and stops workers. Lines wait in a bounded queue; when it is full they are
 * dropped and counted, and the count is logged once the log moves again.
 */
final class PoolLog implements AutoCloseable {

	private static final int CAPACITY = 1024;

	private static final long CLOSE_WAIT_MILLIS = 2000;

	private final Logger logger;

	private final BlockingQueue<Line> queue = new ArrayBlockingQueue<>(CAPACITY);

	private final AtomicLong dropped = new AtomicLong();

	private final Thread writer;

	private volatile boolean closed;

	PoolLog(Logger logger, String threadName) {
		this.logger = logger;
		this.writer = new Thread(this::write, threadName);
		// A daemon: a log blocked for good must not keep the JVM alive.
		this.writer.setDaemon(true);
		this.writer.start();
	}

	void info(String format, Object... args) {
		add(Level.INFO, format, args);
	}

	void warn(String format, Object... args) {
		add(Level.WARN, format, args);
	}

	void error(String format, Object... args) {
		add(Level.ERROR, format, args);
	}

	/**
	 * How many lines were dropped because the log did not keep up.
	 * @return the number of lines
	 */
	long dropped() {
		return this.dropped.get();
	}

	private void add(Level level, String format, Object[] args) {
		if (!this.logger.isEnabledForLevel(level)) {
			return;
		}
		if (!this.queue.offer(new Line(level, format, args))) {
			this.dropped.incrementAndGet();
		}
	}

	private void write() {
		long reported = 0;
		while (!this.closed || !this.queue.isEmpty()) {
			try {
				Line line = this.queue.poll(100, TimeUnit.MILLISECONDS);
				if (line != null) {
					this.logger.atLevel(line.level()).log(line.format(), line.args());
				}
				long dropped = this.dropped.get();
				if (dropped > reported && this.queue.isEmpty()) {
					this.logger.warn("{} of the pool's log lines were dropped: the log did not keep up", dropped - reported);
					reported = dropped;
				}
			}
			catch (InterruptedException ex) {
				return;
			}
			catch (RuntimeException ex) {
				// A failing appender must not end the writer.
			}
		}
	}

	/**
	 * Writes what is queued, waiting for it a moment but never for a log that stays blocked.
	 */
	@Override
	public void close() {
		this.closed = true;
		try {
			this.writer.join(CLOSE_WAIT_MILLIS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private record Line(Level level, String format, Object[] args) {
	}

}
