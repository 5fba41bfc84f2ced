package io.cfork;

import java.util.Locale;

/**
 * Why a worker process was forked.
 */
public enum ForkCause {

	/** One of the pool's first workers. */
	START,

	/** Replacing a worker that exited unexpectedly. */
	REFORK,

	/** An operator restarted the worker. */
	RESTART,

	/** An operator scaled the pool up (or resumed it after the refork limit with a scale). */
	SCALE,

	/** A rolling reload replaced the worker with one running the current files on disk. */
	RELOAD,

	/** The worker was replaced for its resources: past {@code max-memory} or {@code max-lifetime}. */
	RECYCLE;

	/**
	 * The cause as a lower-case tag value ({@code start}, {@code refork}, ...).
	 * @return the tag value
	 */
	public String tag() {
		return name().toLowerCase(Locale.ROOT);
	}

}
