package io.cfork;

/**
 * Status of a worker pool as a whole.
 *
 * @see PoolSnapshot#status()
 */
public enum PoolStatus {

	/** Forking the first workers; not all of them have lived {@code min-uptime} yet. */
	STARTING,

	/** As many workers alive as desired. */
	RUNNING,

	/** Fewer workers alive than desired; the missing ones are being reforked or will not be. */
	DEGRADED,

	/** The refork limit was reached: no worker is reforked until a restart or scale operation. */
	GAVE_UP,

	/** Stopping every worker. */
	STOPPING,

	/** Not started, or every worker has been stopped and reaped. */
	STOPPED

}
