package io.cfork.worker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * sd_notify messages as datagrams on a real socket, and the watchdog as libsystemd reads it.
 */
@EnabledOnOs(OS.LINUX)
class SdNotifyTests {

	private static final Duration WAIT = Duration.ofSeconds(5);

	@TempDir
	Path directory;

	@Test
	void eachMessageIsOneDatagramOnTheSocketPath() {
		try (NotifyReceiver receiver = NotifyReceiver.bind(this.directory.resolve("notify").toString())) {
			SdNotify notify = notifier(Map.of(SdNotify.NOTIFY_SOCKET, receiver.address()));
			assertThat(notify.isEnabled()).isTrue();
			assertThat(notify.status("starting\nREADY=1")).isTrue();
			assertThat(notify.ready()).isTrue();
			assertThat(notify.watchdog()).isTrue();
			assertThat(notify.stopping()).isTrue();
			assertThat(notify.notify("READY=1\nSTATUS=serving")).isTrue();
			assertThat(receiver.receive(WAIT)).as("a status cannot smuggle in another assignment")
				.isEqualTo("STATUS=starting READY=1");
			assertThat(receiver.receive(WAIT)).isEqualTo("READY=1");
			assertThat(receiver.receive(WAIT)).isEqualTo("WATCHDOG=1");
			assertThat(receiver.receive(WAIT)).isEqualTo("STOPPING=1");
			assertThat(receiver.receive(WAIT)).isEqualTo("READY=1\nSTATUS=serving");
		}
	}

	@Test
	void anAbstractNameIsWrittenWithALeadingAt() {
		try (NotifyReceiver receiver = NotifyReceiver.bind("@cfork-test-" + UUID.randomUUID())) {
			assertThat(notifier(Map.of(SdNotify.NOTIFY_SOCKET, receiver.address())).ready()).isTrue();
			assertThat(receiver.receive(WAIT)).isEqualTo("READY=1");
		}
	}

	@Test
	void withoutASocketEveryMessageIsANoOp() {
		SdNotify notify = notifier(Map.of());
		assertThat(notify.isEnabled()).isFalse();
		assertThat(notify.ready()).isFalse();
		assertThat(notify.watchdog()).isFalse();
		assertThat(notifier(Map.of(SdNotify.NOTIFY_SOCKET, "")).isEnabled()).isFalse();
	}

	@Test
	void aMessageThatCannotBeSentIsNotThrown() {
		assertThat(notifier(Map.of(SdNotify.NOTIFY_SOCKET, this.directory.resolve("nobody").toString())).ready())
			.as("nobody bound to the path")
			.isFalse();
		assertThat(notifier(Map.of(SdNotify.NOTIFY_SOCKET, "relative/path")).ready()).isFalse();
		assertThat(notifier(Map.of(SdNotify.NOTIFY_SOCKET, "/" + "x".repeat(200))).ready()).isFalse();
	}

	@Test
	void theWatchdogIsForThisPidOnly() {
		assertThat(watchdog(Map.of(SdNotify.WATCHDOG_USEC, "3000000"))).contains(Duration.ofSeconds(3));
		assertThat(watchdog(Map.of(SdNotify.WATCHDOG_USEC, "3000000", SdNotify.WATCHDOG_PID, "42")))
			.contains(Duration.ofSeconds(3));
		assertThat(watchdog(Map.of(SdNotify.WATCHDOG_USEC, "3000000", SdNotify.WATCHDOG_PID, "43"))).isEmpty();
		assertThat(watchdog(Map.of(SdNotify.WATCHDOG_USEC, "0"))).isEmpty();
		assertThat(watchdog(Map.of(SdNotify.WATCHDOG_USEC, "soon"))).isEmpty();
		assertThat(watchdog(Map.of(SdNotify.WATCHDOG_USEC, "3000000", SdNotify.WATCHDOG_PID, "x"))).isEmpty();
		assertThat(watchdog(Map.of())).isEmpty();
	}

	private static Optional<Duration> watchdog(Map<String, String> env) {
		return SdNotify.from(env::get, 42).watchdogTimeout();
	}

	private static SdNotify notifier(Map<String, String> env) {
		return SdNotify.from(env::get, ProcessHandle.current().pid());
	}

}
