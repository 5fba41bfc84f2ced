package io.cfork;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Supervision never waits on log I/O: a master whose stdout is a full pipe nobody reads keeps
 * reforking its workers, and stops them on SIGTERM.
 */
@EnabledOnOs(OS.LINUX)
class BlockedLogTests {

	private static final Duration WAIT = Duration.ofSeconds(20);

	/** A Linux pipe holds 64 KiB: with this much unread, the master's next log line blocks. */
	private static final int PIPE_FULL = 60 * 1024;

	private Process master;

	@AfterEach
	void reapEverything() throws InterruptedException {
		if (this.master != null) {
			this.master.destroyForcibly().waitFor();
			await().atMost(WAIT).until(() -> Proc.workersOf(this.master.pid()).isEmpty());
		}
	}

	@Test
	void aMasterWithAFullStdoutReforksAndStops() throws Exception {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		// stdout is a pipe this test never reads: once 64 KiB are written, every write to it blocks.
		this.master = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
				LoggingMaster.class.getName(), "3")
			.redirectError(ProcessBuilder.Redirect.DISCARD)
			.start();
		long masterPid = this.master.pid();
		List<Long> workers = await().atMost(WAIT).until(() -> workers(masterPid), (pids) -> pids.size() == 3);
		// The workers print 600 KB through the master's log: its stdout is full.
		await().atMost(WAIT).until(() -> this.master.getInputStream().available() >= PIPE_FULL);
		long killed = workers.get(0);
		ProcessHandle.of(killed).orElseThrow().destroyForcibly();
		List<Long> reforked = await().atMost(WAIT)
			.until(() -> workers(masterPid), (pids) -> pids.size() == 3 && !pids.contains(killed));
		assertThat(new HashSet<>(reforked)).containsAll(workers.subList(1, 3));
		this.master.destroy();
		assertThat(this.master.waitFor(30, TimeUnit.SECONDS)).as("the master exits on SIGTERM")
			.isTrue();
		Set<Long> all = new HashSet<>(workers);
		all.addAll(reforked);
		await().atMost(WAIT)
			.untilAsserted(() -> assertThat(all).allSatisfy((pid) -> assertThat(ProcessHandle.of(pid)).isEmpty()));
		assertThat(Proc.workersOf(masterPid)).isEmpty();
	}

	/** The master's direct children that carry its mark (not their {@code yes}/{@code head}). */
	private static List<Long> workers(long masterPid) {
		return Proc.workersOf(masterPid).stream().filter((pid) -> Proc.parent(pid) == masterPid).toList();
	}

}
