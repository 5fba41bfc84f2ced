package io.cfork;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ExitPolicy}: every outcome of an exit, without processes or a clock.
 */
class ExitPolicyTests {

	private static final Duration INITIAL = Duration.ofMillis(100);

	private static final Duration MAX = Duration.ofSeconds(30);

	private final ExitPolicy policy = new ExitPolicy(true, Set.of(0, 42), INITIAL, MAX);

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "STARTING", "RUNNING", "STOPPING", "RESTARTING", "REMOVING",
			"FAILING" })
	void anExitWhileThePoolStopsIsExpectedAndFinal(SlotState state) {
		ExitOutcome outcome = decide(this.policy, exit(state, 137).stopping());
		assertThat(outcome.next()).isEqualTo(SlotState.EXITED);
		assertThat(outcome.unexpected()).isFalse();
		assertThat(outcome.description()).isEqualTo("stopped");
	}

	@Test
	void aWorkerAskedToStopStaysStopped() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.STOPPING, 143));
		assertThat(outcome.next()).isEqualTo(SlotState.EXITED);
		assertThat(outcome.unexpected()).isFalse();
		assertThat(outcome.reforks()).isFalse();
	}

	@Test
	void aWorkerRemovedByAScaleDownIsRemoved() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.REMOVING, 143));
		assertThat(outcome.next()).isEqualTo(SlotState.REMOVED);
		assertThat(outcome.unexpected()).isFalse();
		assertThat(outcome.description()).isEqualTo("removed (scaled down)");
	}

	@ParameterizedTest
	@EnumSource(value = ForkCause.class, names = { "RESTART", "SCALE" })
	void aRestartedWorkerIsForkedAgainWithTheCauseOfItsStop(ForkCause cause) {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.RESTARTING, 143).restarting(cause));
		assertThat(outcome.next()).isEqualTo(SlotState.NEW);
		assertThat(outcome.forkCause()).isEqualTo(cause);
		assertThat(outcome.unexpected()).isFalse();
		assertThat(outcome.youngDeaths()).isZero();
		assertThat(outcome.description()).isEqualTo("forking again (" + cause.tag() + ")");
	}

	@Test
	void aReadyWorkerIsReforkedAtOnceAndItsBackoffForgotten() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.RUNNING, 137).withYoungDeaths(4));
		assertThat(outcome.next()).isEqualTo(SlotState.BACKOFF);
		assertThat(outcome.reforks()).isTrue();
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.delay()).isZero();
		assertThat(outcome.youngDeaths()).isZero();
		assertThat(outcome.description()).isEqualTo("reforking");
	}

	@Test
	void aWorkerThatDiedBeforeItWasReadyBacksOffLongerEachTime() {
		ExitOutcome first = decide(this.policy, exit(SlotState.STARTING, 1));
		assertThat(first.next()).isEqualTo(SlotState.BACKOFF);
		assertThat(first.youngDeaths()).isOne();
		assertThat(first.delay()).isEqualTo(INITIAL);
		assertThat(first.description()).isEqualTo("reforking in 100ms");
		ExitOutcome third = decide(this.policy, exit(SlotState.STARTING, 1).withYoungDeaths(2));
		assertThat(third.youngDeaths()).isEqualTo(3);
		assertThat(third.delay()).isEqualTo(Duration.ofMillis(400));
		ExitOutcome capped = decide(this.policy, exit(SlotState.STARTING, 1).withYoungDeaths(40));
		assertThat(capped.delay()).isEqualTo(MAX);
		assertThat(capped.description()).isEqualTo("reforking in 30s");
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "NEW", "BACKOFF", "EXITED", "SUSPENDED" })
	void aLaunchFailureDiedYoung(SlotState state) {
		ExitOutcome outcome = decide(this.policy, exit(state, WorkerExit.LAUNCH_FAILED).failedToLaunch().withYoungDeaths(1));
		assertThat(outcome.next()).isEqualTo(SlotState.BACKOFF);
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.youngDeaths()).isEqualTo(2);
		assertThat(outcome.delay()).isEqualTo(Duration.ofMillis(200));
	}

	@Test
	void aWorkerStoppedBeforeItWasReadyDiedYoung() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.FAILING, 143).withYoungDeaths(1));
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.next()).isEqualTo(SlotState.BACKOFF);
		assertThat(outcome.youngDeaths()).isEqualTo(2);
		assertThat(outcome.delay()).isEqualTo(Duration.ofMillis(200));
	}

	@Test
	void aWorkerStoppedForItsLivenessIsReforkedAtOnce() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.FAILING, 137).afterReady());
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.next()).isEqualTo(SlotState.BACKOFF);
		assertThat(outcome.delay()).isZero();
		assertThat(outcome.youngDeaths()).isZero();
	}

	@Test
	void aFailedCheckPastTheLimitSuspendsTheSlot() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.FAILING, 143).pastTheLimit());
		assertThat(outcome.next()).isEqualTo(SlotState.SUSPENDED);
	}

	@Test
	void aStopExitCodeEndsTheSlot() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.RUNNING, 42));
		assertThat(outcome.next()).isEqualTo(SlotState.EXITED);
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.description()).isEqualTo("not reforking (exit code is a stop exit code)");
	}

	@Test
	void aLaunchFailureIsNeverAStopExitCode() {
		ExitPolicy policy = new ExitPolicy(true, Set.of(255), INITIAL, MAX);
		ExitOutcome outcome = decide(policy, exit(SlotState.NEW, 255).failedToLaunch());
		assertThat(outcome.next()).isEqualTo(SlotState.BACKOFF);
	}

	@Test
	void withReforkOffAnUnexpectedExitEndsTheSlot() {
		ExitPolicy policy = new ExitPolicy(false, Set.of(), INITIAL, MAX);
		ExitOutcome outcome = decide(policy, exit(SlotState.RUNNING, 1));
		assertThat(outcome.next()).isEqualTo(SlotState.EXITED);
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.description()).isEqualTo("not reforking (refork is off)");
	}

	@Test
	void pastTheReforkLimitTheSlotIsSuspended() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.STARTING, 1).withYoungDeaths(2).pastTheLimit());
		assertThat(outcome.next()).isEqualTo(SlotState.SUSPENDED);
		assertThat(outcome.unexpected()).isTrue();
		assertThat(outcome.reforks()).isFalse();
		assertThat(outcome.youngDeaths()).isEqualTo(3);
		assertThat(outcome.description()).isEqualTo("not reforking (refork limit reached)");
	}

	@Test
	void anExpectedExitIgnoresTheLimit() {
		ExitOutcome outcome = decide(this.policy, exit(SlotState.RESTARTING, 143).restarting(ForkCause.RESTART)
			.pastTheLimit());
		assertThat(outcome.next()).isEqualTo(SlotState.NEW);
	}

	private static ExitOutcome decide(ExitPolicy policy, Facts facts) {
		return policy.decide(new ExitPolicy.Exit(facts.state(), facts.restartCause(), facts.poolStopping(),
				facts.launchFailed(), facts.wasReady(), facts.code(), facts.youngDeaths(), facts.limitReached()));
	}

	private static Facts exit(SlotState state, int code) {
		return new Facts(state, null, false, false, state == SlotState.RUNNING, code, 0, false);
	}

	/**
	 * Builds {@link ExitPolicy.Exit} values one fact at a time.
	 */
	private record Facts(SlotState state, ForkCause restartCause, boolean poolStopping, boolean launchFailed,
			boolean wasReady, int code, int youngDeaths, boolean limitReached) {

		Facts stopping() {
			return new Facts(this.state, this.restartCause, true, this.launchFailed, this.wasReady, this.code,
					this.youngDeaths, this.limitReached);
		}

		Facts restarting(ForkCause cause) {
			return new Facts(this.state, cause, this.poolStopping, this.launchFailed, this.wasReady, this.code,
					this.youngDeaths, this.limitReached);
		}

		Facts failedToLaunch() {
			return new Facts(this.state, this.restartCause, this.poolStopping, true, false, this.code,
					this.youngDeaths, this.limitReached);
		}

		Facts withYoungDeaths(int youngDeaths) {
			return new Facts(this.state, this.restartCause, this.poolStopping, this.launchFailed, this.wasReady,
					this.code, youngDeaths, this.limitReached);
		}

		Facts pastTheLimit() {
			return new Facts(this.state, this.restartCause, this.poolStopping, this.launchFailed, this.wasReady,
					this.code, this.youngDeaths, true);
		}

		Facts afterReady() {
			return new Facts(this.state, this.restartCause, this.poolStopping, this.launchFailed, true, this.code,
					this.youngDeaths, this.limitReached);
		}

	}

}
