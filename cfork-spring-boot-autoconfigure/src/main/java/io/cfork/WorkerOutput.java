package io.cfork;

/**
 * Receives each line a worker prints (standard output and standard error, merged in order).
 * <p>
 * Called on the worker's output thread, one line at a time per worker.
 */
@FunctionalInterface
public interface WorkerOutput {

	/**
	 * One line of a worker's output, without its line terminator.
	 * @param index the worker's slot index
	 * @param pid the worker's process id
	 * @param line the line
	 */
	void line(int index, long pid, String line);

	/**
	 * Output to the SLF4J logger {@code cfork.worker} at INFO, tagged with index and pid.
	 * @return the output
	 */
	static WorkerOutput toLog() {
		return Slf4jWorkerOutput.INSTANCE;
	}

}
