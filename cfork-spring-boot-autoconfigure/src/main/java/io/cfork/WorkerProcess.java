package io.cfork;

import java.util.function.IntConsumer;

import org.jspecify.annotations.Nullable;

/**
 * A running worker process, however it was started ({@link WorkerLauncher}). The pool sees a
 * worker only through this: its pid, its exit, and the two signals it sends.
 */
interface WorkerProcess {

	/**
	 * The process id.
	 * @return the pid
	 */
	long pid();

	/**
	 * Registers what to do once the process has exited and been reaped. Called once, on a thread
	 * of the launcher's, with the exit code as the JDK reports it ({@code 128 + N} for a death by
	 * signal {@code N}); the callback must only hand the exit on, never block.
	 * @param exitCode receives the exit code
	 */
	void onExit(IntConsumer exitCode);

	/**
	 * Asks the process to stop: SIGTERM.
	 */
	void terminate();

	/**
	 * Kills the process and its descendants: SIGKILL.
	 */
	void kill();

	/**
	 * Asks the process for a thread dump: SIGQUIT (a JVM prints one on its stdout and goes on).
	 */
	void quit();

	/**
	 * Of the lines read so far from the process's standard error, the one that best says why it
	 * died ({@link ErrorLines}); read without waiting for the pipe, so lines still in it are not
	 * seen.
	 * @return the line, or {@code null} if none was read (or output is not captured)
	 */
	@Nullable String lastErrorLine();

}
