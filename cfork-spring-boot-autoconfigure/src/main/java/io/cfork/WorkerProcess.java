package io.cfork;

import java.util.function.IntConsumer;

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

}
