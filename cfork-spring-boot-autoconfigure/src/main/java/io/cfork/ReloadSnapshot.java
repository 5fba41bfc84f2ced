package io.cfork;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * A rolling reload at one moment.
 *
 * @param generation the workers' generation the reload brings (the first is 1)
 * @param state where it is
 * @param replaced how many slots have been replaced so far
 * @param total how many slots it replaces
 * @param startedAt when it started
 * @param finishedAt when it ended, or {@code null} while in progress
 * @param reason why it failed, or {@code null}
 */
public record ReloadSnapshot(long generation, State state, int replaced, int total, Instant startedAt,
		@Nullable Instant finishedAt, @Nullable String reason) {

	/**
	 * Where a reload is.
	 */
	public enum State {

		/** Slots are being replaced. */
		IN_PROGRESS,

		/** Every slot was replaced. */
		DONE,

		/** A replacement exited or was not ready in time: the slots not yet replaced kept their workers. */
		FAILED

	}

}
