package io.cfork.autoconfigure;

import io.cfork.InvalidPoolOptionException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@code cfork.*} property the pool cannot work with: which property, what is wrong with
 * its value, and how to fix it. The core names its options bare ({@code count}); here the option, and
 * every option its fix names, is shown as the property a user sets ({@code cfork.count}).
 */
class CforkFailureAnalyzer extends AbstractFailureAnalyzer<InvalidPoolOptionException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidPoolOptionException cause) {
		String property = property(cause.getOption());
		String description = (cause.getValue() != null)
				? "The worker pool cannot start. Invalid value '%s' for property '%s': %s.".formatted(cause.getValue(),
						property, cause.getProblem())
				: "The worker pool cannot start. Property '%s': %s.".formatted(property, cause.getProblem());
		return new FailureAnalysis(description, cause.getFix(CforkFailureAnalyzer::property), cause);
	}

	/**
	 * The property a user sets for a pool option: {@code count} is {@code cfork.count}.
	 */
	private static String property(String option) {
		return "cfork." + option;
	}

}
