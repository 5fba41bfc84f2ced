package io.cfork;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link LeftoverReaper}: nothing a worker started outlives it, and nothing else is
 * killed.
 */
@EnabledOnOs(OS.LINUX)
class LeftoverReaperTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	/** A worker whose shell cannot exec its child, so the child is a grandchild of the master. */
	private static final WorkerCommand SHELL_WITH_CHILD = WorkerCommand.exec("sh",
			List.of("-c", "sleep 3600; echo unreachable"));

	/** A worker that starts a daemon in a session of its own, out of the worker's session. */
	private static final WorkerCommand DAEMONIZING = WorkerCommand.exec("sh",
			List.of("-c", "setsid sleep 3601 & exec sleep 3600"));

	private WorkerPoolManager pool;

	private LeftoverReaper reaper;

	@AfterEach
	void stopPool() {
		if (this.pool != null) {
			this.pool.stop();
			assertThat(marked(this.pool.getPoolId())).as("processes carrying the stopped pool's mark").isEmpty();
		}
		if (this.reaper != null) {
			this.reaper.close();
		}
	}

	@Test
	void killsWhatIsLeftInTheSessionOfADeadWorker() throws Exception {
		this.reaper = new LeftoverReaper("test-pool");
		Process leader = new ProcessBuilder("setsid", "sh", "-c", "sleep 3600; echo unreachable").start();
		long child = await().atMost(WAIT)
			.until(() -> leader.children().findFirst().map(ProcessHandle::pid).orElse(null), (pid) -> pid != null);
		try {
			leader.destroy();
			leader.waitFor();
			long died = System.nanoTime();
			assertThat(ProcessHandle.of(child)).as("the orphaned child").isPresent();
			Map<Long, Long> leftovers = this.reaper.leftoversOf(List.of(dead(leader.pid(), 1, died)));
			assertThat(leftovers).containsOnlyKeys(child);
			assertThat(LeftoverReaper.kill(leftovers, "in a test")).isOne();
			assertThat(ProcessHandle.of(child)).isEmpty();
		}
		finally {
			ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
		}
	}

	@Test
	void sparesAStrangerThatReusedTheDeadWorkersPidAndSession() throws Exception {
		this.reaper = new LeftoverReaper("test-pool");
		Process worker = new ProcessBuilder("setsid", "sleep", "3600").start();
		long pid = worker.pid();
		worker.destroyForcibly().waitFor();
		long died = System.nanoTime();
		LeftoverReaper.Dead dead = dead(pid, 1, died);
		// The next process gets the dead worker's pid: it leads a session of that id, after the death.
		await().atMost(WAIT).until(() -> ProcFs.ticksAt(System.nanoTime()) > dead.diedTicks());
		Files.writeString(Path.of("/proc/sys/kernel/ns_last_pid"), Long.toString(pid - 1));
		Process stranger = new ProcessBuilder("setsid", "sh", "-c", "sleep 3600; echo unreachable").start();
		try {
			assertThat(stranger.pid()).as("the stranger reuses the pid").isEqualTo(pid);
			await().atMost(WAIT).until(() -> stranger.children().findAny().isPresent());
			assertThat(Proc.session(stranger.children().findAny().orElseThrow().pid())).isEqualTo(pid);
			assertThat(this.reaper.leftoversOf(List.of(dead))).isEmpty();
		}
		finally {
			stranger.descendants().forEach(ProcessHandle::destroyForcibly);
			stranger.destroyForcibly().waitFor();
		}
	}

	@Test
	void nothingAWorkerStartedSurvivesTheStopOfThePool() {
		this.pool = new WorkerPoolManager(PoolOptions.builder(SHELL_WITH_CHILD).count(2).output(null).build());
		this.pool.start();
		List<Long> workers = alivePids();
		await().atMost(WAIT).until(() -> Proc.sessionMembers(workers).size() == 4);
		this.pool.stop();
		assertThat(Proc.sessionMembers(workers)).as("processes left in the workers' sessions").isEmpty();
	}

	@Test
	void nothingAWorkerStartedSurvivesItsSigkill() {
		this.pool = new WorkerPoolManager(PoolOptions.builder(SHELL_WITH_CHILD).count(1).output(null).build());
		this.pool.start();
		long worker = alivePids().get(0);
		await().atMost(WAIT).until(() -> Proc.sessionMembers(List.of(worker)).size() == 2);
		ProcessHandle.of(worker).orElseThrow().destroyForcibly();
		await().atMost(WAIT).until(() -> Proc.sessionMembers(List.of(worker)).isEmpty());
		await().atMost(WAIT).until(() -> this.pool.snapshot().alive() == 1
				&& this.pool.snapshot().worker(0).orElseThrow().pid() != worker);
	}

	@Test
	void aDaemonThatLeftTheSessionDiesWithItsWorkerByItsMark() {
		this.pool = new WorkerPoolManager(PoolOptions.builder(DAEMONIZING).count(1).output(null).build());
		this.pool.start();
		long worker = alivePids().get(0);
		long daemon = await().atMost(WAIT).until(() -> daemonsOf(worker), (daemons) -> daemons.size() == 1).get(0);
		assertThat(Proc.session(daemon)).isNotEqualTo(worker);
		ProcessHandle.of(worker).orElseThrow().destroyForcibly();
		await().atMost(WAIT).until(() -> ProcessHandle.of(daemon).isEmpty());
		// The refork's own daemon lives.
		long reforked = await().atMost(WAIT)
			.until(() -> this.pool.snapshot().worker(0).orElseThrow().pid(), (pid) -> pid != null && pid != worker);
		await().atMost(WAIT).until(() -> daemonsOf(reforked).size() == 1);
	}

	@Test
	void daemonsDieWhenThePoolStops() {
		this.pool = new WorkerPoolManager(PoolOptions.builder(DAEMONIZING).count(3).output(null).build());
		this.pool.start();
		await().atMost(WAIT).until(() -> marked(this.pool.getPoolId()).size() == 6);
		this.pool.stop();
		assertThat(marked(this.pool.getPoolId())).isEmpty();
	}

	private List<Long> alivePids() {
		return this.pool.snapshot().workers().stream().map(WorkerSnapshot::pid).toList();
	}

	/** The processes carrying the mark of the worker with this pid, but the worker. */
	private List<Long> daemonsOf(long worker) {
		Map<String, String> env = Proc.environment(worker);
		return marked(this.pool.getPoolId()).stream()
			.filter((pid) -> pid != worker)
			.filter((pid) -> env.get("CFORK_WORKER_ID").equals(Proc.environment(pid).get("CFORK_WORKER_ID")))
			.toList();
	}

	private static List<Long> marked(String poolId) {
		return ProcFs.pids().stream()
			.filter((pid) -> poolId.equals(Proc.environment(pid).get(WorkerEnvironment.POOL_ID)))
			.filter((pid) -> ProcFs.stat(pid) != null && ProcFs.stat(pid).state() != 'Z')
			.toList();
	}

	private static LeftoverReaper.Dead dead(long pid, long id, long diedNanos) {
		return new LeftoverReaper.Dead(pid, id, ProcFs.ticksAt(diedNanos));
	}

}
