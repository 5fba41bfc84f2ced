package io.cfork;

import org.jspecify.annotations.Nullable;

/**
 * Names the signal behind an exit code of {@code 128 + N} (Linux numbering).
 */
final class Signals {

	private static final String[] NAMES = { null, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
			"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
			"SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
			"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS" };

	private Signals() {
	}

	/**
	 * The signal an exit code stands for.
	 * @param exitCode the exit code as the JDK reports it
	 * @return the signal's name, or {@code null} if the code does not stand for a signal
	 */
	static @Nullable String fromExitCode(int exitCode) {
		int signal = exitCode - 128;
		if (signal < 1 || signal > 64) {
			return null;
		}
		if (signal < NAMES.length) {
			return NAMES[signal];
		}
		return (signal < 34) ? "SIG" + signal : "SIGRTMIN+" + (signal - 34);
	}

}
