package io.cfork.autoconfigure;

import io.cfork.InvalidPoolOptionException;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Explains a {@code cfork.*} property the pool cannot work with: which property, what is wrong with
 * its value, and how to fix it.
 */
class CforkFailureAnalyzer extends AbstractFailureAnalyzer<InvalidPoolOptionException> {

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, InvalidPoolOptionException cause) {
		String property = "cfork." + cause.getOption();
		String description = (cause.getValue() != null)
				? "The worker pool cannot start. Invalid value '%s' for property '%s': %s.".formatted(cause.getValue(),
						property, cause.getProblem())
				: "The worker pool cannot start. Property '%s': %s.".formatted(property, cause.getProblem());
		return new FailureAnalysis(description, cause.getFix(property), cause);
	}

}
