package io.cfork;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master killed by SIGKILL leaves no process carrying its mark: not its workers (the
 * parent-death signal), not what they started in their session, not their daemons (the pool's
 * watchdog).
 */
@EnabledOnOs(OS.LINUX)
class MasterDeathTests {

	private Process master;

	private final List<Long> marked = new ArrayList<>();

	@AfterEach
	void reapEverything() {
		if (this.master != null) {
			this.master.destroyForcibly();
		}
		this.marked.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
	}

	@ParameterizedTest
	@EnumSource(value = Launcher.class, names = { "NATIVE", "JDK" })
	void shellAndDaemonizingWorkersLeaveNothingAfterTheMasterIsSigkilled(Launcher launcher) throws Exception {
		// Each worker is a shell whose child cannot be exec'd in its place, plus a daemon in a session of its own.
		startMaster("3", launcher.name(), "sh", "-c", "setsid sleep 3601 & sleep 3600; echo unreachable");
		long masterPid = this.master.pid();
		await().atMost(Duration.ofSeconds(20)).until(() -> Proc.workersOf(masterPid).size() == 9);
		this.marked.addAll(Proc.workersOf(masterPid));
		this.master.destroyForcibly().waitFor();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(Proc.workersOf(masterPid))
			.as("processes carrying the mark of master %d", masterPid)
			.isEmpty());
	}

	private void startMaster(String... args) throws Exception {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
				ForkingMaster.class.getName()));
		command.addAll(List.of(args));
		this.master = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
		BufferedReader out = new BufferedReader(new InputStreamReader(this.master.getInputStream(), StandardCharsets.UTF_8));
		String line = out.readLine();
		while (line != null && !line.startsWith("PIDS ")) {
			line = out.readLine();
		}
		assertThat(line).as("the master's worker pids").isNotNull();
	}

}
