package io.cfork;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ReforkWindow}: at most {@code limit} reforks within any window of
 * {@code duration}.
 */
class ReforkWindowTests {

	private static final long SECOND = 1_000_000_000L;

	@Test
	void allowsUpToTheLimitWithinTheWindow() {
		ReforkWindow window = new ReforkWindow(3, 10 * SECOND);
		assertThat(tryAcquire(window, 0)).isTrue();
		assertThat(tryAcquire(window, SECOND)).isTrue();
		assertThat(tryAcquire(window, 2 * SECOND)).isTrue();
		assertThat(tryAcquire(window, 3 * SECOND)).isFalse();
		assertThat(tryAcquire(window, 9 * SECOND)).isFalse();
	}

	@Test
	void slides() {
		ReforkWindow window = new ReforkWindow(2, 10 * SECOND);
		assertThat(tryAcquire(window, 0)).isTrue();
		assertThat(tryAcquire(window, 5 * SECOND)).isTrue();
		assertThat(tryAcquire(window, 9 * SECOND)).isFalse();
		// The first refork leaves the window at 10 s, the second at 15 s.
		assertThat(tryAcquire(window, 10 * SECOND)).isTrue();
		assertThat(tryAcquire(window, 14 * SECOND)).isFalse();
		assertThat(tryAcquire(window, 15 * SECOND)).isTrue();
	}

	@Test
	void refusedAttemptsAreNotRecorded() {
		ReforkWindow window = new ReforkWindow(1, 10 * SECOND);
		assertThat(tryAcquire(window, 0)).isTrue();
		for (long t = 1; t < 10; t++) {
			assertThat(tryAcquire(window, t * SECOND)).isFalse();
		}
		assertThat(tryAcquire(window, 10 * SECOND)).isTrue();
	}

	@Test
	void resetForgetsEverything() {
		ReforkWindow window = new ReforkWindow(2, 10 * SECOND);
		window.record(0);
		window.record(1);
		assertThat(tryAcquire(window, 2)).isFalse();
		window.reset();
		assertThat(tryAcquire(window, 3)).isTrue();
		assertThat(tryAcquire(window, 4)).isTrue();
		assertThat(tryAcquire(window, 5)).isFalse();
	}

	@Test
	void worksWithNegativeTicks() {
		// System.nanoTime() may be negative.
		ReforkWindow window = new ReforkWindow(1, 10 * SECOND);
		assertThat(tryAcquire(window, Long.MIN_VALUE / 2)).isTrue();
		assertThat(tryAcquire(window, Long.MIN_VALUE / 2 + SECOND)).isFalse();
		assertThat(tryAcquire(window, Long.MIN_VALUE / 2 + 10 * SECOND)).isTrue();
	}

	/** What the pool does with an unexpected exit: refork if the window has room, and record it. */
	private static boolean tryAcquire(ReforkWindow window, long now) {
		if (!window.hasRoom(now)) {
			return false;
		}
		window.record(now);
		return true;
	}

}
