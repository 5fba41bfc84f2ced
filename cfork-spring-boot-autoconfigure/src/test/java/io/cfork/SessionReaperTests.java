package io.cfork;

import java.time.Duration;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link SessionReaper}: nothing a worker started outlives it.
 */
@EnabledOnOs(OS.LINUX)
class SessionReaperTests {

	/** A worker whose shell cannot exec its child, so the child is a grandchild of the master. */
	private static final WorkerCommand SHELL_WITH_CHILD = WorkerCommand.exec("sh",
			List.of("-c", "sleep 3600; echo unreachable"));

	private WorkerPoolManager pool;

	@AfterEach
	void stopPool() {
		if (this.pool != null) {
			this.pool.stop();
		}
	}

	@Test
	void killsEveryProcessLeftInTheSessionOfADeadLeader() throws Exception {
		Process leader = new ProcessBuilder("setsid", "sh", "-c", "sleep 3600; echo unreachable").start();
		long child = await().atMost(Duration.ofSeconds(10))
			.until(() -> leader.children().findFirst().map(ProcessHandle::pid).orElse(null), (pid) -> pid != null);
		try {
			leader.destroy();
			leader.waitFor();
			assertThat(ProcessHandle.of(child)).as("the orphaned child").isPresent();
			assertThat(SessionReaper.killSessions(Set.of(leader.pid()))).isOne();
			await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(child).isEmpty());
		}
		finally {
			ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
		}
	}

	@Test
	void leavesASessionAloneWhileItsLeaderLives() throws Exception {
		Process leader = new ProcessBuilder("setsid", "sh", "-c", "sleep 3600; echo unreachable").start();
		try {
			await().atMost(Duration.ofSeconds(10)).until(() -> leader.children().findAny().isPresent());
			assertThat(SessionReaper.killSessions(Set.of(leader.pid()))).isZero();
			assertThat(leader.children().count()).isOne();
		}
		finally {
			leader.descendants().forEach(ProcessHandle::destroyForcibly);
			leader.destroyForcibly().waitFor();
		}
	}

	@Test
	void nothingAWorkerStartedSurvivesTheStopOfThePool() {
		this.pool = new WorkerPoolManager(PoolOptions.builder(SHELL_WITH_CHILD).count(2).output(null).build());
		this.pool.start();
		List<Long> workers = alivePids();
		await().atMost(Duration.ofSeconds(10)).until(() -> Proc.sessionMembers(workers).size() == 4);
		this.pool.stop();
		assertThat(Proc.sessionMembers(workers)).as("processes left in the workers' sessions").isEmpty();
	}

	@Test
	void nothingAWorkerStartedSurvivesItsSigkill() {
		this.pool = new WorkerPoolManager(PoolOptions.builder(SHELL_WITH_CHILD).count(1).output(null).build());
		this.pool.start();
		long worker = alivePids().get(0);
		await().atMost(Duration.ofSeconds(10)).until(() -> Proc.sessionMembers(List.of(worker)).size() == 2);
		ProcessHandle.of(worker).orElseThrow().destroyForcibly();
		await().atMost(Duration.ofSeconds(10)).until(() -> Proc.sessionMembers(List.of(worker)).isEmpty());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.pool.snapshot().alive() == 1
				&& this.pool.snapshot().worker(0).orElseThrow().pid() != worker);
	}

	private List<Long> alivePids() {
		return this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList();
	}

}
