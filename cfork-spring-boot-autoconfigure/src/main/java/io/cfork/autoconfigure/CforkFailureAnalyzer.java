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
		String description = "The worker pool cannot start: property '%s' %s%s.".formatted(property,
				(cause.getValue() != null) ? "(value '" + cause.getValue() + "') " : "", cause.getProblem());
		return new FailureAnalysis(description, cause.getFix(property), cause);
	}

}
