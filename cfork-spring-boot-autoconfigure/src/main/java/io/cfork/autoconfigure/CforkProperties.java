package io.cfork.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cfork.Launcher;
import io.cfork.ListenAddress;
import io.cfork.LivenessCheck;
import io.cfork.ReadinessCheck;
import io.cfork.ReloadStrategy;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.logging.LogLevel;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the worker pool ({@code cfork.*}).
 */
@ConfigurationProperties("cfork")
public class CforkProperties {

	/**
	 * Whether to start the worker pool.
	 */
	private boolean enabled = true;

	/**
	 * Worker's executable: a path, or a name on PATH. Exactly one of 'cfork.exec' and
	 * 'cfork.java.main-class' must be set.
	 */
	private @Nullable String exec;

	/**
	 * Arguments to the worker's executable or main class.
	 */
	private List<String> args = new ArrayList<>();

	private final Java java = new Java();

	/**
	 * Number of workers to keep alive. Defaults to the number of available processors.
	 */
	private @Nullable Integer count;

	/**
	 * Whether to refork a worker that exits without the pool asking it to.
	 */
	private boolean refork = true;

	/**
	 * Exit codes after which a worker is not reforked (a worker that finished on purpose).
	 */
	private List<Integer> stopExitCodes = new ArrayList<>();

	/**
	 * Maximum number of reforks within 'cfork.duration'. Past it the pool stops reforking until a
	 * worker is restarted or the pool is scaled.
	 */
	private int limit = 60;

	/**
	 * Window of the refork limit.
	 */
	private Duration duration = Duration.ofSeconds(60);

	private final Backoff backoff = new Backoff();

	private final Log log = new Log();

	private final Readiness readiness = new Readiness();

	private final Reload reload = new Reload();

	private final Liveness liveness = new Liveness();

	/**
	 * Names of 'cfork.env' entries whose integer value each worker gets increased by its index:
	 * with PORT=9000, worker 2 gets PORT=9002.
	 */
	private List<String> incrementEnv = new ArrayList<>();

	/**
	 * TCP addresses the master binds once, before forking, and hands to every worker from
	 * descriptor 3 on, with systemd's socket-activation variables (LISTEN_FDS, LISTEN_PID,
	 * LISTEN_FDNAMES). Needs the native launcher.
	 */
	private List<Listen> listen = new ArrayList<>();

	/**
	 * Whether the first of 'cfork.listen' is also each worker's stdin, where Java adopts it
	 * (System.inheritedChannel(), Tomcat's useInheritedChannel). Defaults to true for
	 * 'cfork.java.main-class' workers, false otherwise.
	 */
	private @Nullable Boolean listenStdin;

	/**
	 * Minimum lifetime of a worker for it to be reforked at once and its backoff reset. A worker
	 * that dies younger is reforked after the backoff delay.
	 */
	private Duration minUptime = Duration.ofSeconds(5);

	/**
	 * Extra environment variables for workers, added to the master's.
	 */
	private Map<String, String> env = new LinkedHashMap<>();

	/**
	 * Working directory of workers. Defaults to the master's.
	 */
	private @Nullable Path workingDirectory;

	/**
	 * Whether to discard what workers print instead of logging each line through the 'cfork.worker'
	 * logger, tagged with the worker's index and pid.
	 */
	private boolean silent;

	/**
	 * Time a worker has to exit after SIGTERM, on stop, restart or scale-down, before it is killed
	 * with SIGKILL.
	 */
	private Duration shutdownTimeout = Duration.ofSeconds(10);

	/**
	 * How workers are started. 'native': posix_spawn through JNA, exits and output watched on a
	 * fixed number of threads (Linux 5.3 or later on x86_64 or aarch64, glibc 2.29 or later, JNA on
	 * the class path). 'jdk': ProcessBuilder, a reaper thread and two output threads per worker.
	 * 'auto': native where it works, else jdk.
	 */
	private Launcher launcher = Launcher.AUTO;
	private final Resources resources = new Resources();

	/**
	 * Resident set above which a worker, with the processes of its session, is recycled once two
	 * samples in a row saw it above: stopped (SIGTERM, SIGKILL after 'cfork.shutdown-timeout'),
	 * then forked again. Needs /proc (Linux).
	 */
	private @Nullable DataSize maxMemory;

	/**
	 * Lifetime after which each worker is recycled: stopped, then forked again. Needs /proc (Linux).
	 */
	private @Nullable Duration maxLifetime;

	/**
	 * Most that each worker's 'cfork.max-lifetime' is lengthened by, at random, so that workers are
	 * not all recycled at once. Defaults to 10% of 'cfork.max-lifetime'.
	 */
	private @Nullable Duration maxLifetimeJitter;

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable String getExec() {
		return this.exec;
	}

