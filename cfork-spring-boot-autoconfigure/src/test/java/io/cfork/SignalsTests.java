package io.cfork;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link Signals}.
 */
class SignalsTests {

	@Test
	void namesTheSignalOfCodesAbove128() {
		assertThat(Signals.fromExitCode(137)).isEqualTo("SIGKILL");
		assertThat(Signals.fromExitCode(143)).isEqualTo("SIGTERM");
		assertThat(Signals.fromExitCode(130)).isEqualTo("SIGINT");
		assertThat(Signals.fromExitCode(139)).isEqualTo("SIGSEGV");
		assertThat(Signals.fromExitCode(134)).isEqualTo("SIGABRT");
		assertThat(Signals.fromExitCode(128 + 34)).isEqualTo("SIGRTMIN+0");
	}

	@Test
	void namesNothingForOrdinaryCodes() {
		assertThat(Signals.fromExitCode(0)).isNull();
		assertThat(Signals.fromExitCode(1)).isNull();
		assertThat(Signals.fromExitCode(128)).isNull();
		assertThat(Signals.fromExitCode(255)).isNull();
		assertThat(Signals.fromExitCode(-1)).isNull();
	}

}
