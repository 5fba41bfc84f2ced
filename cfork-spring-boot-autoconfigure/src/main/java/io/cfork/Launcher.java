package io.cfork;

/**
 * How the pool starts its workers ({@link PoolOptions.Builder#launcher(Launcher)}).
 * <p>
 * Both launchers give each worker a session of its own, kill it when the master dies (Linux), reap
 * every worker they start (never with {@code waitpid(-1)}), and hand it no descriptor of the
 * master's but its standard input, output and error.
 */
public enum Launcher {

	/**
	 * {@link #NATIVE} where it works, else {@link #JDK}; the choice and its reason are logged once.
	 */
	AUTO,

	/**
	 * {@code posix_spawn} through JNA, with exits (pidfd) and output (non-blocking pipes) watched by
	 * {@code epoll} on a fixed number of threads, however many workers there are. Needs Linux ≥ 5.3
	 * on x86_64 or aarch64, glibc ≥ 2.29, and JNA ({@code net.java.dev.jna:jna}) on the class path.
	 */
	NATIVE,

	/**
	 * The JDK's {@link ProcessBuilder}: works everywhere, but costs the master a process reaper
	 * thread per worker and two output threads per worker whose output is captured, and each fork
	 * four execs.
	 */
	JDK

}
