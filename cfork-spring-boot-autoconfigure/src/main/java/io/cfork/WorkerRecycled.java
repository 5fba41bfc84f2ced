package io.cfork;

import java.time.Duration;
import java.util.Locale;

import org.jspecify.annotations.Nullable;

/**
 * The pool is recycling a worker for its resources: it stops it (SIGTERM, SIGKILL after the
 * shutdown timeout), then forks the slot again. Not a crash: the exit is expected, does not count
 * against the refork limit and is not backed off — unless the worker was never ready: then it
 * failed to start, and its exit is a young death like any other (unexpected, backed off, counted
 * against the refork limit).
 *
 * @param worker the slot as the recycle starts (its process being stopped)
 * @param pid the process being recycled
 * @param reason why
 * @param memory with {@link Reason#MEMORY}: the resident set of the worker and its session that
 * the last sample saw, in bytes; otherwise {@code null}
 * @param lifetime how long the worker lived
 * @param wasReady whether the worker had been ready; if not, it is stopped as a failed start
 */
public record WorkerRecycled(WorkerSnapshot worker, long pid, Reason reason, @Nullable Long memory,
		Duration lifetime, boolean wasReady) {

	/**
	 * Why a worker is recycled.
	 */
	public enum Reason {

		/** Its resident set was above {@code max-memory} for two samples in a row. */
		MEMORY("max-memory"),

		/** It lived {@code max-lifetime} (plus its share of the jitter). */
		LIFETIME("max-lifetime");

		private final String option;

		Reason(String option) {
			this.option = option;
		}

		/**
		 * The option that made the pool recycle the worker, which is also the reason of its exit
		 * ({@link WorkerExit#reason()}).
		 * @return {@code max-memory} or {@code max-lifetime}
		 */
		public String option() {
			return this.option;
		}

		/**
		 * The reason as a lower-case tag value.
		 * @return {@code memory} or {@code lifetime}
		 */
		public String tag() {
			return name().toLowerCase(Locale.ROOT);
		}

	}

}
