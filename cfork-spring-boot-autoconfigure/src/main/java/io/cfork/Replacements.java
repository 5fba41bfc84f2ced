package io.cfork;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;

/**
 * Replaces workers, for a restart, a rolling reload or a {@code max-lifetime} recycle, with the
 * pool's {@link ReloadStrategy}: start-first, a replacement beside the slot's worker (the slot's
 * {@link Slot#next() next}) takes its process over once ready, and the old process is stopped
 * gracefully; stop-first, the slot's worker is stopped, then forked again. Holds what that takes:
 * the processes being stopped after a take-over, the workers' generation, and the rolling reload
 * ({@link Rollout}). Runs on the supervisor thread, as part of {@link WorkerPool}.
 */
final class Replacements {

	private final WorkerPool pool;

	private final PoolOptions options;

	private final Clock clock;

	private final Slots slots;

	private final Supervisor supervisor;

	private final PoolReporter report;

	/** Processes a start-first replacement took over from, stopping: the slot they served. */
	private final Map<WorkerProcess, Replaced> replaced = new HashMap<>();

	/** The workers' generation new forks get: raised by each reload. */
	private long generation;

	private @Nullable Rollout rollout;

	Replacements(WorkerPool pool, PoolOptions options, Clock clock, Slots slots, Supervisor supervisor,
			PoolReporter report) {
		this.pool = pool;
		this.options = options;
		this.clock = clock;
		this.slots = slots;
		this.supervisor = supervisor;
		this.report = report;
	}

	long generation() {
		return this.generation;
	}

	/**
	 * Whether processes a replacement took over from are still stopping.
	 */
	boolean stopping() {
		return !this.replaced.isEmpty();
	}

	@Nullable ReloadSnapshot reloadSnapshot() {
		return (this.rollout != null) ? this.rollout.snapshot() : null;
	}

	/**
	 * Refuses what cannot run during a reload.
	 * @throws ReloadInProgressException while a reload runs
	 */
	void requireNoReload(String what) {
		if (this.rollout != null && this.rollout.inProgress()) {
			throw new ReloadInProgressException(what + ": a reload is in progress", this.rollout.snapshot());
		}
	}

	/**
	 * The pool stops: a reload in progress ends where it is.
	 */
	void abandon() {
		if (this.rollout != null && this.rollout.abandoned(this.clock.instant())) {
			finishRollout(this.rollout);
		}
	}

	/**
	 * A process exited that a replacement took over from, if it is one.
	 * @return whether it was
	 */
	boolean exited(WorkerProcess process, int code, long seen) {
		Replaced retired = this.replaced.remove(process);
		if (retired == null) {
			return false;
		}
		replacedExited(retired, process, code, seen);
		return true;
	}

	/**
	 * A start-first replacement is ready: the slot takes its process over, and the process it had
	 * is stopped gracefully; the replacement ends once that one has exited.
	 */
	void takeOver(Slot primary, Slot replacement, WorkerProcess process, long id, Duration readyTime) {
		WorkerProcess old = primary.process();
		if (old == null || !(primary.is(SlotState.RUNNING) || primary.is(SlotState.STARTING))) {
			// The worker it was to replace is stopping already: the replacement is not needed.
			this.pool.terminate(replacement, SlotState.STOPPING, null, null);
			return;
		}
		Replaced retired = new Replaced(primary, primary.id(), primary.startNanos(), primary.replacementReason());
		primary.adopt(replacement);
		this.pool.tookOver(old, process, primary, id);
		this.report.ready(process.pid(), new WorkerReady(primary.snapshot(), readyTime));
		this.report.replaced(primary.index, old.pid(), process.pid(), primary.generation());
		this.replaced.put(old, retired);
		old.terminate();
		retired.killTimer = this.supervisor.schedule(() -> {
			if (this.replaced.containsKey(old)) {
				this.report.killing(primary.index, old.pid());
				old.kill();
			}
		}, this.options.shutdownTimeout());
	}

