package io.cfork;

import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * A pool option has a value the pool cannot work with.
 * <p>
 * Options are named as the {@code cfork.*} properties are, without the prefix ({@code count},
 * {@code backoff.initial}, {@code java.main-class}), so an adapter can name the property a user
 * wrote. The fix names options, this one or others, through placeholders ({@code {refork}}) that
 * the reader resolves: {@link #getFix()} names them bare, {@link #getFix(UnaryOperator)} as the
 * adapter calls them ({@code cfork.refork}).
 */
public class InvalidPoolOptionException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	private static final Pattern OPTION = Pattern.compile("\\{([A-Za-z][\\w.-]*)}");

	private final String option;

	private final @Nullable Object value;

	private final String problem;

	private final String fix;

	/**
	 * Creates an exception.
	 * @param option the option's name ({@code count})
	 * @param value the value given
	 * @param problem what is wrong with it ({@code must be at least 1})
	 * @param fix how to fix it, with each option it names in braces ({@code Set {limit} to 1 or
	 * more, or set {refork}=false})
	 */
	public InvalidPoolOptionException(String option, @Nullable Object value, String problem, String fix) {
		super("Invalid pool option '" + option + "' (" + value + "): " + problem + ". "
				+ resolve(fix, UnaryOperator.identity()));
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
	 * How to fix it, naming each option as the core does ({@code count}).
	 * @return the fix
	 */
	public String getFix() {
		return getFix(UnaryOperator.identity());
	}

	/**
	 * How to fix it, naming each option (this one and any other the fix mentions) by the given
	 * function.
	 * @param optionName turns an option's name ({@code count}) into the name the user knows
	 * ({@code cfork.count})
	 * @return the fix
	 */
	public String getFix(UnaryOperator<String> optionName) {
		return resolve(this.fix, optionName);
	}

	private static String resolve(String fix, UnaryOperator<String> optionName) {
		Matcher matcher = OPTION.matcher(fix);
		StringBuilder resolved = new StringBuilder();
		while (matcher.find()) {
			matcher.appendReplacement(resolved, Matcher.quoteReplacement(optionName.apply(matcher.group(1))));
		}
		return matcher.appendTail(resolved).toString();
	}

}
