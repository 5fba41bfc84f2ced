package io.cfork;

import org.jspecify.annotations.Nullable;
import org.slf4j.event.Level;

/**
 * Receives each line a worker prints, on standard output and standard error.
 * <p>
 * Called on a thread of the launcher's, in order for each stream of each worker; the two streams
 * of one worker are not ordered against each other.
 */
@FunctionalInterface
public interface WorkerOutput {

	/**
	 * One line of a worker's output, without its line terminator, as the worker printed it.
	 * @param index the worker's slot index
	 * @param pid the worker's process id
	 * @param stream the stream it printed the line on
	 * @param line the line
	 */
	void line(int index, long pid, Stream stream, String line);

	/**
	 * Output to the SLF4J logger {@code cfork.worker}, tagged with index and pid: standard output
	 * at INFO, standard error at WARN.
	 * @return the output
	 */
	static WorkerOutput toLog() {
		return toLog(Level.INFO, Level.WARN);
	}

	/**
	 * Output to the SLF4J logger {@code cfork.worker}, tagged with index and pid, each stream at
	 * its own level. Control characters but tabs are escaped ({@code \r}, {@code \x1b}), so a
	 * worker cannot rewrite the log's lines on a terminal.
	 * @param stdoutLevel the level of standard output lines, or {@code null} to drop them
	 * @param stderrLevel the level of standard error lines, or {@code null} to drop them
	 * @return the output
	 */
	static WorkerOutput toLog(@Nullable Level stdoutLevel, @Nullable Level stderrLevel) {
		return new Slf4jWorkerOutput(stdoutLevel, stderrLevel);
	}

	/**
	 * A worker's output stream.
	 */
	enum Stream {

		/** Standard output. */
		STDOUT,

		/** Standard error. */
		STDERR

	}

}
