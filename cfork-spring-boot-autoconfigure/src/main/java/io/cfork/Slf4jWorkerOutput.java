package io.cfork;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * {@link WorkerOutput} to the SLF4J logger {@code cfork.worker}.
 */
final class Slf4jWorkerOutput implements WorkerOutput {

	private static final Logger logger = LoggerFactory.getLogger("cfork.worker");

	private final @Nullable Level stdoutLevel;

	private final @Nullable Level stderrLevel;

	Slf4jWorkerOutput(@Nullable Level stdoutLevel, @Nullable Level stderrLevel) {
		this.stdoutLevel = stdoutLevel;
		this.stderrLevel = stderrLevel;
	}

	@Override
	public void line(int index, long pid, Stream stream, String line) {
		Level level = (stream == Stream.STDERR) ? this.stderrLevel : this.stdoutLevel;
		if (level != null && logger.isEnabledForLevel(level)) {
			logger.atLevel(level).log("[worker {} pid {}] {}", index, pid, ControlCharacters.escape(line));
		}
	}

}
