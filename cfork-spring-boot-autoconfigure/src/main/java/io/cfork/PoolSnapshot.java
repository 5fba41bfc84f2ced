package io.cfork;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The whole pool at one moment. Immutable: safe to read from any thread.
 *
 * @param status the pool's status
 * @param desired how many workers the pool keeps alive
 * @param alive how many worker processes are alive (including those being stopped)
 * @param ready how many workers are ready: with no readiness check, alive for at least
 * {@code min-uptime}
 * @param reforks how many times a worker was reforked in the pool's life
 * @param limit the refork limit and whether it was reached
 * @param command the command line each worker runs
 * @param workers the slots, ordered by index (slots being removed by a scale-down included)
 * @param reload the latest rolling reload, or {@code null} before the first
 */
public record PoolSnapshot(PoolStatus status, int desired, int alive, int ready, long reforks, Limit limit,
		List<String> command, List<WorkerSnapshot> workers, @Nullable ReloadSnapshot reload) {

	public PoolSnapshot {
		command = List.copyOf(command);
		workers = List.copyOf(workers);
	}

	/**
	 * The slot with the given index.
	 * @param index the slot index
	 * @return the slot, or empty if the pool has no such slot
	 */
	public Optional<WorkerSnapshot> worker(int index) {
		return this.workers.stream().filter((worker) -> worker.index() == index).findFirst();
	}

	/**
	 * How many slots are in the given state.
	 * @param state the state
	 * @return the number of slots
	 */
	public int count(WorkerState state) {
		return (int) this.workers.stream().filter((worker) -> worker.state() == state).count();
	}

	/**
	 * How many slots are crash-looping ({@link WorkerSnapshot#crashLoop()}).
	 * @return the number of slots
	 */
	public int crashLooping() {
		return (int) this.workers.stream().filter(WorkerSnapshot::crashLoop).count();
	}

	/**
	 * The CPU all workers used over the last sampling interval, with their sessions.
	 * @return the sum of the workers' {@link WorkerSnapshot#cpu()}, in percent of one core, or
	 * {@code null} when no worker has been sampled
	 */
	public @Nullable Double cpu() {
		return this.workers.stream()
			.map(WorkerSnapshot::cpu)
			.filter(Objects::nonNull)
			.reduce(Double::sum)
			.orElse(null);
	}

	/**
	 * The resident set of all workers, with their sessions.
	 * @return the sum of the workers' {@link WorkerSnapshot#memory()}, in bytes, or {@code null}
	 * when no worker has been sampled
	 */
	public @Nullable Long memory() {
		return this.workers.stream()
			.map(WorkerSnapshot::memory)
			.filter(Objects::nonNull)
			.reduce(Long::sum)
			.orElse(null);
	}

	/**
	 * The refork limit: at most {@code limit} reforks within {@code duration}.
	 *
	 * @param limit the number of reforks allowed within the window
	 * @param duration the window
	 * @param reached whether the pool gave up reforking
	 */
	public record Limit(int limit, Duration duration, boolean reached) {
	}

}
