package io.cfork;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * A worker process exited.
 *
 * @param worker the slot after the exit (its {@link WorkerSnapshot#lastExit()} is this exit)
 * @param id the id of the fork that exited
 * @param pid the process id that exited, or {@code null} if the process never started
 * @param exit how it ended
 * @param lifetime how long it lived
 * @param reforked whether the pool will refork the slot (at once or after a backoff delay)
 */
public record WorkerExited(WorkerSnapshot worker, long id, @Nullable Long pid, WorkerExit exit, Duration lifetime,
		boolean reforked) {

	/**
	 * Whether the pool did not ask the worker to stop.
	 * @return whether the exit was unexpected
	 */
	public boolean unexpected() {
		return this.exit.unexpected();
	}

}
