package io.cfork;

import java.time.Duration;

/**
 * The refork delay of a worker that died young: {@code initial}, doubling on each consecutive young
 * death, capped at {@code max}.
 */
final class Backoff {

	private Backoff() {
	}

	/**
	 * The delay before reforking after the given number of consecutive young deaths.
	 * @param initial the first delay
	 * @param max the cap
	 * @param youngDeaths consecutive young deaths, including this one (at least 1)
	 * @return the delay
	 */
	static Duration delay(Duration initial, Duration max, int youngDeaths) {
		long delay = initial.toNanos();
		long cap = max.toNanos();
		for (int i = 1; i < youngDeaths && delay < cap; i++) {
			delay = (delay > Long.MAX_VALUE / 2) ? Long.MAX_VALUE : delay * 2;
		}
		return Duration.ofNanos(Math.min(delay, cap));
	}

}
