package io.cfork;

import java.util.List;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.LoggerFactory;

/**
 * Captures what a pool logs: its own lines ({@link WorkerPoolManager}'s logger) and its workers'
 * output ({@code cfork.worker}), during each test of the class that registers it
 * ({@code @RegisterExtension}).
 */
final class PoolLogCapture implements BeforeEachCallback, AfterEachCallback {

	static final String POOL = WorkerPoolManager.class.getName();

	static final String WORKER = "cfork.worker";

	private final ListAppender<ILoggingEvent> log = new ListAppender<>();

	private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger(POOL),
			(Logger) LoggerFactory.getLogger(WORKER));

	@Override
	public void beforeEach(ExtensionContext context) {
		this.log.start();
		this.loggers.forEach((logger) -> {
			logger.addAppender(this.log);
			logger.setLevel(Level.INFO);
		});
	}

	@Override
	public void afterEach(ExtensionContext context) {
		this.loggers.forEach((logger) -> logger.detachAppender(this.log));
	}

	/**
	 * The messages logged so far.
	 * @param level only those of this level, or {@code null} for all
	 * @param logger only those of this logger
	 * @return the formatted messages
	 */
	List<String> lines(@Nullable Level level, String logger) {
		return List.copyOf(this.log.list)
			.stream()
			.filter((event) -> (level == null || event.getLevel() == level) && event.getLoggerName().equals(logger))
			.map(ILoggingEvent::getFormattedMessage)
			.toList();
	}

}
