package io.cfork.autoconfigure;

import java.time.Duration;

import io.cfork.LivenessCheck;
import io.cfork.PoolOptions;
import io.cfork.Proc;
import io.cfork.ReadinessCheck;
import io.cfork.WorkerPoolManager;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code cfork.readiness.*}, {@code cfork.liveness.*} and {@code cfork.increment-env}: bound to the
 * pool's options, and every mistake a start-up failure that names the property and the fix, with
 * nothing forked.
 */
class CforkChecksConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(CforkAutoConfiguration.class))
		.withPropertyValues("cfork.exec=sleep", "cfork.args=3600", "cfork.count=1", "cfork.env.PORT=9000");

	@Test
	void bindsTheChecks() {
		this.contextRunner
			.withPropertyValues("cfork.readiness.type=http", "cfork.readiness.url=http://localhost:{PORT}/ready",
					"cfork.readiness.timeout=20s", "cfork.readiness.interval=250ms", "cfork.liveness.type=port",
					"cfork.liveness.port=9000", "cfork.liveness.period=5s", "cfork.liveness.timeout=2s",
					"cfork.liveness.failure-threshold=4", "cfork.increment-env=PORT")
			.run((context) -> {
				PoolOptions options = context.getBean(WorkerPoolManager.class).getOptions();
				assertThat(options.readiness().type()).isEqualTo(ReadinessCheck.Type.HTTP);
				assertThat(options.readiness().url()).isEqualTo("http://localhost:{PORT}/ready");
				assertThat(options.readiness().timeout()).isEqualTo(Duration.ofSeconds(20));
				assertThat(options.readiness().interval()).isEqualTo(Duration.ofMillis(250));
				assertThat(options.liveness().type()).isEqualTo(LivenessCheck.Type.PORT);
				assertThat(options.liveness().port()).isEqualTo(9000);
				assertThat(options.liveness().period()).isEqualTo(Duration.ofSeconds(5));
				assertThat(options.liveness().timeout()).isEqualTo(Duration.ofSeconds(2));
				assertThat(options.liveness().failureThreshold()).isEqualTo(4);
				assertThat(options.incrementEnv()).containsExactly("PORT");
				assertThat(options.env(2)).containsEntry("PORT", "9002");
			});
	}

	@Test
	void failsOnACheckWithoutTheSettingItNeeds() {
		assertFailure("cfork.readiness.port", "is required by readiness type port", "Set cfork.readiness.port to",
				"cfork.readiness.type=port");
		assertFailure("cfork.readiness.url", "is required by readiness type http", "Set cfork.readiness.url to",
				"cfork.readiness.type=http");
		assertFailure("cfork.readiness.log-pattern", "is required by readiness type log",
				"Set cfork.readiness.log-pattern to", "cfork.readiness.type=log");
		assertFailure("cfork.liveness.url", "is required by liveness type http", "Set cfork.liveness.url to",
				"cfork.liveness.type=http");
		assertFailure("cfork.liveness.port", "is required by liveness type port", "Set cfork.liveness.port to",
				"cfork.liveness.type=port");
	}

	@Test
	void failsOnBadCheckSettings() {
		assertFailure("cfork.readiness.port", "ports range from 1 to 65535", "from 1 to 65535",
				"cfork.readiness.type=port", "cfork.readiness.port=70000");
		assertFailure("cfork.readiness.url", "is not an http or https URL", "Set cfork.readiness.url to an http://",
				"cfork.readiness.type=http", "cfork.readiness.url=ftp://localhost/ready");
		assertFailure("cfork.readiness.url", "{SECRET_PORT} names no variable a worker will have",
				"put in braces only index or the name of a variable of cfork.env", "cfork.readiness.type=http",
				"cfork.readiness.url=http://localhost:{SECRET_PORT}/");
		assertFailure("cfork.readiness.log-pattern", "is not a regular expression", "Fix the regular expression",
				"cfork.readiness.type=log", "cfork.readiness.log-pattern=listening (on");
		assertFailure("cfork.readiness.timeout", "must be positive", "Set cfork.readiness.timeout to",
				"cfork.readiness.type=port", "cfork.readiness.port=9000", "cfork.readiness.timeout=0s");
		assertFailure("cfork.liveness.timeout", "must be less than liveness.period",
				"Set cfork.liveness.timeout below cfork.liveness.period", "cfork.liveness.type=port",
				"cfork.liveness.port=9000", "cfork.liveness.period=1s", "cfork.liveness.timeout=1s");
		assertFailure("cfork.liveness.failure-threshold", "must be at least 1",
				"Set cfork.liveness.failure-threshold to 1 or more", "cfork.liveness.type=port",
				"cfork.liveness.port=9000", "cfork.liveness.failure-threshold=0");
	}

	@Test
	void bindsWhatWorkersSayThemselves() {
		this.contextRunner
			.withPropertyValues("cfork.readiness.type=notify", "cfork.liveness.type=watchdog",
					"cfork.liveness.watchdog-timeout=5s")
			.run((context) -> {
				PoolOptions options = context.getBean(WorkerPoolManager.class).getOptions();
				assertThat(options.readiness().type()).isEqualTo(ReadinessCheck.Type.NOTIFY);
				assertThat(options.liveness().type()).isEqualTo(LivenessCheck.Type.WATCHDOG);
				assertThat(options.liveness().watchdogTimeout()).isEqualTo(Duration.ofSeconds(5));
			});
		this.contextRunner.withPropertyValues("cfork.readiness.type=ipc")
			.run((context) -> assertThat(context.getBean(WorkerPoolManager.class).getOptions().readiness().type())
				.isEqualTo(ReadinessCheck.Type.IPC));
	}

	@Test
	void failsOnIpcWithTheJdkLauncherAndOnAWatchdogTimeoutThatIsNotPositive() {
		assertFailure("cfork.readiness.type", "needs the native launcher", "Set cfork.launcher to auto or native",
				"cfork.readiness.type=ipc", "cfork.launcher=jdk");
		assertFailure("cfork.liveness.watchdog-timeout", "must be positive", "Set cfork.liveness.watchdog-timeout to",
				"cfork.liveness.type=watchdog", "cfork.liveness.watchdog-timeout=0s");
	}

	@Test
	void failsOnAnIncrementOfAnEntryThatIsNotThereOrNotANumber() {
		assertFailure("cfork.increment-env", "names no entry of env", "Add cfork.env.HTTP_PORT",
				"cfork.increment-env=HTTP_PORT");
		assertFailure("cfork.increment-env", "env.NAME is not an integer", "Give cfork.env.NAME an integer value",
				"cfork.env.NAME=worker", "cfork.increment-env=NAME");
	}

	@Test
	void failsOnADurationTooLongForATimer() {
		assertFailure("cfork.shutdown-timeout", "is longer than the 365 days", "at most 365d",
				"cfork.shutdown-timeout=110000d");
	}

	private void assertFailure(String property, String problem, String fix, String... properties) {
		this.contextRunner.withPropertyValues(properties).run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new CforkFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).as("failure analysis of %s", context.getStartupFailure()).isNotNull();
			assertThat(analysis.getDescription()).contains("'" + property + "'").contains(problem);
			assertThat(analysis.getAction()).contains(fix);
			assertThat(Proc.workerChildren()).isEmpty();
		});
	}

}
