package io.cfork;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link PoolLog}: a blocked log never blocks the caller.
 */
class PoolLogTests {

	private final LoggerContext context = new LoggerContext();

	private final Logger logger = this.context.getLogger("test.pool");

	private final BlockingAppender appender = new BlockingAppender();

	private PoolLog log;

	private volatile boolean holding;

	@AfterEach
	void unblock() {
		this.appender.gate.countDown();
		if (this.log != null) {
			this.log.close();
		}
		this.context.stop();
	}

	@Test
	void writesLinesInOrderOnAThreadOfItsOwn() {
		this.appender.gate.countDown();
		start();
		this.log.info("Worker {} (pid {}) started", 0, 42L);
		this.log.warn("Worker {} exited", 0);
		this.log.error("Refork limit reached");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.appender.lines.size() == 3);
		assertThat(this.appender.lines).containsExactly("INFO Worker 0 (pid 42) started", "WARN Worker 0 exited",
				"ERROR Refork limit reached");
		assertThat(this.appender.threads).containsOnly("cfork-test-log");
	}

	@Test
	void linesOfAHoldingThreadWaitForItsReleaseThenKeepTheirOrder() {
		this.appender.gate.countDown();
		start();
		this.log.info("before");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.appender.lines.size() == 1);
		this.holding = true;
		this.log.warn("Worker {} exited", 0);
		this.log.info("Worker {} started", 0);
		this.log.info("after");
		await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(1))
			.until(() -> this.appender.lines.size() == 1);
		this.log.release();
		await().atMost(Duration.ofSeconds(10)).until(() -> this.appender.lines.size() == 4);
		assertThat(this.appender.lines).containsExactly("INFO before", "WARN Worker 0 exited", "INFO Worker 0 started",
				"INFO after");
	}

	@Test
	void aHoldingThreadHandsItsLinesOnInBatchesWithoutARelease() {
		this.appender.gate.countDown();
		start();
		this.holding = true;
		for (int i = 0; i < 200; i++) {
			this.log.info("line {}", i);
		}
		await().atMost(Duration.ofSeconds(10)).until(() -> this.appender.lines.size() >= 128);
		assertThat(this.appender.lines).startsWith("INFO line 0", "INFO line 1");
	}

	@Test
	void aBlockedLogDropsAndCountsInsteadOfBlockingThenSaysHowManyWereDropped() {
		start();
		this.log.info("first");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.appender.entered.getCount() == 0);
		long started = System.nanoTime();
		for (int i = 0; i < 5000; i++) {
			this.log.info("line {}", i);
		}
		assertThat(Duration.ofNanos(System.nanoTime() - started)).as("5000 lines into a blocked log")
			.isLessThan(Duration.ofSeconds(5));
		// The first line is in the blocked appender, 1024 wait in the queue, the rest are dropped.
		assertThat(this.log.dropped()).isEqualTo(5000 - 1024);
		this.appender.gate.countDown();
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.appender.lines.stream().anyMatch((line) -> line.startsWith("WARN ")));
		assertThat(this.appender.lines).hasSize(1 + 1024 + 1)
			.last()
			.isEqualTo("WARN 3976 of the pool's log lines were dropped: the log did not keep up");
	}

	@Test
	void closeDoesNotWaitForABlockedLog() {
		start();
		this.log.info("stuck");
		await().atMost(Duration.ofSeconds(10)).until(() -> this.appender.entered.getCount() == 0);
		long started = System.nanoTime();
		this.log.close();
		assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
	}

	private void start() {
		this.appender.setContext(this.context);
		this.appender.start();
		this.logger.addAppender(this.appender);
		this.logger.setLevel(Level.INFO);
		this.logger.setAdditive(false);
		this.log = new PoolLog(this.logger, "cfork-test-log", () -> this.holding);
	}

	/**
	 * An appender that blocks, as a console does when its pipe is full, until the gate opens.
	 */
	private static final class BlockingAppender extends AppenderBase<ILoggingEvent> {

		final CountDownLatch gate = new CountDownLatch(1);

		final CountDownLatch entered = new CountDownLatch(1);

		final List<String> lines = new CopyOnWriteArrayList<>();

		final List<String> threads = new CopyOnWriteArrayList<>();

		@Override
		protected void append(ILoggingEvent event) {
			this.entered.countDown();
			try {
				this.gate.await(60, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			this.lines.add(event.getLevel() + " " + event.getFormattedMessage());
			this.threads.add(Thread.currentThread().getName());
		}

	}

}
