package io.cfork;

import java.io.IOException;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ProcessLimitException}, with the messages {@link ProcessBuilder#start()} gives
 * at a limit on JDK 17 and JDK 25 (each JDK's real one is seen by {@link PidLimitTests}, which runs
 * on one JDK at a time).
 */
class ProcessLimitExceptionTests {

	/** JDK 25, {@code posix_spawn} refused by a full {@code pids.max}. */
	private static final String JDK_25_EAGAIN = """
			Cannot run program "/usr/bin/setpriv": posix_spawn failed, error: 11 (Resource temporarily unavailable) \

			Possible reasons:
			  - Spawn helper ran into JDK version mismatch
			  - Spawn helper ran into unexpected internal error
			  - Spawn helper was terminated by another process
			Possible solutions:
			  - Restart JVM, especially after in-place JDK updates
			  - Check system logs for JDK-related errors
			  - Re-install JDK to fix permission/versioning problems
			  - Switch to legacy launch mechanism with -Djdk.lang.Process.launchMechanism=FORK
			""";

	@Test
	void limitsAsJdk17WordsThem() {
		assertThat(isLimit("Cannot run program \"/usr/bin/setpriv\": error=11, Resource temporarily unavailable"))
			.isTrue();
		assertThat(isLimit("Cannot run program \"sh\": error=12, Cannot allocate memory")).isTrue();
		assertThat(isLimit("Cannot run program \"sh\": error=24, Too many open files")).isTrue();
		assertThat(isLimit("Cannot run program \"sh\": error=23, Too many open files in system")).isTrue();
	}

	@Test
	void limitsAsJdk25WordsThem() {
		assertThat(isLimit(JDK_25_EAGAIN)).isTrue();
		assertThat(isLimit("Cannot run program \"sh\": posix_spawn failed, error: 12 (Cannot allocate memory)"))
			.isTrue();
	}

	@Test
	void otherFailuresAreNotLimits() {
		assertThat(isLimit("Cannot run program \"nope\": error=2, No such file or directory")).isFalse();
		assertThat(isLimit("Cannot run program \"nope\": posix_spawn failed, error: 2 (No such file or directory)"))
			.isFalse();
		assertThat(isLimit("Cannot run program \"x\": error=110, Connection timed out")).isFalse();
		assertThat(isLimit("Cannot run program \"x\": error: 111 (Connection refused)")).isFalse();
	}

	@Test
	void jdk25sSpawnHelperAdviceIsLeftOut() {
		assertThat(ProcessLimitException.of(new IOException(JDK_25_EAGAIN)).getMessage()).isEqualTo(
				"Cannot run program \"/usr/bin/setpriv\": posix_spawn failed, error: 11 (Resource temporarily unavailable)");
	}

	private static boolean isLimit(String message) {
		return ProcessLimitException.isLimit(new IOException(message));
	}

}
