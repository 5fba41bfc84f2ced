package io.cfork;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link Launchers}: which launcher each {@link Launcher} option gives, here and in a
 * master without JNA on its class path.
 */
@EnabledOnOs(OS.LINUX)
class LaunchersTests {

	private static final WorkerCommand SLEEP = WorkerCommand.exec("sleep", List.of("3600"));

	@Test
	void eachOptionGivesItsLauncherAndAutoIsNativeHere() {
		assertThat(Launchers.nativeUnavailable()).isNull();
		for (Launcher option : Launcher.values()) {
			PoolOptions options = PoolOptions.builder(SLEEP).launcher(option).build();
			WorkerLauncher launcher = Launchers.create(options, options.output(), "test-pool", null);
			try {
				assertThat(launcher).as("launcher %s", option)
					.isInstanceOf((option == Launcher.JDK) ? JdkLauncher.class : NativeLauncher.class);
				assertThat(launcher.ownSession()).isTrue();
			}
			finally {
				launcher.close();
			}
		}
	}

	@Test
	void withoutJnaAutoFallsBackToTheJdkAndSaysWhy() throws Exception {
		Process master = masterWithoutJna(Launcher.AUTO);
		List<String> output = new ArrayList<>();
		List<Long> workers = new ArrayList<>();
		try {
			var out = master.inputReader(StandardCharsets.UTF_8);
			String line = out.readLine();
			while (line != null && !line.startsWith("PIDS ")) {
				output.add(line);
				line = out.readLine();
			}
			assertThat(line).as("the master's worker pids, after %s", output).isNotNull();
			Arrays.stream(line.substring(5).split(",")).map(Long::parseLong).forEach(workers::add);
			assertThat(output).anySatisfy((logged) -> assertThat(logged)
				.contains("Workers are started with ProcessBuilder (launcher auto): the native launcher cannot work "
						+ "here: JNA (net.java.dev.jna:jna) is not on the class path")
				.contains("process reaper thread"));
			assertThat(workers).hasSize(2).allSatisfy((pid) -> assertThat(Proc.parent(pid)).isEqualTo(master.pid()));
		}
		finally {
			master.destroyForcibly().waitFor();
			// Killed with their master (parent-death signal), or by this test if it failed first.
			workers.forEach((pid) -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
			await().atMost(Duration.ofSeconds(20))
				.until(() -> workers.stream().allMatch((pid) -> ProcessHandle.of(pid).isEmpty()));
		}
	}

	@Test
	void withoutJnaNativeIsRefusedNamingTheOptionAndTheFix() throws Exception {
		Process master = masterWithoutJna(Launcher.NATIVE);
		try {
			assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(master.exitValue()).isNotZero();
			String errors = new String(master.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(errors).contains("InvalidPoolOptionException: Invalid pool option 'launcher' (native): the "
					+ "native launcher cannot work here: JNA (net.java.dev.jna:jna) is not on the class path. Set "
					+ "launcher to auto or jdk to start workers with ProcessBuilder");
			assertThat(Proc.workersOf(master.pid())).as("workers forked").isEmpty();
		}
		finally {
			master.destroyForcibly().waitFor();
		}
	}

	@Test
	void withoutJnaNotifyIsRefusedNamingTheOptionAndTheFix() throws Exception {
		Process master = masterWithoutJna(Launcher.AUTO, "-Dreadiness=notify");
		try {
			assertThat(master.waitFor(60, TimeUnit.SECONDS)).isTrue();
			assertThat(master.exitValue()).isNotZero();
			String output = new String(master.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
			assertThat(output).contains("InvalidPoolOptionException: Invalid pool option 'readiness.type' (notify): "
					+ "needs a socket the JDK cannot open (AF_UNIX datagrams, socket pairs), and JNA cannot here: JNA "
					+ "(net.java.dev.jna:jna) is not on the class path. Add net.java.dev.jna:jna to the application's "
					+ "dependencies");
			assertThat(Proc.workersOf(master.pid())).as("workers forked").isEmpty();
		}
		finally {
			master.destroyForcibly().waitFor();
		}
	}

	private static Process masterWithoutJna(Launcher launcher, String... jvmArgs) throws IOException {
		String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
		String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
			.filter((entry) -> !Path.of(entry).getFileName().toString().startsWith("jna-"))
			.collect(Collectors.joining(File.pathSeparator));
		List<String> command = new ArrayList<>(List.of(java, "-cp", classPath));
		command.addAll(List.of(jvmArgs));
		command.addAll(List.of(ForkingMaster.class.getName(), "2", launcher.name()));
		return new ProcessBuilder(command).redirectErrorStream(launcher == Launcher.AUTO).start();
	}

}
