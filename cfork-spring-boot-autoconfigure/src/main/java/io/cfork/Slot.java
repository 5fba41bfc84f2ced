package io.cfork;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import org.jspecify.annotations.Nullable;

/**
 * One slot of the pool: the worker process at an index and its history. Mutable, and touched only
 * on the supervisor thread.
 */
final class Slot {

	final int index;

	WorkerState state = WorkerState.STARTING;

	long id;

	int forks;

	@Nullable Process process;

	long startNanos;

	@Nullable Instant startedAt;

	int youngDeaths;

	@Nullable WorkerExit lastExit;

	/** Whether the slot was left EXITED by the refork limit, so that resuming the pool forks it. */
	boolean resumable;

	/** After an exit the pool asked for: fork again with this cause, or {@code null} not to. */
	@Nullable ForkCause forkAfterStop;

	/** The backoff delay, or the min-uptime timer that marks the worker RUNNING. */
	@Nullable ScheduledFuture<?> timer;

	/** The SIGKILL that follows a SIGTERM after the shutdown timeout. */
	@Nullable ScheduledFuture<?> killTimer;

	/** Restart requests that complete when the slot is next forked. */
	final List<CompletableFuture<WorkerSnapshot>> waiters = new ArrayList<>(0);

	Slot(int index) {
		this.index = index;
	}

	boolean isAlive() {
		return this.process != null;
	}

	WorkerSnapshot snapshot() {
		Process current = this.process;
		return new WorkerSnapshot(this.index, this.id, (current != null) ? current.pid() : null, this.state,
				this.startedAt, Math.max(0, this.forks - 1), this.lastExit);
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

}
