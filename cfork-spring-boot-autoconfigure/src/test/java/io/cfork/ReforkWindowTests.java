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
		assertThat(window.tryAcquire(0)).isTrue();
		assertThat(window.tryAcquire(SECOND)).isTrue();
		assertThat(window.tryAcquire(2 * SECOND)).isTrue();
		assertThat(window.tryAcquire(3 * SECOND)).isFalse();
		assertThat(window.tryAcquire(9 * SECOND)).isFalse();
	}

	@Test
	void slides() {
		ReforkWindow window = new ReforkWindow(2, 10 * SECOND);
		assertThat(window.tryAcquire(0)).isTrue();
		assertThat(window.tryAcquire(5 * SECOND)).isTrue();
		assertThat(window.tryAcquire(9 * SECOND)).isFalse();
		// The first refork leaves the window at 10 s, the second at 15 s.
		assertThat(window.tryAcquire(10 * SECOND)).isTrue();
		assertThat(window.tryAcquire(14 * SECOND)).isFalse();
		assertThat(window.tryAcquire(15 * SECOND)).isTrue();
	}

	@Test
	void refusedAttemptsAreNotRecorded() {
		ReforkWindow window = new ReforkWindow(1, 10 * SECOND);
		assertThat(window.tryAcquire(0)).isTrue();
		for (long t = 1; t < 10; t++) {
			assertThat(window.tryAcquire(t * SECOND)).isFalse();
		}
		assertThat(window.tryAcquire(10 * SECOND)).isTrue();
	}

	@Test
	void resetForgetsEverything() {
		ReforkWindow window = new ReforkWindow(2, 10 * SECOND);
		window.tryAcquire(0);
		window.tryAcquire(1);
		assertThat(window.tryAcquire(2)).isFalse();
		window.reset();
		assertThat(window.tryAcquire(3)).isTrue();
		assertThat(window.tryAcquire(4)).isTrue();
		assertThat(window.tryAcquire(5)).isFalse();
	}

	@Test
	void worksWithNegativeTicks() {
		// System.nanoTime() may be negative.
		ReforkWindow window = new ReforkWindow(1, 10 * SECOND);
		assertThat(window.tryAcquire(Long.MIN_VALUE / 2)).isTrue();
		assertThat(window.tryAcquire(Long.MIN_VALUE / 2 + SECOND)).isFalse();
		assertThat(window.tryAcquire(Long.MIN_VALUE / 2 + 10 * SECOND)).isTrue();
	}

}
