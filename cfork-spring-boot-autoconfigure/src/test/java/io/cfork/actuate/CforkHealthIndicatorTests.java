package io.cfork.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import io.cfork.PoolSnapshot;
import io.cfork.PoolStatus;
import io.cfork.WorkerExit;
import io.cfork.WorkerSnapshot;
import io.cfork.WorkerState;
import org.junit.jupiter.api.Test;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

/**
 * Tests for {@link CforkHealthIndicator}: one per row of the contract's table, from snapshots built
 * by hand.
 */
class CforkHealthIndicatorTests {

	private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

	private static final WorkerExit CRASHED = new WorkerExit(3, null, true, NOW, null, null);

	@Test
	void upWhenEveryWorkerIsReady() {
		Health health = health(PoolStatus.RUNNING, 2, 4, running(0), running(1));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsExactly(entry("status", PoolStatus.RUNNING), entry("desired", 2),
				entry("alive", 2), entry("ready", 2), entry("reforks", 4L), entry("crashLooping", 0));
	}

	@Test
	void upWhileTheFirstStartIsUnderWayThoughNoneIsReadyYet() {
		Health health = health(PoolStatus.STARTING, 2, 0, slot(0, WorkerState.STARTING, 41L, false),
				slot(1, WorkerState.STARTING, 42L, false));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("ready", 0).doesNotContainKey("reason");
	}

	@Test
	void upWithDetailsWhileSomeServeAndOthersCrashLoop() {
		Health health = health(PoolStatus.DEGRADED, 2, 9, running(0), slot(1, WorkerState.BACKOFF, null, true));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("status", PoolStatus.DEGRADED)
			.containsEntry("ready", 1)
			.containsEntry("crashLooping", 1)
			.containsEntry("reason", "1 of 2 workers ready; 1 crash-looping");
	}

	@Test
	void upWithDetailsWhenTheLimitIsReachedButSomeServe() {
		Health health = health(PoolStatus.GAVE_UP, 2, 3, running(0), slot(1, WorkerState.EXITED, null, true));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("reason", "1 of 2 workers ready; 1 crash-looping; refork limit "
				+ "reached (3 reforks within PT1M), no worker is reforked until one is restarted or the pool is scaled");
	}

	@Test
	void downWhenNoneIsReadyThoughTheyAreReforked() {
		Health health = health(PoolStatus.DEGRADED, 2, 17, slot(0, WorkerState.BACKOFF, null, true),
				slot(1, WorkerState.STARTING, 43L, true));
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsExactly(entry("status", PoolStatus.DEGRADED), entry("desired", 2),
				entry("alive", 1), entry("ready", 0), entry("reforks", 17L), entry("crashLooping", 2),
				entry("reason", "0 of 2 workers ready; 2 crash-looping"));
	}

	@Test
	void downWhenTheLimitIsReachedAndNoneIsReady() {
		Health health = health(PoolStatus.GAVE_UP, 1, 3, slot(0, WorkerState.EXITED, null, true));
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails().get("reason")).asString().startsWith("0 of 1 workers ready; 1 crash-looping; "
				+ "refork limit reached");
	}

	@Test
	void outOfServiceWhileStopping() {
		Health health = health(PoolStatus.STOPPING, 2, 0, slot(0, WorkerState.STOPPING, 41L, false),
				slot(1, WorkerState.EXITED, null, false));
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat(health.getDetails()).containsEntry("status", PoolStatus.STOPPING).doesNotContainKey("reason");
	}

	@Test
	void outOfServiceOnceStoppedThoughNoWorkerIsAlive() {
		Health health = health(PoolStatus.STOPPED, 2, 0, slot(0, WorkerState.EXITED, null, false),
				slot(1, WorkerState.EXITED, null, false));
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat(health.getDetails()).containsEntry("status", PoolStatus.STOPPED).doesNotContainKey("reason");
	}

	private static Health health(PoolStatus status, int desired, long reforks, WorkerSnapshot... workers) {
		List<WorkerSnapshot> slots = List.of(workers);
		int alive = (int) slots.stream().filter(WorkerSnapshot::isAlive).count();
		int ready = (int) slots.stream().filter((worker) -> worker.state() == WorkerState.RUNNING).count();
		PoolSnapshot pool = new PoolSnapshot(status, desired, alive, ready, reforks,
				new PoolSnapshot.Limit(3, Duration.ofMinutes(1), status == PoolStatus.GAVE_UP), List.of("sh"), slots,
				null);
		return new CforkHealthIndicator(() -> pool).health();
	}

	private static WorkerSnapshot running(int index) {
		return slot(index, WorkerState.RUNNING, 4000L + index, false);
	}

	private static WorkerSnapshot slot(int index, WorkerState state, Long pid, boolean crashLoop) {
		return new WorkerSnapshot(index, index + 1, pid, state, NOW, (state == WorkerState.RUNNING) ? NOW : null, 1,
				(pid != null) ? null : CRASHED, crashLoop, 0, 0, null, null, null, null, false, false);
	}

}
