package io.cfork;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Backoff}.
 */
class BackoffTests {

	private static final Duration INITIAL = Duration.ofMillis(100);

	private static final Duration MAX = Duration.ofSeconds(30);

	@Test
	void startsAtTheInitialDelayAndDoubles() {
		assertThat(Backoff.delay(INITIAL, MAX, 1)).isEqualTo(Duration.ofMillis(100));
		assertThat(Backoff.delay(INITIAL, MAX, 2)).isEqualTo(Duration.ofMillis(200));
		assertThat(Backoff.delay(INITIAL, MAX, 3)).isEqualTo(Duration.ofMillis(400));
		assertThat(Backoff.delay(INITIAL, MAX, 9)).isEqualTo(Duration.ofMillis(25_600));
	}

	@Test
	void isCappedWithoutOverflowing() {
		assertThat(Backoff.delay(INITIAL, MAX, 10)).isEqualTo(MAX);
		assertThat(Backoff.delay(INITIAL, MAX, Integer.MAX_VALUE)).isEqualTo(MAX);
		assertThat(Backoff.delay(Duration.ofDays(365 * 100), Duration.ofDays(365 * 200), 100))
			.isEqualTo(Duration.ofDays(365 * 200));
	}

	@Test
	void zeroStaysZero() {
		assertThat(Backoff.delay(Duration.ZERO, MAX, 50)).isZero();
	}

}
