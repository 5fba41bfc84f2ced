package io.cfork;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * The pool's own log lines, written by a thread of their own so that supervision never waits on
 * log I/O: with the master's stdout a full pipe, or a slow appender, the supervisor still reforks,
 * publishes snapshots and stops workers. Lines wait in a bounded queue; when it is full they are
 * dropped and counted, and the count is logged once the log moves again.
 * <p>
 * Lines added on the supervisor's thread are held until its task ends ({@link #release()}): waking
 * the writer costs a cross-CPU wake-up, which would otherwise delay the refork that an exit's line
 * precedes.
 */
final class PoolLog implements AutoCloseable {

	private static final int CAPACITY = 1024;

	private static final long CLOSE_WAIT_MILLIS = 2000;

	/** Held lines are handed to the writer once this many wait, even before the task ends. */
	private static final int HELD_MAX = 64;

	private final Logger logger;

	private final BooleanSupplier holding;

	/** Lines added while {@link #holding}; only that thread touches them. */
	private final List<Line> held = new ArrayList<>();

	private final BlockingQueue<Line> queue = new ArrayBlockingQueue<>(CAPACITY);

	private final AtomicLong dropped = new AtomicLong();

	private final Thread writer;

	private volatile boolean closed;

	/**
	 * @param holding whether the calling thread holds its lines until {@link #release()}
	 */
	PoolLog(Logger logger, String threadName, BooleanSupplier holding) {
		this.logger = logger;
		this.holding = holding;
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
		Line line = new Line(level, format, args);
		if (this.holding.getAsBoolean()) {
			this.held.add(line);
			if (this.held.size() >= HELD_MAX) {
				release();
			}
		}
		else {
			offer(line);
		}
	}

	/**
	 * Hands the lines held by the calling thread to the writer. Only from the holding thread.
	 */
	void release() {
		for (Line line : this.held) {
			offer(line);
		}
		this.held.clear();
	}

	private void offer(Line line) {
		if (!this.queue.offer(line)) {
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
		if (this.holding.getAsBoolean()) {
			release();
		}
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
