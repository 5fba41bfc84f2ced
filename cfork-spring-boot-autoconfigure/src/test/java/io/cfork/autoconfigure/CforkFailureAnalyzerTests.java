package io.cfork.autoconfigure;

import java.time.Duration;
import java.util.List;

import io.cfork.InvalidPoolOptionException;
import io.cfork.PoolOptions;
import io.cfork.WorkerCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatException;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Tests for {@link CforkFailureAnalyzer}.
 */
@ExtendWith(OutputCaptureExtension.class)
class CforkFailureAnalyzerTests {

	private static final WorkerCommand SLEEP = WorkerCommand.exec("sleep", List.of("1"));

	@Test
	void namesThePropertyWithItsPrefixAndTheFix() {
		FailureAnalysis analysis = new CforkFailureAnalyzer().analyze(new IllegalStateException("wrapped",
				new InvalidPoolOptionException("backoff.max", "1s", "must not be less than backoff.initial (2s)",
						"Set {backoff.max} to at least {backoff.initial}.")));
		assertThat(analysis.getDescription()).isEqualTo(
				"The worker pool cannot start. Invalid value '1s' for property 'cfork.backoff.max': must not be "
						+ "less than backoff.initial (2s).");
		assertThat(analysis.getAction()).isEqualTo("Set cfork.backoff.max to at least cfork.backoff.initial.");
	}

	@Test
	void namesEveryOptionInTheFixAsAProperty() {
		FailureAnalysis analysis = new CforkFailureAnalyzer().analyze(new InvalidPoolOptionException("limit", 0,
				"must be at least 1", "Set {limit} to 1 or more; to never refork, set {refork}=false instead."));
		assertThat(analysis.getDescription())
			.isEqualTo("The worker pool cannot start. Invalid value '0' for property 'cfork.limit': must be at least 1.");
		assertThat(analysis.getAction())
			.isEqualTo("Set cfork.limit to 1 or more; to never refork, set cfork.refork=false instead.");
	}

	@Test
	void describesAMissingValueWithoutQuotingIt() {
		FailureAnalysis analysis = new CforkFailureAnalyzer().analyze(new InvalidPoolOptionException("exec", null,
				"no worker command is set", "Set {exec} to the worker's executable."));
		assertThat(analysis.getDescription())
			.isEqualTo("The worker pool cannot start. Property 'cfork.exec': no worker command is set.");
		assertThat(analysis.getAction()).isEqualTo("Set cfork.exec to the worker's executable.");
	}

	@Test
	void turnsTheCoresOptionNamesIntoProperties() {
		assertThat(analyze(PoolOptions.builder(SLEEP).backoff(Duration.ofSeconds(2), Duration.ofSeconds(1))))
			.satisfies((analysis) -> {
				assertThat(analysis.getDescription()).isEqualTo("The worker pool cannot start. Invalid value 'PT1S' "
						+ "for property 'cfork.backoff.max': must not be less than backoff.initial (PT2S).");
				assertThat(analysis.getAction())
					.isEqualTo("Set cfork.backoff.max to at least cfork.backoff.initial, or lower cfork.backoff.initial.");
			});
		assertThat(analyze(PoolOptions.builder(SLEEP).limit(0, Duration.ofMinutes(1))).getAction())
			.isEqualTo("Set cfork.limit to 1 or more (default 60); to never refork, set cfork.refork=false instead.");
		assertThat(analyze(PoolOptions.builder(WorkerCommand.exec("no-such-worker-binary", List.of()))).getAction())
			.isEqualTo("Install it, set cfork.exec to its absolute path, or add its folder to PATH (cfork.env.PATH for "
					+ "workers).");
		assertThat(analyze(PoolOptions.builder(WorkerCommand.java("com.example.NoSuchWorker", null, List.of(),
				List.of())))
			.getAction()).isEqualTo(
					"Check the class name in cfork.java.main-class, or set cfork.java.class-path to where the class lives.");
	}

	@Test
	void isWhatAUserSeesWhenTheApplicationFailsToStart(CapturedOutput output) {
		SpringApplication application = new SpringApplication(MinimalApplication.class);
		application.setWebApplicationType(WebApplicationType.NONE);
		assertThatException().isThrownBy(() -> application.run("--cfork.exec=sleep", "--cfork.count=0"));
		assertThat(output).contains("APPLICATION FAILED TO START")
			.contains("The worker pool cannot start. Invalid value '0' for property 'cfork.count': must be at least 1.")
			.contains("Set cfork.count to 1 or more");
	}

	private static FailureAnalysis analyze(PoolOptions.Builder invalid) {
		Throwable failure = catchThrowable(invalid::build);
		assertThat(failure).isInstanceOf(InvalidPoolOptionException.class);
		assertThat(failure.getMessage()).doesNotContain("cfork.");
		return new CforkFailureAnalyzer().analyze(failure);
	}

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(CforkAutoConfiguration.class)
	static class MinimalApplication {

	}

}
