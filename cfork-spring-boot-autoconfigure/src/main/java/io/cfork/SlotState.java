package io.cfork;

import java.util.EnumSet;
import java.util.Set;

/**
 * The states of a {@link Slot}'s machine. Finer than the public {@link WorkerState}: each case the
 * pool handles differently has a state of its own.
 */
enum SlotState {

	/** No process; a fork is due now (a new slot, or one being forked again). */
	NEW(WorkerState.STARTING),

	/** A process is alive and not yet ready. */
	STARTING(WorkerState.STARTING),

	/** A process is alive and ready. */
	RUNNING(WorkerState.RUNNING),

	/** The pool asked the process to stop, and the slot stays empty after it exits. */
	STOPPING(WorkerState.STOPPING),

	/** The pool asked the process to stop, and forks the slot again once it exits. */
	RESTARTING(WorkerState.STOPPING),

	/** The pool asked the process to stop, and removes the slot once it exits (scale-down). */
	REMOVING(WorkerState.STOPPING),

	/**
	 * The pool stops the process because it failed a check (not ready in time, its liveness): its
	 * exit is unexpected.
	 */
	FAILING(WorkerState.STOPPING),

	/** The process exited unexpectedly; a refork is scheduled after a delay. */
	BACKOFF(WorkerState.BACKOFF),

	/** The process exited and will not be reforked. */
	EXITED(WorkerState.EXITED),

	/** The process exited past the refork limit: forked again when the pool is resumed. */
	SUSPENDED(WorkerState.EXITED),

	/** Removed from the pool by a scale-down; nothing happens to it any more. */
	REMOVED(WorkerState.EXITED);

	/** States with a live process. */
	static final Set<SlotState> ALIVE = EnumSet.of(STARTING, RUNNING, STOPPING, RESTARTING, REMOVING, FAILING);

	/** States with no process, from which the slot can be forked. */
	static final Set<SlotState> FORKABLE = EnumSet.of(NEW, BACKOFF, EXITED, SUSPENDED);

	/** States of a process the pool asked to stop. */
	static final Set<SlotState> STOPPING_STATES = EnumSet.of(STOPPING, RESTARTING, REMOVING, FAILING);

	private final WorkerState shown;

	SlotState(WorkerState shown) {
		this.shown = shown;
	}

	/**
	 * The state as the pool shows it.
	 * @return the public state
	 */
	WorkerState shown() {
		return this.shown;
	}

}
