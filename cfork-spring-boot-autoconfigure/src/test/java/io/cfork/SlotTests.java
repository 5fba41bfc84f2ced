package io.cfork;

import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.function.IntConsumer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link Slot}'s state machine: each transition of its table, from every state it is
 * legal in, and a loud failure from every other state.
 */
class SlotTests {

	private static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

	private static final WorkerExit KILLED = new WorkerExit(137, "SIGKILL", true, NOW, null, null);

	private static final WorkerExit LAUNCH_FAILED = new WorkerExit(WorkerExit.LAUNCH_FAILED, null, true, NOW,
			"no such file", null);

	@Test
	void aNewSlotShowsAsStartingWithNoProcess() {
		Slot slot = new Slot(3);
		assertThat(slot.state()).isEqualTo(SlotState.NEW);
		assertThat(slot.snapshot()).satisfies((worker) -> {
			assertThat(worker.index()).isEqualTo(3);
			assertThat(worker.state()).isEqualTo(WorkerState.STARTING);
			assertThat(worker.pid()).isNull();
			assertThat(worker.restarts()).isZero();
			assertThat(worker.lastExit()).isNull();
		});
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "NEW", "BACKOFF", "EXITED", "SUSPENDED" })
	void startedFromEachForkableState(SlotState from) {
		Slot slot = in(from);
		slot.started(7, new Stub(4242), 1, NOW);
		assertThat(slot.state()).isEqualTo(SlotState.STARTING);
		assertThat(slot.snapshot().pid()).isEqualTo(4242L);
		assertThat(slot.snapshot().id()).isEqualTo(7);
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "NEW", "BACKOFF", "EXITED", "SUSPENDED" }, mode = EnumSource.Mode.EXCLUDE)
	void startedFromAnyOtherStateFails(SlotState from) {
		assertThatIllegalStateException().isThrownBy(() -> in(from).started(9, new Stub(1), 1, NOW));
	}

	@Test
	void readyMovesStartingToRunningAndEndsACrashLoop() {
		Slot slot = crashLooping();
		assertThat(slot.snapshot().crashLoop()).isTrue();
		slot.started(10, new Stub(5), 1, NOW);
		slot.ready(NOW);
		assertThat(slot.state()).isEqualTo(SlotState.RUNNING);
		assertThat(slot.snapshot().crashLoop()).isFalse();
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = "STARTING", mode = EnumSource.Mode.EXCLUDE)
	void readyFromAnyOtherStateFails(SlotState from) {
		assertThatIllegalStateException().isThrownBy(() -> in(from).ready(NOW));
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "STARTING", "RUNNING", "STOPPING", "RESTARTING", "REMOVING",
			"FAILING" })
	void stoppingFromEachAliveState(SlotState from) {
		Slot removing = in(from);
		removing.stopping(SlotState.REMOVING, null, null);
		assertThat(removing.state()).isEqualTo(SlotState.REMOVING);
		assertThat(removing.snapshot().state()).isEqualTo(WorkerState.STOPPING);
		Slot restarting = in(from);
		restarting.stopping(SlotState.RESTARTING, ForkCause.RESTART, null);
		assertThat(restarting.state()).isEqualTo(SlotState.RESTARTING);
		assertThat(restarting.restartCause()).isEqualTo(ForkCause.RESTART);
		restarting.stopping(SlotState.STOPPING, null, null);
		assertThat(restarting.restartCause()).isNull();
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "NEW", "BACKOFF", "EXITED", "SUSPENDED", "REMOVED" })
	void stoppingWithoutAProcessFails(SlotState from) {
		assertThatIllegalStateException().isThrownBy(() -> in(from).stopping(SlotState.STOPPING, null, null));
	}

	@Test
	void failingCarriesItsReasonToTheExitAndForgetsItOnTheNextFork() {
		Slot slot = in(SlotState.STARTING);
		slot.stopping(SlotState.FAILING, null, "not ready within 60s");
		assertThat(slot.snapshot().state()).isEqualTo(WorkerState.STOPPING);
		assertThat(slot.stopReason()).isEqualTo("not ready within 60s");
		assertThat(slot.wasReady()).isFalse();
		slot.exited(KILLED, SlotState.BACKOFF, 1);
		slot.started(2, new Stub(2), 1, NOW);
		assertThat(slot.stopReason()).isNull();
	}

	@Test
	void thePoolsOwnStopOverridesAFailingReason() {
		Slot slot = in(SlotState.RUNNING);
		assertThat(slot.wasReady()).isTrue();
		slot.stopping(SlotState.FAILING, null, "liveness: 3 failed checks");
		slot.stopping(SlotState.STOPPING, null, null);
		assertThat(slot.stopReason()).isNull();
	}

	@Test
	void stoppingNeedsAStopStateAndACauseOnlyToRestart() {
		assertThatIllegalStateException().isThrownBy(() -> in(SlotState.RUNNING).stopping(SlotState.EXITED, null, null));
		assertThatIllegalStateException().isThrownBy(() -> in(SlotState.RUNNING).stopping(SlotState.RESTARTING, null, null));
		assertThatIllegalStateException()
			.isThrownBy(() -> in(SlotState.RUNNING).stopping(SlotState.STOPPING, ForkCause.SCALE, null));
		assertThatIllegalStateException()
			.isThrownBy(() -> in(SlotState.RUNNING).stopping(SlotState.FAILING, null, null));
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "STARTING", "RUNNING", "STOPPING", "RESTARTING", "REMOVING",
			"FAILING" })
	void exitedFromEachAliveStateToEachOutcome(SlotState from) {
		for (SlotState next : EnumSet.of(SlotState.NEW, SlotState.BACKOFF, SlotState.EXITED, SlotState.SUSPENDED,
				SlotState.REMOVED)) {
			Slot slot = in(from);
			slot.exited(KILLED, next, 2);
			assertThat(slot.state()).isEqualTo(next);
			assertThat(slot.isAlive()).isFalse();
			assertThat(slot.snapshot().pid()).isNull();
			assertThat(slot.snapshot().lastExit()).isEqualTo(KILLED);
			assertThat(slot.youngDeaths()).isEqualTo(2);
			assertThat(slot.restartCause()).isNull();
		}
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "STARTING", "RUNNING", "STOPPING", "RESTARTING", "REMOVING", "FAILING" },
			mode = EnumSource.Mode.EXCLUDE)
	void exitedWithoutAProcessFails(SlotState from) {
		assertThatIllegalStateException().isThrownBy(() -> in(from).exited(KILLED, SlotState.EXITED, 0));
	}

	@Test
	void anExitCannotLeaveTheSlotAlive() {
		for (SlotState next : SlotState.ALIVE) {
			assertThatIllegalStateException().isThrownBy(() -> in(SlotState.RUNNING).exited(KILLED, next, 0));
		}
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "NEW", "BACKOFF", "EXITED", "SUSPENDED" })
	void launchFailedFromEachForkableState(SlotState from) {
		Slot slot = in(from);
		slot.launchFailed(11, 1, NOW, LAUNCH_FAILED, SlotState.BACKOFF, 1);
		assertThat(slot.state()).isEqualTo(SlotState.BACKOFF);
		assertThat(slot.id()).isEqualTo(11);
		assertThat(slot.snapshot().lastExit()).isEqualTo(LAUNCH_FAILED);
		assertThat(slot.snapshot().pid()).isNull();
	}

	@ParameterizedTest
	@EnumSource(value = SlotState.class, names = { "NEW", "BACKOFF", "EXITED", "SUSPENDED" }, mode = EnumSource.Mode.EXCLUDE)
	void launchFailedFromAnyOtherStateFails(SlotState from) {
		assertThatIllegalStateException()
			.isThrownBy(() -> in(from).launchFailed(11, 1, NOW, LAUNCH_FAILED, SlotState.BACKOFF, 1));
	}

	@Test
	void suspendedOnlyFromBackoff() {
		Slot slot = in(SlotState.BACKOFF);
		slot.suspended();
		assertThat(slot.state()).isEqualTo(SlotState.SUSPENDED);
		assertThat(slot.snapshot().state()).isEqualTo(WorkerState.EXITED);
		for (SlotState other : EnumSet.complementOf(EnumSet.of(SlotState.BACKOFF))) {
			assertThatIllegalStateException().isThrownBy(() -> in(other).suspended());
		}
	}

	@Test
	void haltedAndRemovedOnlyWithoutAProcess() {
		for (SlotState from : SlotState.values()) {
			boolean legal = SlotState.FORKABLE.contains(from);
			if (legal) {
				Slot halted = in(from);
				halted.halted();
				assertThat(halted.state()).isEqualTo(SlotState.EXITED);
				Slot removed = in(from);
				removed.removed();
				assertThat(removed.state()).isEqualTo(SlotState.REMOVED);
			}
			else {
				assertThatIllegalStateException().as("halted from %s", from).isThrownBy(() -> in(from).halted());
				assertThatIllegalStateException().as("removed from %s", from).isThrownBy(() -> in(from).removed());
			}
		}
	}

	@Test
	void countsRestartsOverForks() {
		Slot slot = in(SlotState.RUNNING);
		slot.exited(KILLED, SlotState.BACKOFF, 0);
		slot.started(2, new Stub(2), 1, NOW);
		assertThat(slot.snapshot().restarts()).isOne();
	}

	@Test
	void everyPublicStateIsShownBySomeSlotState() {
		Set<WorkerState> shown = EnumSet.noneOf(WorkerState.class);
		for (SlotState state : SlotState.values()) {
			shown.add(state.shown());
		}
		assertThat(shown).containsExactlyInAnyOrder(WorkerState.values());
	}

	/**
	 * A slot driven into the given state through its transitions only.
	 */
	private static Slot in(SlotState state) {
		Slot slot = new Slot(0);
		switch (state) {
			case NEW -> {
			}
			case STARTING -> slot.started(1, new Stub(100), 1, NOW);
			case RUNNING -> {
				slot.started(1, new Stub(100), 1, NOW);
				slot.ready(NOW);
			}
			case STOPPING, REMOVING -> {
				slot.started(1, new Stub(100), 1, NOW);
				slot.stopping(state, null, null);
			}
			case FAILING -> {
				slot.started(1, new Stub(100), 1, NOW);
				slot.stopping(state, null, "not ready within 60s");
			}
			case RESTARTING -> {
				slot.started(1, new Stub(100), 1, NOW);
				slot.stopping(state, ForkCause.SCALE, null);
			}
			case BACKOFF, EXITED, SUSPENDED, REMOVED -> {
				slot.started(1, new Stub(100), 1, NOW);
				slot.exited(KILLED, state, 0);
			}
		}
		assertThat(slot.state()).isEqualTo(state);
		return slot;
	}

	private static Slot crashLooping() {
		Slot slot = new Slot(0);
		for (int death = 1; death <= WorkerSnapshot.CRASH_LOOP_DEATHS; death++) {
			slot.started(death, new Stub(death), 1, NOW);
			slot.exited(KILLED, SlotState.BACKOFF, death);
		}
		return slot;
	}

	/**
	 * A process the slot holds; no process is started, the machine alone is under test.
	 */
	private record Stub(long pid) implements WorkerProcess {

		@Override
		public void onExit(IntConsumer exitCode) {
		}

		@Override
		public void terminate() {
		}

		@Override
		public void kill() {
		}

		@Override
		public void quit() {
		}

		@Override
		public String lastErrorLine() {
			return null;
		}

	}

}
