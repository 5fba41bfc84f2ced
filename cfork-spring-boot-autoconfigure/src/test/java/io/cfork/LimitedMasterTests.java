package io.cfork;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A master in a JVM of its own ({@link LimitedMaster}) under a limit on processes, as containers
 * and shared hosts have: a start or scale that cannot fit is refused up front naming the limit;
 * one that fails part-way keeps what it forked, and the master still stops on SIGTERM, leaving
 * nothing. Each subclass puts the master under one kind of limit.
 */
@EnabledOnOs(OS.LINUX)
abstract class LimitedMasterTests {

	static final Duration WAIT = Duration.ofSeconds(30);

	private @Nullable Process master;

	private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

	private @Nullable Writer commands;

	/**
	 * The command that runs the rest of its line under the limit.
	 * @param max the limit, in pids
	 */
	abstract List<String> confine(int max) throws IOException;

	/** The processes that count against the limit: the master, its workers and what they started. */
	abstract List<Long> members() throws IOException;

	/** The limit's name, as the pool's messages give it. */
	abstract String limitName();

	@AfterEach
	void stopMaster() throws Exception {
		if (this.master != null) {
			this.master.destroyForcibly().waitFor(WAIT.toSeconds(), TimeUnit.SECONDS);
		}
		// Whatever is left would be a failure of the test; kill it so the next test starts clean.
		await().atMost(WAIT).until(() -> {
			members().forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
			return members().isEmpty();
		});
		nothingLeft();
	}

	/** Runs once the master and everything under the limit are gone. */
	void nothingLeft() throws IOException {
	}

	@ParameterizedTest
	@EnumSource(value = Launcher.class, names = { "NATIVE", "JDK" })
	void aStartThatCannotFitIsRefusedUpFront(Launcher launcher) throws Exception {
		startMaster(300, 400, launcher, "sleep", "600");
		String refused = awaitLine("REFUSED");
		assertThat(refused).contains("'count' (400)", "400 more workers need", limitName(), "is 300",
				"kept for the master's own threads", "Set count to at most");
		assertThat(this.master.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
		assertThat(this.master.exitValue()).isEqualTo(2);
		assertThat(members()).as("nothing was forked").isEmpty();
	}

	@ParameterizedTest
	@EnumSource(value = Launcher.class, names = { "NATIVE", "JDK" })
	void aScaleThatCannotFitIsRefusedUpFrontAndTheMasterStops(Launcher launcher) throws Exception {
		startMaster(300, 2, launcher, "sleep", "600");
		assertThat(awaitLine("STARTED")).isEqualTo("STARTED 2 2");
		command("scale 400");
		assertThat(awaitLine("FAILED")).startsWith("FAILED InvalidPoolOptionException 2 ")
			.contains("398 more workers need", limitName(), "is 300");
		command("scale 3");
		assertThat(awaitLine("SCALED")).isEqualTo("SCALED 3 3");
		stopMasterAndCheckNothingLeft();
	}

	@ParameterizedTest
	@EnumSource(value = Launcher.class, names = { "NATIVE", "JDK" })
	void aScaleThatFailsPartWayKeepsWhatItForkedAndTheMasterStillStops(Launcher launcher) throws Exception {
		// Each worker takes five pids, where the pool counts one: the check lets the scale through,
		// the limit is reached part-way. On the jdk launcher the failure may come after the spawn
		// (no thread for the process's reaper): that process must be found by its mark too, since
		// nothing may be left once the master stopped.
		startMaster(400, 1, launcher, "sh", "-c", "sleep 601 & sleep 602 & sleep 603 & sleep 604 & exec sleep 600");
		assertThat(awaitLine("STARTED")).isEqualTo("STARTED 1 1");
		// Within what the check allows for the launcher (one pid a worker for native, two for jdk).
		int count = (launcher == Launcher.JDK) ? 150 : 200;
		command("scale " + count);
		String failed = awaitLine("FAILED");
		assertThat(failed).startsWith("FAILED ScaleIncompleteException ")
			.contains("of " + count + " workers, then worker", "desired is now")
			.containsAnyOf("Resource temporarily unavailable", "unable to create native thread")
			.doesNotContain("Spawn helper");
		int desired = Integer.parseInt(failed.split(" ")[2]);
		assertThat(desired).isBetween(1, count - 1);
		assertThat(failed).contains("desired is now " + desired);
		stopMasterAndCheckNothingLeft();
	}

	private void stopMasterAndCheckNothingLeft() throws Exception {
		this.master.destroy();
		assertThat(this.master.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the master exits on SIGTERM").isTrue();
		await().atMost(WAIT).untilAsserted(() -> assertThat(members()).as("processes left under the limit").isEmpty());
	}

	private void startMaster(int max, int count, Launcher launcher, String... command) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		List<String> line = new ArrayList<>(confine(max));
		line.addAll(List.of(java, "-Xss256k", "-cp", System.getProperty("java.class.path"),
				LimitedMaster.class.getName(), Integer.toString(count), launcher.name()));
		line.addAll(List.of(command));
		this.master = new ProcessBuilder(line).redirectError(ProcessBuilder.Redirect.INHERIT).start();
		this.commands = new OutputStreamWriter(this.master.getOutputStream(), StandardCharsets.UTF_8);
		BufferedReader out = new BufferedReader(
				new InputStreamReader(this.master.getInputStream(), StandardCharsets.UTF_8));
		Thread reader = new Thread(() -> {
			try {
				for (String read = out.readLine(); read != null; read = out.readLine()) {
					this.lines.add(read);
				}
			}
			catch (IOException ex) {
				// The master is gone.
			}
		}, "limited-master-stdout");
		reader.setDaemon(true);
		reader.start();
	}

	private void command(String command) throws IOException {
		this.commands.write(command + "\n");
		this.commands.flush();
	}

	private String awaitLine(String prefix) throws InterruptedException {
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (System.nanoTime() < deadline) {
			String line = this.lines.poll(100, TimeUnit.MILLISECONDS);
			if (line != null && line.startsWith(prefix)) {
				return line;
			}
		}
		throw new AssertionError("the master printed no " + prefix + " line within " + WAIT);
	}

}
