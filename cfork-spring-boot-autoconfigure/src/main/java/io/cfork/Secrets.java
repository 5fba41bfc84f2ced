package io.cfork;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * Masks the values a user configured for workers ({@code env} values, {@code args}, the Java
 * worker's JVM options) in text the pool writes itself: its log lines, {@code lastExit.error} and
 * failure messages. These values may be passwords or tokens, and the text they turn up in is not
 * under the user's control: a launch error quoting an invalid environment value, a probe's reason.
 * <p>
 * Values shorter than {@value #MIN_LENGTH} characters are left alone: masking {@code 1} or
 * {@code on} everywhere would garble every line and hide nothing worth hiding.
 */
final class Secrets {

	static final String MASK = "******";

	static final int MIN_LENGTH = 4;

	private static final Secrets NONE = new Secrets(List.of());

	/** Longest first, so that a value holding another is masked whole. */
	private final List<String> values;

	private Secrets(List<String> values) {
		this.values = values;
	}

	static Secrets none() {
		return NONE;
	}

	/**
	 * The values of a pool's options that may be secret.
	 * @param options the pool's options
	 * @return the secrets
	 */
	static Secrets of(PoolOptions options) {
		Set<String> values = new LinkedHashSet<>(options.env().values());
		values.addAll(options.command().arguments());
		return of(values);
	}

	static Secrets of(Iterable<String> candidates) {
		List<String> values = new ArrayList<>();
		for (String value : candidates) {
			if (value != null && value.length() >= MIN_LENGTH && !values.contains(value)) {
				values.add(value);
			}
		}
		values.sort(Comparator.comparingInt(String::length).reversed());
		return new Secrets(List.copyOf(values));
	}

	/**
	 * The text with each secret value replaced by {@value #MASK}.
	 * @param text the text, or {@code null}
	 * @return the masked text, or {@code null}
	 */
	@Nullable String mask(@Nullable String text) {
		if (text == null || this.values.isEmpty()) {
			return text;
		}
		String masked = text;
		for (String value : this.values) {
			if (masked.contains(value)) {
				masked = masked.replace(value, MASK);
			}
		}
		return masked;
	}

}
