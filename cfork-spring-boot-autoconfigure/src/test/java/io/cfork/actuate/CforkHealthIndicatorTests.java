package io.cfork.actuate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * Tests for {@link CforkHealthIndicator}: one per branch, from snapshots built by hand.
 */
class CforkHealthIndicatorTests {

	private static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

	private static final WorkerExit CRASHED = new WorkerExit(3, null, true, NOW, null);

	@Test
	void upWhenEveryWorkerIsAlive() {
		Health health = health(PoolStatus.RUNNING, 2, 4, running(0), running(1));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsExactly(entry("status", PoolStatus.RUNNING), entry("desired", 2),
				entry("alive", 2), entry("reforks", 4L));
	}

	@Test
	void upWhileStarting() {
		Health health = health(PoolStatus.STARTING, 1, 0, slot(0, WorkerState.STARTING, 41L));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).doesNotContainKey("reason");
	}

	@Test
	void upWhileSomeWorkersAreReforked() {
		Health health = health(PoolStatus.DEGRADED, 2, 1, running(0), slot(1, WorkerState.BACKOFF, null));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("status", PoolStatus.DEGRADED)
			.containsEntry("alive", 1)
			.doesNotContainKey("reason");
	}

	@Test
	void upWhenNoWorkerIsAliveButOneWaitsToBeReforked() {
		Health health = health(PoolStatus.DEGRADED, 2, 0, slot(0, WorkerState.EXITED, null),
				slot(1, WorkerState.BACKOFF, null));
		assertThat(health.getStatus()).isEqualTo(Status.UP);
		assertThat(health.getDetails()).containsEntry("alive", 0).doesNotContainKey("reason");
	}

	@Test
	void downWhenNoWorkerIsAliveAndNoneWillBeForked() {
		Health health = health(PoolStatus.DEGRADED, 2, 0, slot(0, WorkerState.EXITED, null),
				slot(1, WorkerState.EXITED, null));
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsExactly(entry("status", PoolStatus.DEGRADED), entry("desired", 2),
				entry("alive", 0), entry("reforks", 0L), entry("reason", "no worker is alive and none will be forked"));
	}

	@Test
	void downOnceTheReforkLimitIsReachedEvenWithWorkersAlive() {
		Health health = health(PoolStatus.GAVE_UP, 2, 3, running(0), slot(1, WorkerState.EXITED, null));
		assertThat(health.getStatus()).isEqualTo(Status.DOWN);
		assertThat(health.getDetails()).containsExactly(entry("status", PoolStatus.GAVE_UP), entry("desired", 2),
				entry("alive", 1), entry("reforks", 3L), entry("reason", "refork limit reached: 3 reforks within PT1M"));
	}

	@Test
	void outOfServiceWhileStopping() {
		Health health = health(PoolStatus.STOPPING, 2, 0, slot(0, WorkerState.STOPPING, 41L),
				slot(1, WorkerState.EXITED, null));
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat(health.getDetails()).containsEntry("status", PoolStatus.STOPPING).doesNotContainKey("reason");
	}

	@Test
	void outOfServiceOnceStoppedThoughNoWorkerIsAlive() {
		Health health = health(PoolStatus.STOPPED, 2, 0, slot(0, WorkerState.EXITED, null),
				slot(1, WorkerState.EXITED, null));
		assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
		assertThat(health.getDetails()).containsEntry("status", PoolStatus.STOPPED).doesNotContainKey("reason");
	}

	private static Health health(PoolStatus status, int desired, long reforks, WorkerSnapshot... workers) {
		List<WorkerSnapshot> slots = List.of(workers);
		int alive = (int) slots.stream().filter(WorkerSnapshot::isAlive).count();
		PoolSnapshot pool = new PoolSnapshot(status, desired, alive, reforks,
				new PoolSnapshot.Limit(3, Duration.ofMinutes(1), status == PoolStatus.GAVE_UP), List.of("sh"),
				new ArrayList<>(slots));
		return new CforkHealthIndicator(() -> pool).health();
	}

	private static WorkerSnapshot running(int index) {
		return slot(index, WorkerState.RUNNING, 4000L + index);
	}

	private static WorkerSnapshot slot(int index, WorkerState state, Long pid) {
		return new WorkerSnapshot(index, index + 1, pid, state, NOW, 1, (pid != null) ? null : CRASHED);
	}

}