	public void setExec(@Nullable String exec) {
		this.exec = exec;
	}

	public List<String> getArgs() {
		return this.args;
	}

	public void setArgs(List<String> args) {
		this.args = args;
	}

	public Java getJava() {
		return this.java;
	}

	public @Nullable Integer getCount() {
		return this.count;
	}

	public void setCount(@Nullable Integer count) {
		this.count = count;
	}

	public boolean isRefork() {
		return this.refork;
	}

	public void setRefork(boolean refork) {
		this.refork = refork;
	}

	public List<Integer> getStopExitCodes() {
		return this.stopExitCodes;
	}

	public void setStopExitCodes(List<Integer> stopExitCodes) {
		this.stopExitCodes = stopExitCodes;
	}

	public int getLimit() {
		return this.limit;
	}

	public void setLimit(int limit) {
		this.limit = limit;
	}

	public Duration getDuration() {
		return this.duration;
	}

	public void setDuration(Duration duration) {
		this.duration = duration;
	}

	public Backoff getBackoff() {
		return this.backoff;
	}

	public Log getLog() {
		return this.log;
	}

	public Readiness getReadiness() {
		return this.readiness;
	}

	public Reload getReload() {
		return this.reload;
	}

	public Liveness getLiveness() {
		return this.liveness;
	}

	public List<Listen> getListen() {
		return this.listen;
	}

	public void setListen(List<Listen> listen) {
		this.listen = listen;
	}

	public @Nullable Boolean getListenStdin() {
		return this.listenStdin;
	}

	public void setListenStdin(@Nullable Boolean listenStdin) {
		this.listenStdin = listenStdin;
	}

	public List<String> getIncrementEnv() {
		return this.incrementEnv;
	}

	public void setIncrementEnv(List<String> incrementEnv) {
		this.incrementEnv = incrementEnv;
	}

	public Duration getMinUptime() {
		return this.minUptime;
	}

	public void setMinUptime(Duration minUptime) {
		this.minUptime = minUptime;
	}

	public Map<String, String> getEnv() {
		return this.env;
	}

	public void setEnv(Map<String, String> env) {
		this.env = env;
	}

	public @Nullable Path getWorkingDirectory() {
		return this.workingDirectory;
	}

	public void setWorkingDirectory(@Nullable Path workingDirectory) {
		this.workingDirectory = workingDirectory;
	}

	public boolean isSilent() {
		return this.silent;
	}

	public void setSilent(boolean silent) {
		this.silent = silent;
	}

	public Duration getShutdownTimeout() {
		return this.shutdownTimeout;
	}

	public void setShutdownTimeout(Duration shutdownTimeout) {
		this.shutdownTimeout = shutdownTimeout;
	}

	public Launcher getLauncher() {
		return this.launcher;
	}

	public void setLauncher(Launcher launcher) {
		this.launcher = launcher;
	}

	public Resources getResources() {
		return this.resources;
	}

	public @Nullable DataSize getMaxMemory() {
		return this.maxMemory;
	}

	public void setMaxMemory(@Nullable DataSize maxMemory) {
		this.maxMemory = maxMemory;
	}

	public @Nullable Duration getMaxLifetime() {
		return this.maxLifetime;
	}

	public void setMaxLifetime(@Nullable Duration maxLifetime) {
		this.maxLifetime = maxLifetime;
	}

	public @Nullable Duration getMaxLifetimeJitter() {
		return this.maxLifetimeJitter;
	}

	public void setMaxLifetimeJitter(@Nullable Duration maxLifetimeJitter) {
		this.maxLifetimeJitter = maxLifetimeJitter;
	}

	/**
	 * Java workers: a main class run in a child JVM.
	 */
	public static class Java {

		/**
		 * Main class to run in a child JVM (the master's 'java'), instead of 'cfork.exec'. From an
		 * executable Spring Boot jar, the class is found in the jar as in the master.
		 */
		private @Nullable String mainClass;

		/**
		 * Class path for 'cfork.java.main-class'. Defaults to the master's.
		 */
		private @Nullable String classPath;

		/**
		 * Options for the child JVM. The master's own JVM options are not passed on.
		 */
		private List<String> jvmArgs = new ArrayList<>();

		public @Nullable String getMainClass() {
			return this.mainClass;
		}

		public void setMainClass(@Nullable String mainClass) {
			this.mainClass = mainClass;
		}

		public @Nullable String getClassPath() {
			return this.classPath;
		}

		public void setClassPath(@Nullable String classPath) {
			this.classPath = classPath;
		}

