package io.cfork;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link PoolStatusRule}: the contract's table of pool states.
 */
class PoolStatusRuleTests {

	@Test
	void startingUntilAllAreReadyOnTheFirstStart() {
		assertThat(PoolStatusRule.running(4, 0, true, false)).isEqualTo(PoolStatus.STARTING);
		assertThat(PoolStatusRule.running(4, 3, true, false)).isEqualTo(PoolStatus.STARTING);
		assertThat(PoolStatusRule.running(4, 4, true, false)).isEqualTo(PoolStatus.RUNNING);
	}

	@Test
	void runningWhileAllDesiredAreReady() {
		assertThat(PoolStatusRule.running(2, 2, false, false)).isEqualTo(PoolStatus.RUNNING);
		// Scaling down: slots being removed may still be ready.
		assertThat(PoolStatusRule.running(2, 3, false, false)).isEqualTo(PoolStatus.RUNNING);
	}

	@Test
	void degradedWhenFewerAreReadyAfterTheFirstStartOrAFailure() {
		assertThat(PoolStatusRule.running(4, 3, false, false)).isEqualTo(PoolStatus.DEGRADED);
		assertThat(PoolStatusRule.running(4, 0, false, false)).isEqualTo(PoolStatus.DEGRADED);
	}

	@Test
	void gaveUpPastTheReforkLimitWhateverIsReady() {
		assertThat(PoolStatusRule.running(4, 3, false, true)).isEqualTo(PoolStatus.GAVE_UP);
		assertThat(PoolStatusRule.running(4, 4, false, true)).isEqualTo(PoolStatus.GAVE_UP);
	}

}
