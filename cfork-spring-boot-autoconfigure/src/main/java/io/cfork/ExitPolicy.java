package io.cfork;

import java.time.Duration;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Decides what happens when a worker exits: a pure function of the slot's state, the exit and the
 * pool's options, with no clock and no process, so every outcome is tested in plain unit tests.
 * The supervisor applies the outcome.
 * <p>
 * A worker the pool asked to stop is not reforked: the slot stays empty, is removed, or is forked
 * again, as the stop asked. Any other exit is unexpected, and so is that of a worker the pool
 * stopped because it failed a check ({@link SlotState#FAILING}): with {@code refork} off or a stop exit
 * code the slot stays empty; past the refork limit it is suspended until an operator resumes the
 * pool; otherwise it is reforked, at once if the worker was ready, else after a backoff that
 * doubles with each consecutive young death.
 */
final class ExitPolicy {

	private final boolean refork;

	private final Set<Integer> stopExitCodes;

	private final Duration backoffInitial;

	private final Duration backoffMax;

	ExitPolicy(PoolOptions options) {
		this(options.refork(), options.stopExitCodes(), options.backoffInitial(), options.backoffMax());
	}

	ExitPolicy(boolean refork, Set<Integer> stopExitCodes, Duration backoffInitial, Duration backoffMax) {
		this.refork = refork;
		this.stopExitCodes = Set.copyOf(stopExitCodes);
		this.backoffInitial = backoffInitial;
		this.backoffMax = backoffMax;
	}

	/**
	 * Decides what follows an exit.
	 * @param exit what the supervisor knows of the exit
	 * @return the outcome
	 */
	ExitOutcome decide(Exit exit) {
		if (exit.poolStopping()) {
			return ExitOutcome.expected(SlotState.EXITED, null, "stopped");
		}
		switch (exit.state()) {
			case REMOVING:
				return ExitOutcome.expected(SlotState.REMOVED, null, "removed (scaled down)");
			case RESTARTING:
				ForkCause cause = (exit.restartCause() != null) ? exit.restartCause() : ForkCause.RESTART;
				return ExitOutcome.expected(SlotState.NEW, cause, "forking again (" + cause.tag() + ")");
			case STOPPING:
				return ExitOutcome.expected(SlotState.EXITED, null, "stopped");
			default:
				break;
		}
		// Died young: before it was ready (a launch failure dies at once).
		boolean young = !exit.wasReady();
		int youngDeaths = young ? exit.youngDeaths() + 1 : 0;
		if (!this.refork) {
			return ExitOutcome.unexpected(SlotState.EXITED, youngDeaths, Duration.ZERO,
					"not reforking (refork is off)");
		}
		if (!exit.launchFailed() && this.stopExitCodes.contains(exit.code())) {
			return ExitOutcome.unexpected(SlotState.EXITED, youngDeaths, Duration.ZERO,
					"not reforking (exit code is a stop exit code)");
		}
		if (exit.limitReached()) {
			return ExitOutcome.unexpected(SlotState.SUSPENDED, youngDeaths, Duration.ZERO,
					"not reforking (refork limit reached)");
		}
		Duration delay = young ? Backoff.delay(this.backoffInitial, this.backoffMax, youngDeaths) : Duration.ZERO;
		return ExitOutcome.unexpected(SlotState.BACKOFF, youngDeaths, delay,
				delay.isZero() ? "reforking" : "reforking in " + Durations.format(delay));
	}

	/**
	 * What the supervisor knows when a worker exits.
	 *
	 * @param state the slot's state when its process exited (for a launch failure: before it)
	 * @param restartCause with {@link SlotState#RESTARTING}: why the slot is forked again
	 * @param poolStopping whether the pool is stopping
	 * @param launchFailed whether the process could not be started at all
	 * @param wasReady whether the process had been ready
	 * @param code the exit code
	 * @param youngDeaths the slot's consecutive young deaths before this exit
	 * @param limitReached whether a refork now would pass the refork limit (or the pool gave up)
	 */
	record Exit(SlotState state, @Nullable ForkCause restartCause, boolean poolStopping, boolean launchFailed,
			boolean wasReady, int code, int youngDeaths, boolean limitReached) {
	}

}
