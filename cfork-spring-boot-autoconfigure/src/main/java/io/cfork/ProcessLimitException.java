package io.cfork;

import java.io.IOException;

/**
 * A worker could not be launched because the master ran into a limit on processes, threads or
 * memory ({@code EAGAIN}, {@code ENOMEM}, a thread that could not be created): forking more now
 * would only fail the same way, and starve the master of the threads it needs itself.
 */
final class ProcessLimitException extends IOException {

	private static final long serialVersionUID = 1L;

	ProcessLimitException(String message, Throwable cause) {
		super(message, cause);
	}

	ProcessLimitException(String message) {
		super(message);
	}

	/**
	 * Whether a launch failure means a limit was reached: the error numbers {@code posix_spawn},
	 * {@code fork} and {@code pipe} give then, as the JDK words them ({@code error=11}).
	 * @param ex the failure
	 * @return whether it is one
	 */
	static boolean isLimit(IOException ex) {
		String message = String.valueOf(ex.getMessage());
		return message.contains("error=11,") || message.contains("error=12,") || message.contains("error=24,")
				|| message.contains("error=23,");
	}

}