		public List<String> getJvmArgs() {
			return this.jvmArgs;
		}

		public void setJvmArgs(List<String> jvmArgs) {
			this.jvmArgs = jvmArgs;
		}

	}

	/**
	 * How a worker is replaced by a rolling reload, a restart or a max-lifetime recycle.
	 */
	public static class Reload {

		/**
		 * 'start-first': the replacement starts beside the worker, which is stopped once the
		 * replacement is ready (needs workers that can run twice at once: a shared or master-owned
		 * port). 'stop-first': the worker is stopped, then the replacement started (workers with a
		 * port of their own).
		 */
		private ReloadStrategy strategy = ReloadStrategy.START_FIRST;

		/**
		 * Slots a rolling reload replaces at once.
		 */
		private int batchSize = 1;

		public ReloadStrategy getStrategy() {
			return this.strategy;
		}

		public void setStrategy(ReloadStrategy strategy) {
			this.strategy = strategy;
		}

		public int getBatchSize() {
			return this.batchSize;
		}

		public void setBatchSize(int batchSize) {
			this.batchSize = batchSize;
		}

	}

	/**
	 * A TCP address the master listens on for its workers.
	 */
	public static class Listen {

		/**
		 * TCP port to bind.
		 */
		private @Nullable Integer port;

		/**
		 * Address to bind. Defaults to every interface, IPv6 and IPv4.
		 */
		private @Nullable String host;

		/**
		 * Listen backlog.
		 */
		private int backlog = ListenAddress.DEFAULT_BACKLOG;

		/**
		 * The socket's LISTEN_FDNAMES entry. Defaults to the port.
		 */
		private @Nullable String name;

		public @Nullable Integer getPort() {
			return this.port;
		}

		public void setPort(@Nullable Integer port) {
			this.port = port;
		}

		public @Nullable String getHost() {
			return this.host;
		}

		public void setHost(@Nullable String host) {
			this.host = host;
		}

		public int getBacklog() {
			return this.backlog;
		}

		public void setBacklog(int backlog) {
			this.backlog = backlog;
		}

		public @Nullable String getName() {
			return this.name;
		}

		public void setName(@Nullable String name) {
			this.name = name;
		}

	}

	/**
	 * How the pool knows that a worker serves. Until then the worker is STARTING; one that dies
	 * before it is ready died young.
	 */
	public static class Readiness {

		/**
		 * How the pool knows that a worker serves: 'none' (once it lived 'cfork.min-uptime'),
		 * 'port' (it listens on 'cfork.readiness.port'), 'http' (a GET of 'cfork.readiness.url'
		 * answers 2xx), 'log' (a line of its output matches 'cfork.readiness.log-pattern'),
		 * 'notify' (it says READY=1 on its NOTIFY_SOCKET, systemd's sd_notify protocol; needs JNA)
		 * or 'ipc' (a Node worker's process.send('ready') over NODE_CHANNEL_FD; needs the native
		 * launcher).
		 */
		private ReadinessCheck.Type type = ReadinessCheck.Type.NONE;

		/**
		 * TCP port that a worker, or a process of its session, listens on once it serves, for type
		 * 'port'. Read from /proc, so workers sharing one port are told apart.
		 */
		private @Nullable Integer port;

		/**
		 * URL whose GET answers 2xx once a worker serves, for type 'http'. May name {index} and, in
		 * braces, any variable of the worker's environment, such as http://localhost:{PORT}/ready.
		 */
		private @Nullable String url;

		/**
		 * Regular expression that a line of a worker's output matches once it serves, for type
		 * 'log'. Works with 'cfork.silent' too.
		 */
		private @Nullable String logPattern;

		/**
		 * Time a worker has to get ready. Past it the worker is stopped, and counts as one that
		 * died young.
		 */
		private Duration timeout = Duration.ofSeconds(60);

		/**
		 * How often the 'port' and 'http' checks run while a worker starts.
		 */
		private Duration interval = Duration.ofMillis(100);

		public ReadinessCheck.Type getType() {
			return this.type;
		}

		public void setType(ReadinessCheck.Type type) {
			this.type = type;
		}

		public @Nullable Integer getPort() {
			return this.port;
		}

		public void setPort(@Nullable Integer port) {
			this.port = port;
		}

		public @Nullable String getUrl() {
			return this.url;
		}

		public void setUrl(@Nullable String url) {
			this.url = url;
		}

		public @Nullable String getLogPattern() {
			return this.logPattern;
		}

		public void setLogPattern(@Nullable String logPattern) {
			this.logPattern = logPattern;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

	}

