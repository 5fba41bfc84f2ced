package io.cfork;

import java.time.Duration;

/**
 * Durations as the pool's log lines write them: {@code 200ms}, {@code 3s}, {@code 1.5s}.
 */
final class Durations {

	/**
	 * The longest duration an option takes: longer ones would overflow the timers' nanoseconds, and
	 * mean nothing for a process supervisor.
	 */
	static final Duration MAX = Duration.ofDays(365);

	private Durations() {
	}

	static void requireNotNegative(String option, Duration value) {
		if (value.isNegative()) {
			throw new InvalidPoolOptionException(option, value, "must not be negative",
					"Set {" + option + "} to zero or a positive duration, such as 500ms or 10s.");
		}
		requireAtMostMax(option, value);
	}

	static void requirePositive(String option, Duration value) {
		if (value.isNegative() || value.isZero()) {
			throw new InvalidPoolOptionException(option, value, "must be positive",
					"Set {" + option + "} to a positive duration, such as 60s.");
		}
		requireAtMostMax(option, value);
	}

	private static void requireAtMostMax(String option, Duration value) {
		if (value.compareTo(MAX) > 0) {
			throw new InvalidPoolOptionException(option, value, "is longer than the 365 days an option may be",
					"Set {" + option + "} to a duration of at most 365d.");
		}
	}

	static String format(Duration duration) {
		long millis = duration.toMillis();
		if (millis < 1000) {
			return millis + "ms";
		}
		return (millis % 1000 == 0) ? (millis / 1000) + "s" : String.format("%.1fs", millis / 1000.0);
	}

}
