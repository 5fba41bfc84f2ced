package io.cfork;

import java.io.IOException;
import java.util.regex.Pattern;

/**
 * A worker could not be launched because the master ran into a limit on processes, threads or
 * memory ({@code EAGAIN}, {@code ENOMEM}, a thread that could not be created): forking more now
 * would only fail the same way, and starve the master of the threads it needs itself.
 */
final class ProcessLimitException extends IOException {

	private static final long serialVersionUID = 1L;

	/**
	 * EAGAIN, ENOMEM, ENFILE or EMFILE as the JDK words a failed launch: {@code error=11,} (JDK 17)
	 * or {@code error: 11 (} (JDK 25's posix_spawn failure).
	 */
	private static final Pattern LIMIT_ERRNO = Pattern.compile("error(=|: )(11|12|23|24)\\b");

	ProcessLimitException(String message, Throwable cause) {
		super(message, cause);
	}

	ProcessLimitException(String message) {
		super(message);
	}

	/**
	 * Whether a launch failure means a limit was reached: the error numbers {@code posix_spawn},
	 * {@code fork} and {@code pipe} give then, as the JDK words them.
	 * @param ex the failure
	 * @return whether it is one
	 */
	static boolean isLimit(IOException ex) {
		return LIMIT_ERRNO.matcher(String.valueOf(ex.getMessage())).find();
	}

	/**
	 * A launch failure at a limit, said in its first line: JDK 25 follows a failed
	 * {@code posix_spawn} with advice about its spawn helper (a version mismatch, a re-install) that
	 * does not apply when the error is a limit.
	 * @param ex the failure, one that {@link #isLimit} accepts
	 * @return the exception for it
	 */
	static ProcessLimitException of(IOException ex) {
		String message = String.valueOf(ex.getMessage());
		int newline = message.indexOf('\n');
		return new ProcessLimitException(((newline >= 0) ? message.substring(0, newline) : message).strip(), ex);
	}

}