	/**
	 * How the pool knows that a ready worker still serves. A worker that fails it
	 * 'cfork.liveness.failure-threshold' times in a row is replaced.
	 */
	public static class Liveness {

		/**
		 * How the pool knows that a ready worker still serves: 'none', 'port' (it still listens on
		 * 'cfork.liveness.port'), 'http' (a GET of 'cfork.liveness.url' answers 2xx) or 'watchdog'
		 * (it says WATCHDOG=1 on its NOTIFY_SOCKET at least every
		 * 'cfork.liveness.watchdog-timeout', systemd's sd_notify protocol; needs JNA).
		 */
		private LivenessCheck.Type type = LivenessCheck.Type.NONE;

		/**
		 * TCP port that a worker, or a process of its session, keeps listening on, for type 'port'.
		 */
		private @Nullable Integer port;

		/**
		 * URL whose GET answers 2xx while a worker serves, for type 'http'. Placeholders as for
		 * 'cfork.readiness.url'.
		 */
		private @Nullable String url;

		/**
		 * Time between two checks of a worker.
		 */
		private Duration period = Duration.ofSeconds(10);

		/**
		 * Time limit of one check, less than 'cfork.liveness.period'.
		 */
		private Duration timeout = Duration.ofSeconds(1);

		/**
		 * Failed checks in a row after which a worker is replaced.
		 */
		private int failureThreshold = 3;

		/**
		 * Longest time between two WATCHDOG=1 of a worker, for type 'watchdog'. Workers get it as
		 * WATCHDOG_USEC, and their own pid as WATCHDOG_PID.
		 */
		private Duration watchdogTimeout = Duration.ofSeconds(30);

		public LivenessCheck.Type getType() {
			return this.type;
		}

		public void setType(LivenessCheck.Type type) {
			this.type = type;
		}

		public @Nullable Integer getPort() {
			return this.port;
		}

		public void setPort(@Nullable Integer port) {
			this.port = port;
		}

		public @Nullable String getUrl() {
			return this.url;
		}

		public void setUrl(@Nullable String url) {
			this.url = url;
		}

		public Duration getPeriod() {
			return this.period;
		}

		public void setPeriod(Duration period) {
			this.period = period;
		}

		public Duration getTimeout() {
			return this.timeout;
		}

		public void setTimeout(Duration timeout) {
			this.timeout = timeout;
		}

		public int getFailureThreshold() {
			return this.failureThreshold;
		}

		public void setFailureThreshold(int failureThreshold) {
			this.failureThreshold = failureThreshold;
		}

		public Duration getWatchdogTimeout() {
			return this.watchdogTimeout;
		}

		public void setWatchdogTimeout(Duration watchdogTimeout) {
			this.watchdogTimeout = watchdogTimeout;
		}

	}

	/**
	 * How workers' output is logged (logger 'cfork.worker'), unless 'cfork.silent' is set.
	 */
	public static class Log {

		/**
		 * Level of the lines a worker prints on standard output.
		 */
		private LogLevel stdoutLevel = LogLevel.INFO;

		/**
		 * Level of the lines a worker prints on standard error.
		 */
		private LogLevel stderrLevel = LogLevel.WARN;

		public LogLevel getStdoutLevel() {
			return this.stdoutLevel;
		}

		public void setStdoutLevel(LogLevel stdoutLevel) {
			this.stdoutLevel = stdoutLevel;
		}

		public LogLevel getStderrLevel() {
			return this.stderrLevel;
		}

		public void setStderrLevel(LogLevel stderrLevel) {
			this.stderrLevel = stderrLevel;
		}

	}

	/**
	 * Refork delay of a worker that died younger than 'cfork.min-uptime'.
	 */
	public static class Backoff {

		/**
		 * Delay before reforking a worker that died young. Doubles on each consecutive young death.
		 */
		private Duration initial = Duration.ofMillis(100);

		/**
		 * Cap of the refork delay.
		 */
		private Duration max = Duration.ofSeconds(30);

		public Duration getInitial() {
			return this.initial;
		}

		public void setInitial(Duration initial) {
			this.initial = initial;
		}

		public Duration getMax() {
			return this.max;
		}

		public void setMax(Duration max) {
			this.max = max;
		}

	}

	/**
	 * Sampling of what each worker costs: CPU and memory, from /proc (Linux).
	 */
	public static class Resources {

		/**
		 * Time between two samples of every worker's CPU and memory, taken on one thread for the
		 * whole pool.
		 */
		private Duration interval = Duration.ofSeconds(5);

		public Duration getInterval() {
			return this.interval;
		}

		public void setInterval(Duration interval) {
			this.interval = interval;
		}

	}

}
