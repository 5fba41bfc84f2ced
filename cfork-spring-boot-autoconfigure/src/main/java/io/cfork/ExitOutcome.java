package io.cfork;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * What follows a worker's exit, as {@link ExitPolicy} decided it.
 *
 * @param next the slot's next state: {@link SlotState#NEW} (fork again now, with
 * {@link #forkCause()}), {@link SlotState#BACKOFF} (refork after {@link #delay()}),
 * {@link SlotState#EXITED}, {@link SlotState#SUSPENDED} (refork limit reached) or
 * {@link SlotState#REMOVED}
 * @param forkCause with {@code NEW}: why the slot is forked again
 * @param unexpected whether the pool did not ask the worker to stop
 * @param youngDeaths the slot's consecutive young deaths after this exit
 * @param delay with {@code BACKOFF}: the delay before the refork
 * @param description what happens, for the exit's log line ({@code reforking in 200ms})
 */
record ExitOutcome(SlotState next, @Nullable ForkCause forkCause, boolean unexpected, int youngDeaths,
		Duration delay, String description) {

	static ExitOutcome expected(SlotState next, @Nullable ForkCause forkCause, String description) {
		return new ExitOutcome(next, forkCause, false, 0, Duration.ZERO, description);
	}

	static ExitOutcome unexpected(SlotState next, int youngDeaths, Duration delay, String description) {
		return new ExitOutcome(next, null, true, youngDeaths, delay, description);
	}

	/**
	 * Whether the worker is reforked, at once or after a delay.
	 * @return whether it is reforked
	 */
	boolean reforks() {
		return this.next == SlotState.BACKOFF;
	}

}
