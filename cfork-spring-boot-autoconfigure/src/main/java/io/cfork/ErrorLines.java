package io.cfork;

import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Remembers, of what a worker prints on stderr, the line that best says why it died: the last one
 * that looks like an error ({@code Error: listen EADDRINUSE ...},
 * {@code java.lang.IllegalStateException: ...}, {@code ModuleNotFoundError: ...},
 * {@code panic: ...}), else the last line that is not blank. The last line alone is rarely it: Node
 * ends a crash with {@code Node.js v20.20.2}, the JVM with stack frames.
 * <p>
 * Written by the one thread that reads the stream, read by any.
 */
final class ErrorLines {

	private static final Pattern ERROR = Pattern.compile("^(?:Caused by: |Uncaught |Exception in thread \"[^\"]*\" )?"
			+ "(?:[\\w$]+[.:])*[\\w$]*(?:Error|Exception)\\b|^(?:panic|fatal|FATAL|ERROR|error)\\b");

	private volatile @Nullable String lastError;

	private volatile @Nullable String lastLine;

	void add(String line) {
		if (line.isBlank()) {
			return;
		}
		this.lastLine = line;
		if (ERROR.matcher(line).find()) {
			this.lastError = line;
		}
	}

	/**
	 * The line that best says why the worker died.
	 * @return the line, or {@code null} if nothing was read
	 */
	@Nullable String best() {
		String error = this.lastError;
		return (error != null) ? error : this.lastLine;
	}

}
