package io.cfork.autoconfigure;

import io.cfork.InvalidPoolOptionException;
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

/**
 * Tests for {@link CforkFailureAnalyzer}.
 */
@ExtendWith(OutputCaptureExtension.class)
class CforkFailureAnalyzerTests {

	@Test
	void namesThePropertyWithItsPrefixAndTheFix() {
		FailureAnalysis analysis = new CforkFailureAnalyzer().analyze(new IllegalStateException("wrapped",
				new InvalidPoolOptionException("backoff.max", "1s", "must not be less than backoff.initial (2s)",
						"Set %s to at least cfork.backoff.initial.")));
		assertThat(analysis.getDescription()).isEqualTo(
				"The worker pool cannot start. Invalid value '1s' for property 'cfork.backoff.max': must not be "
						+ "less than backoff.initial (2s).");
		assertThat(analysis.getAction()).isEqualTo("Set cfork.backoff.max to at least cfork.backoff.initial.");
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

	@Configuration(proxyBeanMethods = false)
	@ImportAutoConfiguration(CforkAutoConfiguration.class)
	static class MinimalApplication {

	}

}
