package io.cfork;

import java.time.Duration;

/**
 * Durations as the pool's log lines write them: {@code 200ms}, {@code 3s}, {@code 1.5s}.
 */
final class Durations {

	private Durations() {
	}

	static String format(Duration duration) {
		long millis = duration.toMillis();
		if (millis < 1000) {
			return millis + "ms";
		}
		return (millis % 1000 == 0) ? (millis / 1000) + "s" : String.format("%.1fs", millis / 1000.0);
	}

}
