package io.cfork;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * How a {@link WorkerPoolManager} runs its workers. Immutable; build one with
 * {@link #builder(WorkerCommand)}.
 * <p>
 * Each option has the meaning and default of the {@code cfork.*} property of the same name.
 */
public final class PoolOptions {

	private final WorkerCommand command;

	private final int count;

	private final boolean refork;

	private final Set<Integer> stopExitCodes;

	private final int limit;

	private final Duration duration;

	private final Duration backoffInitial;

	private final Duration backoffMax;

	private final Duration minUptime;

	private final Map<String, String> env;

	private final @Nullable Path workingDirectory;

	private final @Nullable WorkerOutput output;

	private final Duration shutdownTimeout;

	private final ReadinessCheck readiness;

	private final LivenessCheck liveness;

	private final List<String> incrementEnv;

	private final Launcher launcher;

	private final List<ListenAddress> listen;

	private final ReloadStrategy reloadStrategy;

	private final int reloadBatchSize;

	private final boolean listenStdin;
	private final Duration resourceInterval;

	private final @Nullable Long maxMemory;

	private final @Nullable Duration maxLifetime;

	private final @Nullable Duration maxLifetimeJitter;

	private PoolOptions(Builder builder) {
		this.command = builder.command;
		this.count = builder.count;
		this.refork = builder.refork;
		this.stopExitCodes = Set.copyOf(builder.stopExitCodes);
		this.limit = builder.limit;
		this.duration = builder.duration;
		this.backoffInitial = builder.backoffInitial;
		this.backoffMax = builder.backoffMax;
		this.minUptime = builder.minUptime;
		this.env = Map.copyOf(builder.env);
		this.workingDirectory = builder.workingDirectory;
		this.output = builder.output;
		this.shutdownTimeout = builder.shutdownTimeout;
		this.readiness = builder.readiness;
		this.liveness = builder.liveness;
		this.incrementEnv = List.copyOf(builder.incrementEnv);
		this.launcher = builder.launcher;
		this.listen = List.copyOf(builder.listen);
		this.reloadStrategy = builder.reloadStrategy;
		this.reloadBatchSize = builder.reloadBatchSize;
		this.listenStdin = (builder.listenStdin != null) ? builder.listenStdin : builder.command.isJava();
		this.resourceInterval = builder.resourceInterval;
		this.maxMemory = builder.maxMemory;
		this.maxLifetime = builder.maxLifetime;
		this.maxLifetimeJitter = (builder.maxLifetime == null) ? null
				: (builder.maxLifetimeJitter != null) ? builder.maxLifetimeJitter : builder.maxLifetime.dividedBy(10);
	}

	/**
	 * Starts options for workers that run the given command, with every other option at its
	 * default.
	 * @param command what each worker runs
	 * @return a builder
	 */
	public static Builder builder(WorkerCommand command) {
		return new Builder(command);
	}

	/** @return what each worker runs */
	public WorkerCommand command() {
		return this.command;
	}

	/** @return how many workers to keep alive */
	public int count() {
		return this.count;
	}

	/** @return whether a worker that exits unexpectedly is reforked */
	public boolean refork() {
		return this.refork;
	}

	/** @return exit codes after which a worker is not reforked */
	public Set<Integer> stopExitCodes() {
		return this.stopExitCodes;
	}

	/** @return how many reforks are allowed within {@link #duration()} */
	public int limit() {
		return this.limit;
	}

	/** @return the window of the refork limit */
	public Duration duration() {
		return this.duration;
	}

	/** @return the first delay before reforking a worker that died young */
	public Duration backoffInitial() {
		return this.backoffInitial;
	}

	/** @return the cap of the refork delay */
	public Duration backoffMax() {
		return this.backoffMax;
	}

	/** @return how long a worker must live to be reforked at once and reset its backoff */
	public Duration minUptime() {
		return this.minUptime;
	}

	/** @return extra environment for workers */
	public Map<String, String> env() {
		return this.env;
	}

	/** @return the workers' working directory, or {@code null} for the master's */
	public @Nullable Path workingDirectory() {
		return this.workingDirectory;
	}

	/** @return where workers' output goes, or {@code null} to discard it */
	public @Nullable WorkerOutput output() {
		return this.output;
	}

	/** @return how long a worker has to exit after SIGTERM before it gets SIGKILL */
	public Duration shutdownTimeout() {
		return this.shutdownTimeout;
	}

	/** @return how the pool knows a worker serves */
	public ReadinessCheck readiness() {
		return this.readiness;
	}

	/** @return how the pool knows a ready worker still serves */
	public LivenessCheck liveness() {
		return this.liveness;
	}

	/** @return names of {@link #env()} entries each worker gets increased by its index */
	public List<String> incrementEnv() {
		return this.incrementEnv;
	}

	/**
	 * The extra environment of the worker at an index: {@link #env()} with each
	 * {@link #incrementEnv()} entry increased by the index.
	 * @param index the worker's slot index
	 * @return the variables
	 */
	public Map<String, String> env(int index) {
		if (this.incrementEnv.isEmpty()) {
			return this.env;
		}
		Map<String, String> env = new LinkedHashMap<>(this.env);
		for (String name : this.incrementEnv) {
			env.put(name, Long.toString(Long.parseLong(this.env.get(name).trim()) + index));
		}
		return env;
	}

	/** @return how workers are started */
	public Launcher launcher() {
		return this.launcher;
	}

	/** @return how a worker is replaced by a reload, a restart or a recycle */
	public ReloadStrategy reloadStrategy() {
		return this.reloadStrategy;
	}

	/** @return how many slots a reload replaces at once */
	public int reloadBatchSize() {
		return this.reloadBatchSize;
	}

	/** @return the addresses the master binds and hands to every worker */
	public List<ListenAddress> listen() {
		return this.listen;
	}

	/** @return whether the first of {@link #listen()} is also each worker's stdin */
	public boolean listenStdin() {
		return this.listenStdin;
	}

	/** @return how often each worker's CPU and memory are sampled */
	public Duration resourceInterval() {
		return this.resourceInterval;
	}

	/**
	 * @return the resident set, in bytes, above which a worker (with its session) is recycled once
	 * two samples in a row saw it, or {@code null} for no limit
	 */
	public @Nullable Long maxMemory() {
		return this.maxMemory;
	}

	/** @return how long a worker lives before it is recycled, or {@code null} for no limit */
	public @Nullable Duration maxLifetime() {
		return this.maxLifetime;
	}

	/**
	 * @return the most a worker's lifetime is lengthened by, at random, so that workers are not
	 * all recycled at once (10 % of {@link #maxLifetime()} unless set); {@code null} without a
	 * {@code maxLifetime}
	 */
	public @Nullable Duration maxLifetimeJitter() {
		return this.maxLifetimeJitter;
	}

	/**
	 * Builds {@link PoolOptions}; {@link #build()} checks every option.
	 */
	public static final class Builder {

		/** The least {@code max-memory} accepted: 1 MiB. */
		private static final long MIN_MAX_MEMORY = 1024 * 1024;

		private final WorkerCommand command;

		private int count = Runtime.getRuntime().availableProcessors();

		private boolean refork = true;

		private Set<Integer> stopExitCodes = Set.of();

		private int limit = 60;

		private Duration duration = Duration.ofSeconds(60);

		private Duration backoffInitial = Duration.ofMillis(100);

		private Duration backoffMax = Duration.ofSeconds(30);

		private Duration minUptime = Duration.ofSeconds(5);

		private Map<String, String> env = Map.of();

		private @Nullable Path workingDirectory;

		private @Nullable WorkerOutput output = WorkerOutput.toLog();

		private Duration shutdownTimeout = Duration.ofSeconds(10);

		private ReadinessCheck readiness = ReadinessCheck.none();

		private LivenessCheck liveness = LivenessCheck.none();

		private List<String> incrementEnv = List.of();

		private Launcher launcher = Launcher.AUTO;

		private List<ListenAddress> listen = List.of();

		private ReloadStrategy reloadStrategy = ReloadStrategy.START_FIRST;

		private int reloadBatchSize = 1;

		private @Nullable Boolean listenStdin;

		private @Nullable ClassLoader classLoader = Thread.currentThread().getContextClassLoader();

		private Duration resourceInterval = Duration.ofSeconds(5);

		private @Nullable Long maxMemory;

		private @Nullable Duration maxLifetime;

		private @Nullable Duration maxLifetimeJitter;

		private Builder(WorkerCommand command) {
			this.command = Objects.requireNonNull(command, "command");
		}

		/**
		 * Sets how many workers to keep alive (default: the number of available processors).
		 * @param count at least 1
		 * @return this builder
		 */
		public Builder count(int count) {
			this.count = count;
			return this;
		}

		/**
		 * Sets whether a worker that exits unexpectedly is reforked (default {@code true}).
		 * @param refork whether to refork
		 * @return this builder
		 */
		public Builder refork(boolean refork) {
			this.refork = refork;
			return this;
		}

		/**
		 * Sets exit codes after which a worker is not reforked (default none).
		 * @param stopExitCodes codes from 0 to 255
		 * @return this builder
		 */
		public Builder stopExitCodes(Set<Integer> stopExitCodes) {
			this.stopExitCodes = Objects.requireNonNull(stopExitCodes, "stopExitCodes");
			return this;
		}

		/**
		 * Sets the refork limit: at most {@code limit} reforks within {@code duration} (default 60
		 * within 60 s); past it the pool stops reforking.
		 * @param limit at least 1
		 * @param duration a positive window
		 * @return this builder
		 */
		public Builder limit(int limit, Duration duration) {
			this.limit = limit;
			this.duration = Objects.requireNonNull(duration, "duration");
			return this;
		}

		/**
		 * Sets the backoff of a worker that died young: the first delay, doubling on each young
		 * death up to a cap (default 100 ms, capped at 30 s).
		 * @param initial the first delay
		 * @param max the cap
		 * @return this builder
		 */
		public Builder backoff(Duration initial, Duration max) {
			this.backoffInitial = Objects.requireNonNull(initial, "initial");
			this.backoffMax = Objects.requireNonNull(max, "max");
			return this;
		}

		/**
		 * Sets how long a worker must live to be reforked at once and reset its backoff (default
		 * 5 s).
		 * @param minUptime the minimum uptime
		 * @return this builder
		 */
		public Builder minUptime(Duration minUptime) {
			this.minUptime = Objects.requireNonNull(minUptime, "minUptime");
			return this;
		}

		/**
		 * Sets extra environment for workers, added to the master's.
		 * @param env the variables
		 * @return this builder
		 */
		public Builder env(Map<String, String> env) {
			this.env = new LinkedHashMap<>(Objects.requireNonNull(env, "env"));
			return this;
		}

		/**
		 * Sets the workers' working directory (default: the master's).
		 * @param workingDirectory an existing directory, or {@code null}
		 * @return this builder
		 */
		public Builder workingDirectory(@Nullable Path workingDirectory) {
			this.workingDirectory = workingDirectory;
			return this;
		}

		/**
		 * Sets where each line a worker prints goes (default {@link WorkerOutput#toLog()}).
		 * @param output the receiver, or {@code null} to discard the output
		 * @return this builder
		 */
		public Builder output(@Nullable WorkerOutput output) {
			this.output = output;
			return this;
		}

		/**
		 * Sets how long a worker has to exit after SIGTERM before it gets SIGKILL (default 10 s).
		 * @param shutdownTimeout the timeout
		 * @return this builder
		 */
		public Builder shutdownTimeout(Duration shutdownTimeout) {
			this.shutdownTimeout = Objects.requireNonNull(shutdownTimeout, "shutdownTimeout");
			return this;
		}

		/**
		 * Sets how the pool knows a worker serves (default {@link ReadinessCheck#none()}: once it
		 * lived {@code min-uptime}).
		 * @param readiness the check
		 * @return this builder
		 */
		public Builder readiness(ReadinessCheck readiness) {
			this.readiness = Objects.requireNonNull(readiness, "readiness");
			return this;
		}

		/**
		 * Sets how the pool knows a ready worker still serves (default {@link LivenessCheck#none()}).
		 * @param liveness the check
		 * @return this builder
		 */
		public Builder liveness(LivenessCheck liveness) {
			this.liveness = Objects.requireNonNull(liveness, "liveness");
			return this;
		}

		/**
		 * Names {@link #env(Map) env} entries whose integer value each worker gets increased by its
		 * index (PM2's {@code increment_var}): with {@code PORT=9000}, worker 2 gets
		 * {@code PORT=9002}.
		 * @param names names of env entries
		 * @return this builder
		 */
		public Builder incrementEnv(List<String> names) {
			this.incrementEnv = List.copyOf(names);
			return this;
		}

		/**
		 * Sets how workers are started (default {@link Launcher#AUTO}: natively where that works,
		 * else with {@link ProcessBuilder}).
		 * @param launcher the launcher
		 * @return this builder
		 */
		public Builder launcher(Launcher launcher) {
			this.launcher = Objects.requireNonNull(launcher, "launcher");
			return this;
		}

		/**
		 * Sets how a worker is replaced by a reload, a restart or a recycle (default
		 * {@link ReloadStrategy#START_FIRST}), and how many slots a reload replaces at once (default
		 * 1).
		 * @param strategy the strategy
		 * @param batchSize at least 1
		 * @return this builder
		 */
		public Builder reload(ReloadStrategy strategy, int batchSize) {
			this.reloadStrategy = Objects.requireNonNull(strategy, "strategy");
			this.reloadBatchSize = batchSize;
			return this;
		}

		/**
		 * Sets addresses the master binds once and hands to every worker, from descriptor 3 on, with
		 * systemd's socket-activation variables (default none). Needs the native launcher.
		 * @param listen the addresses
		 * @return this builder
		 */
		public Builder listen(List<ListenAddress> listen) {
			this.listen = List.copyOf(listen);
			return this;
		}

		/**
		 * Sets whether the first listening socket is also each worker's stdin, where Java adopts it
		 * ({@code System.inheritedChannel()}); default: for Java main-class workers only.
		 * @param listenStdin whether to, or {@code null} for the default
		 * @return this builder
		 */
		public Builder listenStdin(@Nullable Boolean listenStdin) {
			this.listenStdin = listenStdin;
			return this;
		}

		/**
		 * Sets where {@link #build()} looks for a Java main class run on the master's class path
		 * (default: the thread context class loader).
		 * @param classLoader the class loader, or {@code null} not to check
		 * @return this builder
		 */
		public Builder classLoader(@Nullable ClassLoader classLoader) {
			this.classLoader = classLoader;
			return this;
		}

		/**
		 * Sets how often each worker's CPU and memory are sampled, on one thread for the whole pool
		 * (default 5 s).
		 * @param resourceInterval a positive interval
		 * @return this builder
		 */
		public Builder resourceInterval(Duration resourceInterval) {
			this.resourceInterval = Objects.requireNonNull(resourceInterval, "resourceInterval");
			return this;
		}

		/**
		 * Sets the resident set above which a worker, with the processes of its session, is
		 * recycled once two samples in a row saw it above (default: no limit). The worker is
		 * stopped first (SIGTERM, SIGKILL after the shutdown timeout), then forked again.
		 * @param maxMemory bytes, at least 1 MiB, or {@code null} for no limit
		 * @return this builder
		 */
		public Builder maxMemory(@Nullable Long maxMemory) {
			this.maxMemory = maxMemory;
			return this;
		}

		/**
		 * Sets how long each worker lives before it is recycled (default: no limit).
		 * @param maxLifetime a positive duration, or {@code null} for no limit
		 * @return this builder
		 */
		public Builder maxLifetime(@Nullable Duration maxLifetime) {
			this.maxLifetime = maxLifetime;
			return this;
		}

		/**
		 * Sets the most each worker's lifetime is lengthened by, at random, so that workers are not
		 * all recycled at once (default: 10 % of the max lifetime).
		 * @param maxLifetimeJitter zero or more, at most the max lifetime, or {@code null} for the
		 * default
		 * @return this builder
		 */
		public Builder maxLifetimeJitter(@Nullable Duration maxLifetimeJitter) {
			this.maxLifetimeJitter = maxLifetimeJitter;
			return this;
		}

		/**
		 * Checks every option and builds.
		 * @return the options
		 * @throws InvalidPoolOptionException naming the first option that is wrong and how to fix it
		 */
		public PoolOptions build() {
			return build(ProcFs.isAvailable());
		}

		/**
		 * Checks every option, on a system with or without {@code /proc}, and builds.
		 */
		PoolOptions build(boolean procFs) {
			if (this.count < 1) {
				throw new InvalidPoolOptionException("count", this.count, "must be at least 1",
						"Set {count} to 1 or more, or remove it to run one worker per available processor ("
								+ Runtime.getRuntime().availableProcessors() + ").");
			}
			if (this.limit < 1) {
				throw new InvalidPoolOptionException("limit", this.limit, "must be at least 1",
						"Set {limit} to 1 or more (default 60); to never refork, set {refork}=false instead.");
			}
			Durations.requirePositive("duration", this.duration);
			Durations.requireNotNegative("backoff.initial", this.backoffInitial);
			Durations.requireNotNegative("backoff.max", this.backoffMax);
			if (this.backoffMax.compareTo(this.backoffInitial) < 0) {
				throw new InvalidPoolOptionException("backoff.max", this.backoffMax,
						"must not be less than backoff.initial (" + this.backoffInitial + ")",
						"Set {backoff.max} to at least {backoff.initial}, or lower {backoff.initial}.");
			}
			Durations.requireNotNegative("min-uptime", this.minUptime);
			Durations.requireNotNegative("shutdown-timeout", this.shutdownTimeout);
			for (Integer code : this.stopExitCodes) {
				if (code == null || code < 0 || code > 255) {
					throw new InvalidPoolOptionException("stop-exit-codes", this.stopExitCodes,
							"exit codes range from 0 to 255, not " + code, "List only codes from 0 to 255 in {stop-exit-codes}.");
				}
			}
			if (this.workingDirectory != null && !Files.isDirectory(this.workingDirectory)) {
				throw new InvalidPoolOptionException("working-directory", this.workingDirectory,
						"no such directory: " + this.workingDirectory.toAbsolutePath(),
						"Create the directory, or set {working-directory} to an existing one (remove it to use the master's).");
			}
			validateResources(procFs);
			this.env.forEach(Builder::validateEnv);
			this.command.validate(this.workingDirectory, this.env, this.classLoader);
			for (String name : this.incrementEnv) {
				validateIncrement(name);
			}
			Set<String> workerVariables = new HashSet<>(System.getenv().keySet());
			workerVariables.addAll(this.env.keySet());
			workerVariables.addAll(WorkerEnvironment.NAMES);
			this.readiness.validate(workerVariables);
			this.liveness.validate(workerVariables);
			validateMessages();
			validateListen();
			if (this.reloadBatchSize < 1) {
				throw new InvalidPoolOptionException("reload.batch-size", this.reloadBatchSize, "must be at least 1",
						"Set {reload.batch-size} to 1 or more (default 1).");
			}
			if (this.launcher == Launcher.NATIVE) {
				String unavailable = Launchers.nativeUnavailable();
				if (unavailable != null) {
					throw new InvalidPoolOptionException("launcher", "native",
							"the native launcher cannot work here: " + unavailable,
							"Set {launcher} to auto or jdk to start workers with ProcessBuilder, or run where it works: Linux 5.3 "
									+ "or later on x86_64 or aarch64, glibc 2.29 or later, JNA (net.java.dev.jna:jna) on "
									+ "the class path and, on JDK 24 or later, native access not denied to it.");
				}
			}
			return new PoolOptions(this);
		}

		/**
		 * Checks that what workers say themselves ({@code notify}, {@code ipc}, {@code watchdog}) can be
		 * received here.
		 */
		private void validateMessages() {
			ReadinessCheck.Type readiness = this.readiness.type();
			boolean watchdog = this.liveness.type() == LivenessCheck.Type.WATCHDOG;
			String option = watchdog ? "liveness.type" : "readiness.type";
			String type = watchdog ? "watchdog" : readiness.name().toLowerCase(Locale.ROOT);
			if (readiness != ReadinessCheck.Type.NOTIFY && readiness != ReadinessCheck.Type.IPC && !watchdog) {
				return;
			}
			String unavailable = Launchers.messagesUnavailable();
			if (unavailable != null) {
				throw new InvalidPoolOptionException(option, type,
						"needs a socket the JDK cannot open (AF_UNIX datagrams, socket pairs), and JNA cannot here: "
								+ unavailable,
						"Add net.java.dev.jna:jna to the application's dependencies (on Linux), or set {" + option
								+ "} to another type, such as " + (watchdog ? "http" : "log or http") + ".");
			}
			if (readiness == ReadinessCheck.Type.IPC && this.launcher == Launcher.JDK) {
				throw new InvalidPoolOptionException("readiness.type", "ipc",
						"needs the native launcher: ProcessBuilder cannot hand Node's IPC channel to a worker "
								+ "(launcher is jdk)",
						"Set {launcher} to auto or native, or set {readiness.type} to another type (notify, log, "
								+ "http).");
			}
			if (readiness == ReadinessCheck.Type.IPC && this.launcher == Launcher.AUTO
					&& Launchers.nativeUnavailable() != null) {
				throw new InvalidPoolOptionException("readiness.type", "ipc",
						"needs the native launcher, which cannot work here: " + Launchers.nativeUnavailable(),
						"Run where the native launcher works (Linux 5.3+, glibc 2.29+, JNA), or set "
								+ "{readiness.type} to another type (notify, log, http).");
			}
		}

		private void validateListen() {
			for (int i = 0; i < this.listen.size(); i++) {
				ListenAddress address = this.listen.get(i);
				if (address.port() < 1 || address.port() > 65535) {
					throw new InvalidPoolOptionException("listen[" + i + "].port", address.port(),
							"ports range from 1 to 65535", "Set {listen[" + i + "].port} to a TCP port from 1 to 65535.");
				}
				if (address.backlog() < 1) {
					throw new InvalidPoolOptionException("listen[" + i + "].backlog", address.backlog(),
							"must be at least 1", "Set {listen[" + i + "].backlog} to 1 or more (default 511).");
				}
				if (address.fdName().isEmpty() || address.fdName().contains(":")) {
					throw new InvalidPoolOptionException("listen[" + i + "].name", address.name(),
							"must be a non-empty name without ':' (LISTEN_FDNAMES separates names with ':')",
							"Set {listen[" + i + "].name} to a name such as http, or remove it to use the port.");
				}
				for (String probe : List.of("readiness", "liveness")) {
					if (Probes.checksPort(probe.equals("readiness") ? this.readiness.port() : this.liveness.port(),
							probe.equals("readiness") ? this.readiness.url() : this.liveness.url(), address.port())) {
						throw new InvalidPoolOptionException(probe, address.port(),
								"checks port " + address.port() + " of listen[" + i + "], which the master's socket "
										+ "answers for any worker, and before the worker does",
								"Check each worker on a port of its own ({increment-env}, {" + probe + ".url} with "
										+ "{PORT}), or use {readiness.type}=log.");
					}
				}
			}
			if (!this.listen.isEmpty() && this.launcher == Launcher.JDK) {
				throw new InvalidPoolOptionException("listen", MasterSockets.describe(this.listen),
						"needs the native launcher: ProcessBuilder cannot hand a socket to a worker",
						"Set {launcher} to auto or native, or remove {listen}.");
			}
			if (!this.listen.isEmpty() && this.launcher == Launcher.AUTO && Launchers.nativeUnavailable() != null) {
				throw new InvalidPoolOptionException("listen", MasterSockets.describe(this.listen),
						"needs the native launcher, which cannot work here: " + Launchers.nativeUnavailable(),
						"Run where the native launcher works (Linux 5.3+, glibc 2.29+, JNA), or remove {listen}.");
			}
		}

		private void validateResources(boolean procFs) {
			Durations.requirePositive("resources.interval", this.resourceInterval);
			if (this.maxMemory != null && this.maxMemory < MIN_MAX_MEMORY) {
				throw new InvalidPoolOptionException("max-memory", this.maxMemory + "B",
						(this.maxMemory <= 0) ? "must be positive"
								: "must be at least 1MB: no worker's resident set is that small",
						"Set {max-memory} to the most a worker and its children may use, such as 512MB; "
								+ "remove it for no limit.");
			}
			if (this.maxLifetime != null && (this.maxLifetime.isNegative() || this.maxLifetime.isZero())) {
				throw new InvalidPoolOptionException("max-lifetime", this.maxLifetime, "must be positive",
						"Set {max-lifetime} to how long a worker may live, such as 1h; remove it for no limit.");
			}
			if (this.maxLifetime != null) {
				Durations.requirePositive("max-lifetime", this.maxLifetime);
			}
			if (this.maxLifetimeJitter != null) {
				if (this.maxLifetime == null) {
					throw new InvalidPoolOptionException("max-lifetime-jitter", this.maxLifetimeJitter,
							"is set without max-lifetime", "Set {max-lifetime} too, or remove {max-lifetime-jitter}.");
				}
				Durations.requireNotNegative("max-lifetime-jitter", this.maxLifetimeJitter);
				if (this.maxLifetimeJitter.compareTo(this.maxLifetime) > 0) {
					throw new InvalidPoolOptionException("max-lifetime-jitter", this.maxLifetimeJitter,
							"must not be more than max-lifetime (" + this.maxLifetime + ")",
							"Set {max-lifetime-jitter} to at most {max-lifetime}, or remove it for 10 % of "
									+ "{max-lifetime}.");
				}
			}
			if (!procFs) {
				if (this.maxMemory != null) {
					throw new InvalidPoolOptionException("max-memory", this.maxMemory + "B",
							"needs /proc (Linux) to measure workers, and this system has none",
							"Remove {max-memory}: worker memory is measured only on Linux.");
				}
				if (this.maxLifetime != null) {
					throw new InvalidPoolOptionException("max-lifetime", this.maxLifetime,
							"is supported only where /proc is (Linux), and this system has none",
							"Remove {max-lifetime} and {max-lifetime-jitter}: recycling is supported only on Linux.");
				}
			}
		}

		/**
		 * An environment entry the OS can hold: a name without {@code =} or NUL, a value without NUL.
		 * Neither the value nor what follows such a character in a name is quoted: either may be a
		 * secret.
		 */
		private static void validateEnv(String name, String value) {
			int cut = firstOf(name, '=', '\0');
			if (name.isEmpty() || cut >= 0) {
				String shown = (cut >= 0) ? name.substring(0, cut) + Secrets.MASK : name;
				throw new InvalidPoolOptionException("env", shown,
						name.isEmpty() ? "an entry has an empty name"
								: "the name of an entry contains " + ((name.charAt(cut) == '=') ? "'='" : "a NUL character")
										+ ", which an environment cannot hold in a name",
						"Give each {env} entry a name without '=' or NUL characters, such as {env}.API_KEY.");
			}
			if (value != null && value.indexOf('\0') >= 0) {
				throw new InvalidPoolOptionException("env." + name, Secrets.MASK,
						"the value contains a NUL character, which an environment cannot hold",
						"Remove the NUL character from {env." + name + "}.");
			}
		}

		private static int firstOf(String text, char first, char second) {
			int a = text.indexOf(first);
			int b = text.indexOf(second);
			return (a < 0) ? b : (b < 0) ? a : Math.min(a, b);
		}

		private void validateIncrement(String name) {
			String value = this.env.get(name);
			if (value == null) {
				throw new InvalidPoolOptionException("increment-env", name, "names no entry of env",
						"Add {env}." + name + " with the first worker's value, or remove " + name
								+ " from {increment-env}.");
			}
			try {
				Long.parseLong(value.trim());
			}
			catch (NumberFormatException ex) {
				throw new InvalidPoolOptionException("increment-env", name, "env." + name + " is not an integer",
						"Give {env}." + name + " an integer value (each worker gets it plus its index), or remove "
								+ name + " from {increment-env}.");
			}
		}

	}

}
