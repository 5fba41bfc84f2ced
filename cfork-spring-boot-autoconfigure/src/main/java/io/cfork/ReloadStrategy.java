package io.cfork;

/**
 * How a worker is replaced by a reload, a restart or a recycle.
 */
public enum ReloadStrategy {

	/**
	 * The replacement starts beside the current worker, which is stopped once the replacement is
	 * ready: no moment without a worker. Needs workers that can run twice at once (a shared or
	 * master-owned port).
	 */
	START_FIRST,

	/**
	 * The current worker is stopped, then the replacement started: for workers that cannot run
	 * twice at once (a port of their own from {@code increment-env}).
	 */
	STOP_FIRST

}
