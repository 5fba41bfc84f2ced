package io.cfork;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * One slot of the pool at one moment.
 *
 * @param index the slot index, {@code 0..count-1}, stable across reforks
 * @param id the id of the slot's latest fork, unique in the pool's life ({@code 0} before the
 * first fork)
 * @param pid the process id while a process is alive in the slot, otherwise {@code null}
 * @param state the slot's state
 * @param startedAt when the slot's latest process started, or {@code null}
 * @param readyAt when the slot's process became ready, or {@code null} while none is
 * @param restarts how many times the slot was forked again after its first fork, for any cause:
 * reforks after an exit as well as operator restarts and scale-ups that forked it again
 * @param lastExit how the slot's previous process ended, or {@code null} if none did
 * @param crashLoop whether the slot is crash-looping: its last {@value #CRASH_LOOP_DEATHS} or more
 * processes in a row died before they were ready
 * @param probeFailures consecutive failed liveness checks of the slot's process
 * @param generation the workers' generation of the slot's process: 0 until the first reload
 * @param next the replacement starting beside the slot's process, or {@code null}
 * @param cpu the CPU the process and its session used over the last sampling interval, in percent
 * of one core (above 100 when it used several), or {@code null} before the first sample, while no
 * process is alive, or where {@code /proc} is missing
 * @param memory the resident set of the process and its session, in bytes, or {@code null} as for
 * {@code cpu}
 * @param status what the process last said with sd_notify's {@code STATUS=} (control characters
 * escaped, at most 200 characters), or {@code null}
 * @param stopping whether the process said {@code STOPPING=1} (sd_notify); informational, its exit
 * is unexpected all the same unless the pool stopped it
 * @param stopped whether the last resource sample saw the process stopped (SIGSTOP, SIGTSTP): alive,
 * but running nothing until SIGCONT
 */
public record WorkerSnapshot(int index, long id, @Nullable Long pid, WorkerState state, @Nullable Instant startedAt,
		@Nullable Instant readyAt, int restarts, @Nullable WorkerExit lastExit, boolean crashLoop, int probeFailures,
		long generation, @Nullable Next next, @Nullable Double cpu, @Nullable Long memory, @Nullable String status,
		boolean stopping, boolean stopped) {

	/** Consecutive deaths before ready after which a slot is crash-looping. */
	public static final int CRASH_LOOP_DEATHS = 3;

	/**
	 * Whether a process is alive in the slot.
	 * @return whether a process is alive
	 */
	public boolean isAlive() {
		return this.pid != null;
	}

	/**
	 * How long the slot's process has been running at {@code now}.
	 * @param now the time to measure to
	 * @return the uptime, or {@code null} when no process is alive
	 */
	public @Nullable Duration uptime(Instant now) {
		return (this.pid != null && this.startedAt != null) ? Duration.between(this.startedAt, now) : null;
	}

	/**
	 * A replacement starting beside a slot's process.
	 *
	 * @param id its fork id
	 * @param pid its process id, or {@code null} before it is started
	 * @param state its state ({@code STARTING} until it is ready)
	 * @param generation its generation
	 */
	public record Next(long id, @Nullable Long pid, WorkerState state, long generation) {
	}

}
