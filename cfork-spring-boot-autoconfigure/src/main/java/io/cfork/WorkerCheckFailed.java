package io.cfork;

import java.util.Locale;

/**
 * A worker failed a check: it was not ready within the readiness timeout, or one liveness check
 * failed.
 *
 * @param worker the slot at that moment
 * @param check which check failed
 * @param reason why ({@code not ready within 60s}, {@code connection refused})
 */
public record WorkerCheckFailed(WorkerSnapshot worker, Check check, String reason) {

	/**
	 * The pool's checks of a worker.
	 */
	public enum Check {

		/** Whether the worker serves yet. */
		READINESS,

		/** Whether a ready worker still serves. */
		LIVENESS;

		/**
		 * The check as a lower-case tag value ({@code readiness}, {@code liveness}).
		 * @return the tag value
		 */
		public String tag() {
			return name().toLowerCase(Locale.ROOT);
		}

	}

}
