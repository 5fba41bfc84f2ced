package io.cfork;

import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * How a worker process ended.
 * <p>
 * The JDK reports a process killed by signal {@code N} as exit code {@code 128 + N}, exactly as a
 * shell does; such a death cannot be told from a process that called {@code exit(128 + N)}
 * itself. {@link #signal()} is therefore derived from the code: it names the signal whenever the
 * code is above 128.
 *
 * @param code the exit code ({@code -1} when the process could not be started at all)
 * @param signal the name of the signal that killed it ({@code SIGKILL}), or {@code null}
 * @param unexpected whether the pool did not ask the worker to stop
 * @param at when the exit was seen
 * @param error why the process could not be started, or {@code null} when it ran
 * @param reason why the pool stopped the process ({@code not ready within 60s},
 * {@code max-memory}), or {@code null} when it exited on its own or was stopped by an operator
 */
public record WorkerExit(int code, @Nullable String signal, boolean unexpected, Instant at, @Nullable String error,
		@Nullable String reason) {

	/** Exit code reported for a worker whose process could not be started. */
	public static final int LAUNCH_FAILED = -1;

	/**
	 * Describes the exit for a log line: {@code code 137 (SIGKILL)}.
	 * @return the description
	 */
	public String describe() {
		if (this.error != null) {
			return "launch failure (" + this.error + ")";
		}
		String code = (this.signal != null) ? "code " + this.code + " (" + this.signal + ")" : "code " + this.code;
		return (this.reason != null) ? code + " after it was stopped: " + this.reason : code;
	}

}
