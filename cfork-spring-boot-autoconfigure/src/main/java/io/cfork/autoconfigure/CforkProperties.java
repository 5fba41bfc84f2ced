package io.cfork.autoconfigure;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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
