package io.cfork;

/**
 * State of one slot of the pool.
 *
 * @see WorkerSnapshot#state()
 */
public enum WorkerState {

	/** The process is alive but has not yet lived {@code min-uptime}. */
	STARTING,

	/** The process has lived at least {@code min-uptime}. */
	RUNNING,

	/** The process exited unexpectedly; the slot waits out its backoff delay before a refork. */
	BACKOFF,

	/** The pool asked the process to stop (SIGTERM, then SIGKILL after the shutdown timeout). */
	STOPPING,

	/** The process exited and will not be reforked. */
	EXITED

}
