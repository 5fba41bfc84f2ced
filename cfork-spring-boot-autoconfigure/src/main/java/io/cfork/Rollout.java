package io.cfork;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * The bookkeeping of a rolling reload: which slots wait, how many are being replaced, how many
 * were, and the outcome. No processes: the supervisor replaces slots and tells it how each
 * replacement ended. Confined to the supervisor thread.
 */
final class Rollout {

	private final long generation;

	private final int batchSize;

	private final Deque<Integer> pending;

	private final int total;

	private final Instant startedAt;

	private final CompletableFuture<ReloadSnapshot> result;

	private int inFlight;

	private int replaced;

	private ReloadSnapshot.State state = ReloadSnapshot.State.IN_PROGRESS;

	private @Nullable Instant finishedAt;

	private @Nullable String reason;

	Rollout(long generation, List<Integer> indexes, int batchSize, Instant startedAt,
			CompletableFuture<ReloadSnapshot> result) {
		this.generation = generation;
		this.batchSize = batchSize;
		this.pending = new ArrayDeque<>(indexes);
		this.total = indexes.size();
		this.startedAt = startedAt;
		this.result = result;
	}

	long generation() {
		return this.generation;
	}

	boolean inProgress() {
		return this.state == ReloadSnapshot.State.IN_PROGRESS;
	}

	/**
	 * The next slot to replace, if the batch has room.
	 * @return its index, or {@code null} when none is to start now
	 */
	@Nullable Integer next() {
		if (!inProgress() || this.inFlight >= this.batchSize || this.pending.isEmpty()) {
			return null;
		}
		this.inFlight++;
		return this.pending.poll();
	}

	/**
	 * A slot's replacement ended.
	 * @param failure why it failed, or {@code null} if the slot was replaced
	 * @param now the time
	 * @return whether the reload ended with it
	 */
	boolean ended(@Nullable String failure, Instant now) {
		this.inFlight--;
		if (!inProgress()) {
			return false;
		}
		if (failure != null) {
			return finish(ReloadSnapshot.State.FAILED, failure, now);
		}
		this.replaced++;
		if (this.pending.isEmpty() && this.inFlight == 0) {
			return finish(ReloadSnapshot.State.DONE, null, now);
		}
		return false;
	}

	/**
	 * The pool stops: the reload ends where it is.
	 */
	boolean abandoned(Instant now) {
		return inProgress() && finish(ReloadSnapshot.State.FAILED, "the pool stopped", now);
	}

	private boolean finish(ReloadSnapshot.State state, @Nullable String reason, Instant now) {
		this.state = state;
		this.reason = reason;
		this.finishedAt = now;
		return true;
	}

	CompletableFuture<ReloadSnapshot> result() {
		return this.result;
	}

	ReloadSnapshot snapshot() {
		return new ReloadSnapshot(this.generation, this.state, this.replaced, this.total, this.startedAt,
				this.finishedAt, this.reason);
	}

}
