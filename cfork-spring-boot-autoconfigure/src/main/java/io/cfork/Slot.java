package io.cfork;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * One slot of the pool: the worker process at an index, its history, and its state machine.
 * Mutable, and touched only on the supervisor thread.
 * <p>
 * Every change of {@link #state()} goes through one of the methods below, each legal only from
 * the states it names; any other call is a bug in the pool and throws
 * {@link IllegalStateException}.
 * <pre>
 * from                                        method        to
 * NEW, BACKOFF, EXITED, SUSPENDED             started       STARTING
 * STARTING                                    ready         RUNNING
 * STARTING, RUNNING, STOPPING, RESTARTING,    stopping      STOPPING, RESTARTING, REMOVING or
 *   REMOVING, FAILING                                         FAILING
 * STARTING, RUNNING, STOPPING, RESTARTING,    exited        NEW (fork again), BACKOFF, EXITED,
 *   REMOVING, FAILING (its process exited)                    SUSPENDED or REMOVED
 * NEW, BACKOFF, EXITED, SUSPENDED             launchFailed  NEW, BACKOFF, EXITED, SUSPENDED or REMOVED
 * BACKOFF                                     suspended     SUSPENDED (refork limit reached)
 * STARTING, RUNNING                           adopt         RUNNING (with the replacement's process)
 * NEW, BACKOFF, EXITED, SUSPENDED             halted        EXITED (the pool stops)
 * NEW, BACKOFF, EXITED, SUSPENDED             removed       REMOVED (scale-down)
 * </pre>
 * During a start-first replacement the slot holds a second slot of the same index, its
 * {@linkplain #next() next}, whose own machine runs until it is ready; the slot then
 * {@linkplain #adopt(Slot) adopts} its process and the pool stops the one it replaces.
 */
final class Slot {

	final int index;

	private SlotState state = SlotState.NEW;

	/** With {@link SlotState#RESTARTING}: why the slot is forked again. */
	private @Nullable ForkCause restartCause;

	/** Why the pool stops the process, when it is not an operator's stop: for its exit. */
	private @Nullable String stopReason;

	private long id;

	private int forks;

	private @Nullable WorkerProcess process;

	private long startNanos;

	private @Nullable Instant startedAt;

	/** When the current process became ready, or {@code null} while it is not. */
	private @Nullable Instant readyAt;

	private int youngDeaths;

	private @Nullable WorkerExit lastExit;

	/** The backoff delay, or the min-uptime timer that marks the worker ready. */
	private @Nullable ScheduledFuture<?> timer;

	/** The SIGKILL that follows a SIGTERM after the shutdown timeout. */
	private @Nullable ScheduledFuture<?> killTimer;

	/** The current process's readiness or liveness check, running on the probes' thread. */
	private @Nullable ScheduledFuture<?> probe;

	/** Consecutive failed liveness checks of the current process. */
	private int probeFailures;

	/** What the current process last said with sd_notify's {@code STATUS=}, or {@code null}. */
	private @Nullable String status;

	/** Whether the current process said {@code STOPPING=1}. */
	private boolean notifiedStopping;

	/** The workers' generation of the current process: 0 before any reload. */
	private long generation;

	/** A replacement starting beside the current process (start-first). */
	private @Nullable Slot next;

	/** For a replacement: the slot it replaces the process of. */
	private final @Nullable Slot primary;

	/** What waits for the slot's replacement to end: told null once replaced, else why it failed. */
	private @Nullable Consumer<@Nullable String> onReplaced;

	/** Why the slot is being replaced ({@code reload}, {@code max-lifetime}): the replaced exit's reason. */
	private @Nullable String replacementReason;
	/** The recycle after {@code max-lifetime}. */
	private @Nullable ScheduledFuture<?> recycleTimer;

	/** The current process's CPU over the last sample, percent of one core, or {@code null}. */
	private @Nullable Double cpu;

	/** The current process's resident set with its session, bytes, or {@code null}. */
	private @Nullable Long memory;

	/** Whether the last sample saw the current process stopped (SIGSTOP, state {@code T}). */
	private boolean stopped;

	/** Consecutive samples that saw the current process above {@code max-memory}. */
	private int samplesOverMemory;

	/** Restart requests that complete when the slot is next forked. */
	private final List<CompletableFuture<WorkerSnapshot>> waiters = new ArrayList<>(0);

	Slot(int index) {
		this(index, null);
	}

	private Slot(int index, @Nullable Slot primary) {
		this.index = index;
		this.primary = primary;
	}

	/**
	 * A replacement of this slot's process, to start beside it.
	 * @return the replacement, which is this slot's {@link #next()} from now on
	 */
	Slot startReplacement() {
		if (!is(SlotState.STARTING) && !is(SlotState.RUNNING) || this.next != null) {
			throw new IllegalStateException("Slot " + this.index + " is " + this.state + ", cannot start a replacement");
		}
		this.next = new Slot(this.index, this);
		return this.next;
	}

	@Nullable Slot next() {
		return this.next;
	}

	void clearNext() {
		this.next = null;
	}

	/**
	 * For a replacement, the slot it replaces the process of.
	 */
	@Nullable Slot primary() {
		return this.primary;
	}

	long generation() {
		return this.generation;
	}

	void setGeneration(long generation) {
		this.generation = generation;
	}

	boolean isBeingReplaced() {
		return this.onReplaced != null;
	}

	void awaitReplacement(String reason, Consumer<@Nullable String> onReplaced) {
		this.replacementReason = reason;
		this.onReplaced = onReplaced;
	}

	@Nullable String replacementReason() {
		return this.replacementReason;
	}

	/**
	 * Ends the slot's replacement.
	 * @param failure why it failed, or {@code null} if the slot was replaced
	 */
	void replacementEnded(@Nullable String failure) {
		Consumer<@Nullable String> waiting = this.onReplaced;
		this.onReplaced = null;
		if (waiting != null) {
			waiting.accept(failure);
		}
	}

	/**
	 * Takes over the process of a ready replacement; the process it had is the pool's to stop.
	 * @param replacement this slot's {@link #next()}, ready
	 */
	void adopt(Slot replacement) {
		if (replacement != this.next || !replacement.is(SlotState.RUNNING) || replacement.process == null) {
			throw new IllegalStateException("Slot " + this.index + " cannot adopt a replacement that is "
					+ replacement.state);
		}
		move(Set.of(SlotState.STARTING, SlotState.RUNNING), SlotState.RUNNING);
		cancelTimers();
		this.process = replacement.process;
		this.id = replacement.id;
		this.forks++;
		this.startNanos = replacement.startNanos;
		this.startedAt = replacement.startedAt;
		this.readyAt = replacement.readyAt;
		this.generation = replacement.generation;
		this.stopReason = null;
		this.probeFailures = 0;
		this.youngDeaths = 0;
		this.status = replacement.status;
		this.notifiedStopping = replacement.notifiedStopping;
		replacement.cancelTimers();
		replacement.process = null;
		replacement.state = SlotState.REMOVED;
		this.next = null;
	}

	/**
	 * The process this slot replaced exited.
	 * @param exit how it ended
	 */
	void replacedExited(WorkerExit exit) {
		this.lastExit = exit;
	}

	SlotState state() {
		return this.state;
	}

	boolean is(SlotState state) {
		return this.state == state;
	}

	boolean isAlive() {
		return this.process != null;
	}

	@Nullable WorkerProcess process() {
		return this.process;
	}

	@Nullable ForkCause restartCause() {
		return this.restartCause;
	}

	@Nullable String stopReason() {
		return this.stopReason;
	}

	/**
	 * Whether the current (or last) process was ready at some point.
	 */
	boolean wasReady() {
		return this.readyAt != null;
	}

	long id() {
		return this.id;
	}

	long startNanos() {
		return this.startNanos;
	}

	int youngDeaths() {
		return this.youngDeaths;
	}

	// ---- Transitions ------------------------------------------------------------------

	/**
	 * A process was started in the slot.
	 */
	void started(long id, WorkerProcess process, long nanos, Instant at) {
		move(SlotState.FORKABLE, SlotState.STARTING);
		forked(id, nanos, at);
		this.process = process;
	}

	/**
	 * A process could not be started in the slot; it counts as one that died at once.
	 */
	void launchFailed(long id, long nanos, Instant at, WorkerExit exit, SlotState next, int youngDeaths) {
		require(SlotState.FORKABLE);
		forked(id, nanos, at);
		ended(exit, next, youngDeaths);
	}

	/**
	 * The slot's process is ready (with no readiness check: it lived {@code min-uptime}); it is no
	 * longer in a crash loop.
	 */
	void ready(Instant at) {
		move(Set.of(SlotState.STARTING), SlotState.RUNNING);
		this.timer = null;
		this.youngDeaths = 0;
		this.readyAt = at;
	}

	/**
	 * The pool asked the slot's process to stop.
	 * @param next {@link SlotState#STOPPING}, {@link SlotState#RESTARTING},
	 * {@link SlotState#REMOVING} or {@link SlotState#FAILING}
	 * @param cause with {@code RESTARTING}: why the slot is forked again
	 * @param reason why the pool stops it, for its exit ({@code not ready within 60s}); required
	 * with {@code FAILING}
	 */
	void stopping(SlotState next, @Nullable ForkCause cause, @Nullable String reason) {
		if (!SlotState.STOPPING_STATES.contains(next) || (next == SlotState.RESTARTING) != (cause != null)
				|| (next == SlotState.FAILING && reason == null)) {
			throw new IllegalStateException(
					"Slot " + this.index + ": cannot stop to " + next + " with " + cause + " and " + reason);
		}
		move(SlotState.ALIVE, next);
		this.restartCause = cause;
		if (reason != null || next == SlotState.STOPPING) {
			// The pool's own stop tells no reason, and overrides any other.
			this.stopReason = reason;
		}
	}

	/**
	 * The slot's process exited.
	 * @param exit how it ended
	 * @param next what the pool decided: {@link SlotState#NEW} to fork again now,
	 * {@link SlotState#BACKOFF}, {@link SlotState#EXITED}, {@link SlotState#SUSPENDED} or
	 * {@link SlotState#REMOVED}
	 * @param youngDeaths consecutive young deaths, this one included
	 */
	void exited(WorkerExit exit, SlotState next, int youngDeaths) {
		require(SlotState.ALIVE);
		cancelTimers();
		this.process = null;
		ended(exit, next, youngDeaths);
	}

	/**
	 * The refork limit was reached while the slot waited out its backoff.
	 */
	void suspended() {
		cancelTimers();
		move(Set.of(SlotState.BACKOFF), SlotState.SUSPENDED);
	}

	/**
	 * The pool stops while the slot has no process.
	 */
	void halted() {
		cancelTimers();
		move(SlotState.FORKABLE, SlotState.EXITED);
	}

	/**
	 * A scale-down removes the slot while it has no process.
	 */
	void removed() {
		cancelTimers();
		move(SlotState.FORKABLE, SlotState.REMOVED);
	}

	/**
	 * Forgets the slot's young deaths: an operator forks it again.
	 */
	void forgive() {
		this.youngDeaths = 0;
	}

	private void forked(long id, long nanos, Instant at) {
		cancelTimers();
		this.id = id;
		this.forks++;
		this.startNanos = nanos;
		this.startedAt = at;
		this.readyAt = null;
		this.stopReason = null;
		this.probeFailures = 0;
		this.status = null;
		this.notifiedStopping = false;
		this.cpu = null;
		this.memory = null;
		this.stopped = false;
		this.samplesOverMemory = 0;
	}

	private void ended(WorkerExit exit, SlotState next, int youngDeaths) {
		if (SlotState.ALIVE.contains(next)) {
			throw new IllegalStateException("Slot " + this.index + ": an exit cannot lead to " + next);
		}
		this.lastExit = exit;
		this.youngDeaths = youngDeaths;
		this.restartCause = null;
		this.state = next;
	}

	private void move(Set<SlotState> from, SlotState to) {
		require(from);
		this.state = to;
	}

	private void require(Set<SlotState> from) {
		if (!from.contains(this.state)) {
			throw new IllegalStateException("Slot " + this.index + " is " + this.state + ", expected one of " + from);
		}
	}

	// ---- Timers and waiters -------------------------------------------------------------

	void setTimer(@Nullable ScheduledFuture<?> timer) {
		this.timer = timer;
	}

	void setKillTimer(@Nullable ScheduledFuture<?> killTimer) {
		this.killTimer = killTimer;
	}

	void setProbe(ScheduledFuture<?> probe) {
		cancelProbe();
		this.probe = probe;
	}

	void cancelProbe() {
		if (this.probe != null) {
			this.probe.cancel(false);
			this.probe = null;
		}
	}

	/**
	 * Counts a failed liveness check.
	 * @return the consecutive failures, this one included
	 */
	int livenessFailed() {
		return ++this.probeFailures;
	}

	void livenessPassed() {
		this.probeFailures = 0;
	}

	/**
	 * The current process said {@code STATUS=...} (sd_notify).
	 * @param status the text, escaped and cut
	 */
	void notifiedStatus(String status) {
		this.status = status;
	}

	/**
	 * The current process said {@code STOPPING=1} (sd_notify): shown, its exit stays unexpected.
	 */
	void notifiedStopping() {
		this.notifiedStopping = true;
	}

	void cancelTimers() {
		if (this.timer != null) {
			this.timer.cancel(false);
			this.timer = null;
		}
		if (this.killTimer != null) {
			this.killTimer.cancel(false);
			this.killTimer = null;
		}
		cancelProbe();
		if (this.recycleTimer != null) {
			this.recycleTimer.cancel(false);
			this.recycleTimer = null;
		}
	}

	void setRecycleTimer(@Nullable ScheduledFuture<?> recycleTimer) {
		this.recycleTimer = recycleTimer;
	}

	// ---- Resources ----------------------------------------------------------------------

	/**
	 * Stores a sample of the current process's resources.
	 * @param cpu percent of one core over the last interval
	 * @param memory resident set with its session, in bytes
	 * @param stopped whether the process is stopped (SIGSTOP)
	 * @param overMemory whether the memory is above {@code max-memory}
	 * @return how many samples in a row, this one included, saw the process above
	 * {@code max-memory}
	 */
	int sampled(double cpu, long memory, boolean stopped, boolean overMemory) {
		this.cpu = cpu;
		this.memory = memory;
		this.stopped = stopped;
		this.samplesOverMemory = overMemory ? this.samplesOverMemory + 1 : 0;
		return this.samplesOverMemory;
	}

	void addWaiter(CompletableFuture<WorkerSnapshot> waiter) {
		this.waiters.add(waiter);
	}

	/**
	 * Takes the restart requests waiting for this slot's next fork.
	 * @return completes them with the slot as it is now
	 */
	Runnable takeWaiters() {
		if (this.waiters.isEmpty()) {
			return () -> {
			};
		}
		WorkerSnapshot snapshot = snapshot();
		List<CompletableFuture<WorkerSnapshot>> taken = List.copyOf(this.waiters);
		this.waiters.clear();
		return () -> taken.forEach((waiter) -> waiter.complete(snapshot));
	}

	void failWaiters(RuntimeException ex) {
		this.waiters.forEach((waiter) -> waiter.completeExceptionally(ex));
		this.waiters.clear();
	}

	WorkerSnapshot snapshot() {
		WorkerProcess current = this.process;
		Slot replacement = this.next;
		WorkerSnapshot.Next next = null;
		if (replacement != null) {
			WorkerProcess nextProcess = replacement.process;
			next = new WorkerSnapshot.Next(replacement.id, (nextProcess != null) ? nextProcess.pid() : null,
					replacement.state.shown(), replacement.generation);
		}
		return new WorkerSnapshot(this.index, this.id, (current != null) ? current.pid() : null, this.state.shown(),
				this.startedAt, (current != null) ? this.readyAt : null, Math.max(0, this.forks - 1), this.lastExit,
				isCrashLooping(), this.probeFailures, this.generation, next, (current != null) ? this.cpu : null,
				(current != null) ? this.memory : null, (current != null) ? this.status : null,
				current != null && this.notifiedStopping, current != null && this.stopped);
	}

	boolean isCrashLooping() {
		return this.youngDeaths >= WorkerSnapshot.CRASH_LOOP_DEATHS;
	}

}
