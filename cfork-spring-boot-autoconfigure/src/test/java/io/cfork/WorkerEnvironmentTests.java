package io.cfork;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link WorkerEnvironment}.
 */
class WorkerEnvironmentTests {

	private static final String MASTER_PID = Long.toString(ProcessHandle.current().pid());

	private WorkerPoolManager pool;

	@AfterEach
	void reap() {
		if (this.pool != null) {
			this.pool.stop();
		}
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workerChildren()).isEmpty());
	}

	@Test
	void refusesAnEnvironmentTheOsCannotHoldWithoutQuotingValues() {
		for (Map<String, String> env : List.of(Map.of("", "x"), Map.of("KEY\0tail-secret", "x"),
				Map.of("KEY=tail-secret", "x"), Map.of("KEY", "value\0value-secret"))) {
			assertThatExceptionOfType(InvalidPoolOptionException.class)
				.isThrownBy(() -> PoolOptions.builder(WorkerCommand.exec("sleep", List.of("1"))).env(env).build())
				.satisfies((ex) -> assertThat(ex.getOption()).startsWith("env"))
				.satisfies((ex) -> assertThat(ex.getMessage() + ex.getValue()).doesNotContain("secret"));
		}
	}

	@Test
	void readsEveryVariableThePoolSets() {
		assertThat(WorkerEnvironment.from(Map.of("CFORK_WORKER_INDEX", "2", "CFORK_WORKER_ID", "17",
				"CFORK_WORKER_COUNT", "4", "CFORK_MASTER_PID", "4242", "CFORK_POOL_ID", "5f1e2d3c4b5a6978", "PATH",
				"/usr/bin")))
			.contains(new WorkerEnvironment(2, 17, 4, 4242, "5f1e2d3c4b5a6978"));
	}

	@Test
	void isEmptyWithoutAMaster() {
		assertThat(WorkerEnvironment.from(Map.of("CFORK_WORKER_INDEX", "2", "CFORK_WORKER_COUNT", "4"))).isEmpty();
		assertThat(WorkerEnvironment.from(Map.of())).isEmpty();
	}

	@Test
	void isEmptyWhenAVariableIsMalformed() {
		assertThat(WorkerEnvironment.from(Map.of("CFORK_MASTER_PID", "4242", "CFORK_WORKER_INDEX", "two")))
			.isEmpty();
		assertThat(WorkerEnvironment.from(Map.of("CFORK_MASTER_PID", "master"))).isEmpty();
	}

	@Test
	void defaultsWhatAMasterDidNotSet() {
		assertThat(WorkerEnvironment.from(Map.of("CFORK_MASTER_PID", "4242")))
			.contains(new WorkerEnvironment(0, 0, 1, 4242, null));
	}

	@Test
	void thisJvmIsNotAWorker() {
		assumeThat(System.getenv(WorkerEnvironment.MASTER_PID)).as("the tests themselves run in a pool").isNull();
		assertThat(WorkerEnvironment.isWorker()).isFalse();
		assertThat(WorkerEnvironment.current()).isEmpty();
	}

	@Test
	@EnabledOnOs(OS.LINUX)
	void aJavaWorkerReadsItsOwnEnvironment() {
		List<String> lines = new CopyOnWriteArrayList<>();
		this.pool = new WorkerPoolManager(
				PoolOptions.builder(WorkerCommand.java(ReportingWorker.class.getName(), null, List.of(), List.of()))
					.count(2)
					.refork(false)
					.output((index, pid, stream, line) -> lines.add(line))
					.build());
		this.pool.start();
		await().atMost(Duration.ofSeconds(30)).until(() -> lines.size() == 2);
		List<String> expected = this.pool.snapshot()
			.workers()
			.stream()
			.map((worker) -> "worker=true index=" + worker.index() + " id=" + worker.id() + " count=2 master="
					+ MASTER_PID)
			.toList();
		assertThat(lines).containsExactlyInAnyOrderElementsOf(expected);
	}

	/**
	 * A Java worker that prints what it learns from its environment, then exits.
	 */
	public static final class ReportingWorker {

		public static void main(String[] args) {
			Optional<WorkerEnvironment> worker = WorkerEnvironment.current();
			System.out.println("worker=" + WorkerEnvironment.isWorker() + worker
				.map((env) -> " index=" + env.index() + " id=" + env.id() + " count=" + env.count() + " master="
						+ env.masterPid())
				.orElse(" none"));
		}

	}

}
