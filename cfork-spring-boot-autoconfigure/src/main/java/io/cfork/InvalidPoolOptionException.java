package io.cfork;

import org.jspecify.annotations.Nullable;

/**
 * A pool option has a value the pool cannot work with.
 * <p>
 * Options are named as the {@code cfork.*} properties are, without the prefix ({@code count},
 * {@code backoff.initial}, {@code java.main-class}), so an adapter can name the property a user
 * wrote.
 */
public class InvalidPoolOptionException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	private final String option;

	private final @Nullable Object value;

	private final String problem;

	private final String fix;

	/**
	 * Creates an exception.
	 * @param option the option's name ({@code count})
	 * @param value the value given
	 * @param problem what is wrong with it ({@code must be at least 1})
	 * @param fix how to fix it, with {@code %s} where the option's name goes
	 */
	public InvalidPoolOptionException(String option, @Nullable Object value, String problem, String fix) {
		super("Invalid pool option '" + option + "' (" + value + "): " + problem + ". " + fix.formatted(option));
		this.option = option;
		this.value = value;
		this.problem = problem;
		this.fix = fix;
	}

	/**
	 * The option's name, as a {@code cfork.*} property without its prefix.
	 * @return the option's name
	 */
	public String getOption() {
		return this.option;
	}

	/**
	 * The value given.
	 * @return the value
	 */
	public @Nullable Object getValue() {
		return this.value;
	}

	/**
	 * What is wrong with the value.
	 * @return the problem
	 */
	public String getProblem() {
		return this.problem;
	}

	/**
	 * How to fix it, naming the option as given.
	 * @param optionName the name to use for the option ({@code cfork.count})
	 * @return the fix
	 */
	public String getFix(String optionName) {
		return this.fix.formatted(optionName);
	}

}
