package io.cfork.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.cfork.workers.NotifyingWorker;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A plain Java worker in its own JVM, telling its supervisor through the static calls what its
 * environment allows.
 */
@EnabledOnOs(OS.LINUX)
class CforkWorkerTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	@TempDir
	Path directory;

	@Test
	void aWorkerWithANotifySocketSendsItsMessages() throws Exception {
		try (NotifyReceiver receiver = NotifyReceiver.bind(this.directory.resolve("notify").toString())) {
			String output = run(Map.of("CFORK_MASTER_PID", "1", SdNotify.NOTIFY_SOCKET, receiver.address(),
					SdNotify.WATCHDOG_USEC, "4000000"));
			assertThat(output).isEqualTo("worker=true notifying=true watchdog=PT4S sent=true");
			assertThat(receiver.receive(WAIT)).isEqualTo("STATUS=warming up");
			assertThat(receiver.receive(WAIT)).isEqualTo("READY=1");
			assertThat(receiver.receive(WAIT)).isEqualTo("WATCHDOG=1");
			assertThat(receiver.receive(WAIT)).isEqualTo("STOPPING=1");
		}
	}

	@Test
	void withoutANotifySocketEveryCallIsANoOp() throws Exception {
		assertThat(run(Map.of(SdNotify.WATCHDOG_USEC, "4000000", SdNotify.WATCHDOG_PID, "1")))
			.isEqualTo("worker=false notifying=false watchdog=null sent=false");
	}

	private static String run(Map<String, String> env) throws IOException, InterruptedException {
		ProcessBuilder builder = new ProcessBuilder(
				Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
				System.getProperty("java.class.path"), NotifyingWorker.class.getName());
		builder.environment().keySet().removeAll(List.of("CFORK_MASTER_PID", SdNotify.NOTIFY_SOCKET,
				SdNotify.WATCHDOG_USEC, SdNotify.WATCHDOG_PID));
		builder.environment().putAll(env);
		builder.redirectErrorStream(true);
		Process process = builder.start();
		try {
			assertThat(process.waitFor(WAIT.toSeconds(), TimeUnit.SECONDS)).as("worker exited").isTrue();
			String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
			assertThat(process.exitValue()).as(output).isZero();
			return output.lines().reduce((first, second) -> second).orElse("");
		}
		finally {
			process.destroyForcibly();
			process.waitFor();
		}
	}

}
