package io.cfork;

import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the {@link WorkerLauncher} for a {@link Launcher} option, and finds out, once per JVM,
 * whether the {@link NativeLauncher} can work here. This class refers to no JNA type, so it loads
 * where JNA is missing; it touches the native launcher only after seeing JNA on the class path.
 */
final class Launchers {

	// The choice is the pool's to log: users configure the façade's logger.
	private static final Logger logger = LoggerFactory.getLogger(WorkerPoolManager.class);

	private static final Set<String> ARCHITECTURES = Set.of("amd64", "x86_64", "aarch64");

	/** What the JDK launcher costs, said where it is chosen for want of the native one. */
	private static final String JDK_COST = "each worker costs the master a process reaper thread (and two output threads "
			+ "when its output is logged), and each fork four execs";

	private static final AtomicBoolean choiceLogged = new AtomicBoolean();

	private Launchers() {
	}

	/**
	 * Creates the launcher the options ask for. With {@link Launcher#AUTO}, logs once which one and
	 * why.
	 * @param options the pool's options, already checked
	 * @param output where workers' output goes, or {@code null} to discard it
	 * @param poolId the pool's mark
	 * @param sockets the master's listening sockets, which only the native launcher hands on
	 * @return the launcher
	 */
	static WorkerLauncher create(PoolOptions options, @Nullable WorkerOutput output, String poolId,
			@Nullable MasterSockets sockets) {
		return switch (options.launcher()) {
			case JDK -> new JdkLauncher(options, output, poolId);
			case NATIVE -> new NativeLauncher(options, output, poolId, sockets);
			case AUTO -> {
				Support support = Support.HERE;
				if (!support.available()) {
					logChoice("Workers are started with ProcessBuilder (launcher auto): the native launcher cannot "
							+ "work here: {}. So {}", support.detail(), JDK_COST);
					yield new JdkLauncher(options, output, poolId);
				}
				try {
					WorkerLauncher launcher = new NativeLauncher(options, output, poolId, sockets);
					logChoice("Workers are started with posix_spawn (launcher auto; {}): their exits{} are watched "
							+ "on {}, however many workers run", support.detail(),
							(output != null) ? " and output" : "", (output != null) ? "two threads" : "one thread");
					yield launcher;
				}
				catch (RuntimeException ex) {
					if (sockets != null || options.readiness().type() == ReadinessCheck.Type.IPC) {
						throw new IllegalStateException("The native launcher, which " + ((sockets != null)
								? "cfork.listen" : "cfork.readiness.type=ipc") + " needs, failed to start: "
								+ ex.getMessage(), ex);
					}
					logger.warn("Workers are started with ProcessBuilder: the native launcher failed to start ({}). "
							+ "So {}", ex.getMessage(), JDK_COST);
					yield new JdkLauncher(options, output, poolId);
				}
			}
		};
	}

	/**
	 * Why the native launcher cannot work here.
	 * @return the reason, or {@code null} if it can work
	 */
	static @Nullable String nativeUnavailable() {
		Support support = Support.HERE;
		return support.available() ? null : support.detail();
	}

	/**
	 * Why workers' messages ({@link WorkerMessages}: sd_notify, Node's IPC) cannot be received here:
	 * they need Linux and JNA, not the rest of what the native launcher needs.
	 * @return the reason, or {@code null} if they can be
	 */
	static @Nullable String messagesUnavailable() {
		return Jna.UNAVAILABLE;
	}

	private static void logChoice(String format, Object... arguments) {
		if (choiceLogged.compareAndSet(false, true)) {
			logger.info(format, arguments);
		}
	}

	/**
	 * Whether JNA can call the C library here: probed once, when first needed.
	 */
	private static final class Jna {

		static final @Nullable String UNAVAILABLE = probe();

		private static @Nullable String probe() {
			String os = System.getProperty("os.name", "");
			if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
				return "it needs Linux, not " + os;
			}
			try {
				Class.forName("com.sun.jna.Native", false, Launchers.class.getClassLoader());
			}
			catch (ClassNotFoundException | LinkageError ex) {
				return "JNA (net.java.dev.jna:jna) is not on the class path";
			}
			try {
				LinuxLibc.getpid();
				return null;
			}
			catch (RuntimeException | LinkageError ex) {
				return "JNA cannot call the C library (" + rootCause(ex) + ")";
			}
		}

	}

	private static Throwable rootCause(Throwable ex) {
		Throwable cause = ex;
		while (cause.getCause() != null) {
			cause = cause.getCause();
		}
		return cause;
	}

	/**
	 * Whether the native launcher works here, and what was found.
	 *
	 * @param available whether it works
	 * @param detail what it found if it works ({@code glibc 2.36}), else what is missing
	 */
	private record Support(boolean available, String detail) {

		/** Probed once, when first needed. */
		static final Support HERE = probe();

		private static Support probe() {
			String os = System.getProperty("os.name", "");
			if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
				return new Support(false, "it needs Linux, not " + os);
			}
			String arch = System.getProperty("os.arch", "");
			if (!ARCHITECTURES.contains(arch)) {
				return new Support(false, "it needs x86_64 or aarch64, not " + arch);
			}
			try {
				Class.forName("com.sun.jna.Native", false, Launchers.class.getClassLoader());
			}
			catch (ClassNotFoundException | LinkageError ex) {
				return new Support(false, "JNA (net.java.dev.jna:jna) is not on the class path");
			}
			try {
				return new Support(true, NativeLauncher.check() + ", Linux " + System.getProperty("os.version"));
			}
			catch (UnsupportedOperationException ex) {
				return new Support(false, ex.getMessage());
			}
			catch (RuntimeException | LinkageError ex) {
				return new Support(false, "JNA cannot call the C library (" + rootCause(ex) + ")");
			}
		}

	}

}