	/**
	 * A start-first replacement exited before it was taken over: the replacement failed, and the
	 * slot keeps its worker.
	 */
	void replacementExited(Slot primary, Slot replacement, WorkerProcess process, int code, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - replacement.startNanos()));
		this.pool.forget(process, replacement.id(), seen);
		boolean asked = replacement.is(SlotState.STOPPING);
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), !asked, this.clock.instant(), null,
				replacement.stopReason());
		String error = asked ? null : process.lastErrorLine();
		replacement.exited(exit, SlotState.EXITED, 0);
		primary.clearNext();
		String failure = "worker " + primary.index + "'s replacement exited with " + exit.describe()
				+ ((error != null) ? ": " + ControlCharacters.escape(error) : "");
		this.report.exited(new WorkerExited(replacement.snapshot(), replacement.id(), process.pid(), exit, lifetime,
				false), ExitOutcome.expected(SlotState.EXITED, null, asked ? "stopped"
						: "replacement failed; worker " + primary.index + " keeps its worker"), asked ? null : error);
		primary.replacementEnded(failure);
		this.pool.exitHandled();
	}

	/**
	 * The process a start-first replacement took over from exited: the replacement is done.
	 */
	private void replacedExited(Replaced retired, WorkerProcess process, int code, long seen) {
		if (retired.killTimer != null) {
			retired.killTimer.cancel(false);
		}
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - retired.startNanos));
		this.pool.forget(process, retired.id, seen);
		Slot slot = retired.slot;
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), false, this.clock.instant(), null,
				retired.reason);
		slot.replacedExited(exit);
		this.report.exited(new WorkerExited(slot.snapshot(), retired.id, process.pid(), exit, lifetime, false),
				ExitOutcome.expected(SlotState.RUNNING, null, "replaced by pid " + slot.snapshot().pid()), null);
		slot.replacementEnded(null);
		this.pool.exitHandled();
	}

	/**
	 * Replaces a slot's worker with the pool's strategy: start-first, a replacement beside it that
	 * takes over once ready; stop-first, the worker stopped and forked again.
	 * @param done told {@code null} once the slot was replaced, else why the replacement failed
	 */
	void replace(Slot slot, ForkCause cause, String reason,
			Consumer<@Nullable String> done) {
		slot.awaitReplacement(reason, done);
		if (this.options.reloadStrategy() == ReloadStrategy.START_FIRST) {
			this.pool.fork(slot.startReplacement(), cause, null);
		}
		else {
			this.pool.terminate(slot, SlotState.RESTARTING, cause, reason);
		}
	}

	/**
	 * Starts a rolling reload: each slot, a batch at a time, replaced by a worker of the next
	 * generation, running the files on disk now.
	 */
	void reload(CompletableFuture<PoolSnapshot> started, CompletableFuture<ReloadSnapshot> result) {
		if (!this.pool.isRunning()) {
			result.completeExceptionally(WorkerPool.notRunning());
			started.completeExceptionally(WorkerPool.notRunning());
			return;
		}
		try {
			requireNoReload("A reload");
		}
		catch (ReloadInProgressException refused) {
			result.completeExceptionally(refused);
			started.completeExceptionally(refused);
			return;
		}
		this.supervisor.afterPublish(() -> started.complete(this.pool.published()));
		this.generation++;
		List<Integer> indexes = this.slots.below(this.pool.desired()).stream().map((slot) -> slot.index).toList();
		Rollout rollout = new Rollout(this.generation, indexes, this.options.reloadBatchSize(), this.clock.instant(),
				result);
		this.rollout = rollout;
		this.report.reloadStarted(rollout.snapshot());
		advance(rollout);
	}

	private void advance(Rollout rollout) {
		Integer index;
		while ((index = rollout.next()) != null) {
			Slot slot = this.slots.get(index);
			if (slot == null || slot.isBeingReplaced() || !(slot.is(SlotState.RUNNING) || slot.is(SlotState.STARTING))) {
				// No worker to replace: the slot's next fork runs the new files anyway.
				if (rollout.ended(null, this.clock.instant())) {
					finishRollout(rollout);
				}
				continue;
			}
			replace(slot, ForkCause.RELOAD, "reload", (failure) -> {
				if (rollout.ended(failure, this.clock.instant())) {
					finishRollout(rollout);
				}
				else {
					advance(rollout);
				}
			});
		}
	}

	private void finishRollout(Rollout rollout) {
		ReloadSnapshot outcome = rollout.snapshot();
		this.report.reloadFinished(outcome);
		this.supervisor.afterPublish(() -> rollout.result().complete(outcome));
	}

	/**
	 * A process a start-first replacement took over from: the slot it served, while it stops.
	 */
	private static final class Replaced {

		final Slot slot;

		final long id;

		final long startNanos;

		final @Nullable String reason;

		@Nullable ScheduledFuture<?> killTimer;

		Replaced(Slot slot, long id, long startNanos, @Nullable String reason) {
			this.slot = slot;
			this.id = id;
			this.startNanos = startNanos;
			this.reason = reason;
		}

	}

}
