package io.cfork.autoconfigure;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;

import io.cfork.InvalidPoolOptionException;
import io.cfork.ListenAddress;
import io.cfork.LivenessCheck;
import io.cfork.PoolOptions;
import io.cfork.ReadinessCheck;
import io.cfork.WorkerCommand;
import io.cfork.WorkerOutput;
import org.jspecify.annotations.Nullable;

import org.slf4j.event.Level;

import org.springframework.boot.logging.LogLevel;
import org.springframework.util.StringUtils;

/**
 * Turns {@link CforkProperties} into the core's {@link PoolOptions}, which checks every value.
 */
final class CforkPoolOptions {

	private CforkPoolOptions() {
	}

	static PoolOptions from(CforkProperties properties, @Nullable ClassLoader classLoader) {
		PoolOptions.Builder builder = PoolOptions.builder(command(properties))
			.refork(properties.isRefork())
			.stopExitCodes(new LinkedHashSet<>(properties.getStopExitCodes()))
			.limit(properties.getLimit(), properties.getDuration())
			.backoff(properties.getBackoff().getInitial(), properties.getBackoff().getMax())
			.minUptime(properties.getMinUptime())
			.env(properties.getEnv())
			.workingDirectory(properties.getWorkingDirectory())
			.output(properties.isSilent() ? null
					: WorkerOutput.toLog(level(properties.getLog().getStdoutLevel()),
							level(properties.getLog().getStderrLevel())))
			.shutdownTimeout(properties.getShutdownTimeout())
			.readiness(readiness(properties.getReadiness()))
			.liveness(liveness(properties.getLiveness()))
			.incrementEnv(properties.getIncrementEnv())
			.launcher(properties.getLauncher())
			.listen(listen(properties.getListen()))
			.listenStdin(properties.getListenStdin())
			.reload(properties.getReload().getStrategy(), properties.getReload().getBatchSize())
			.resourceInterval(properties.getResources().getInterval())
			.maxMemory((properties.getMaxMemory() != null) ? properties.getMaxMemory().toBytes() : null)
			.maxLifetime(properties.getMaxLifetime())
			.maxLifetimeJitter(properties.getMaxLifetimeJitter())
			.classLoader(classLoader);
		if (properties.getCount() != null) {
			builder.count(properties.getCount());
		}
		return builder.build();
	}

	private static List<ListenAddress> listen(List<CforkProperties.Listen> listen) {
		List<ListenAddress> addresses = new ArrayList<>(listen.size());
		for (int i = 0; i < listen.size(); i++) {
			CforkProperties.Listen address = listen.get(i);
			Integer port = address.getPort();
			if (port == null) {
				throw new InvalidPoolOptionException("listen[" + i + "].port", null, "is required",
						"Set {listen[" + i + "].port} to the TCP port to bind, or remove {listen}[" + i + "].");
			}
			addresses.add(new ListenAddress(port, address.getHost(), address.getBacklog(), address.getName()));
		}
		return addresses;
	}

	private static ReadinessCheck readiness(CforkProperties.Readiness readiness) {
		ReadinessCheck check = switch (readiness.getType()) {
			case NONE -> ReadinessCheck.none();
			case PORT -> ReadinessCheck.port(required(readiness.getPort(), "readiness.port", "port", "TCP port"));
			case HTTP -> ReadinessCheck.http(required(readiness.getUrl(), "readiness.url", "http", "URL"));
			case LOG -> ReadinessCheck.log(required(readiness.getLogPattern(), "readiness.log-pattern", "log",
					"regular expression"));
			case NOTIFY -> ReadinessCheck.sdNotify();
			case IPC -> ReadinessCheck.ipc();
		};
		return check.timeout(readiness.getTimeout()).interval(readiness.getInterval());
	}

	private static LivenessCheck liveness(CforkProperties.Liveness liveness) {
		LivenessCheck check = switch (liveness.getType()) {
			case NONE -> LivenessCheck.none();
			case PORT -> LivenessCheck.port(required(liveness.getPort(), "liveness.port", "port", "TCP port"));
			case HTTP -> LivenessCheck.http(required(liveness.getUrl(), "liveness.url", "http", "URL"));
			case WATCHDOG -> LivenessCheck.watchdog(liveness.getWatchdogTimeout());
		};
		return check.timing(liveness.getPeriod(), liveness.getTimeout(), liveness.getFailureThreshold());
	}

	private static <T> T required(@Nullable T value, String option, String type, String what) {
		if (value == null) {
			String check = option.substring(0, option.indexOf('.'));
			throw new InvalidPoolOptionException(option, null, "is required by " + check + " type " + type,
					"Set {" + option + "} to the " + what + " the check uses, or another {" + check + ".type}.");
		}
		return value;
	}

	private static @Nullable Level level(LogLevel level) {
		return switch (level) {
			case TRACE -> Level.TRACE;
			case DEBUG -> Level.DEBUG;
			case INFO -> Level.INFO;
			case WARN -> Level.WARN;
			case ERROR, FATAL -> Level.ERROR;
			case OFF -> null;
		};
	}

	private static WorkerCommand command(CforkProperties properties) {
		String exec = properties.getExec();
		CforkProperties.Java java = properties.getJava();
		String mainClass = java.getMainClass();
		if (StringUtils.hasText(exec) && StringUtils.hasText(mainClass)) {
			throw new InvalidPoolOptionException("exec", exec, "both cfork.exec and cfork.java.main-class are set ("
					+ mainClass + ")", "Set only one of {exec} (an executable) and {java.main-class} (a Java main class).");
		}
		if (StringUtils.hasText(mainClass)) {
			return WorkerCommand.java(mainClass, java.getClassPath(), java.getJvmArgs(), properties.getArgs());
		}
		if (exec == null) {
			throw new InvalidPoolOptionException("exec", null, "no worker command is set",
					"Set {exec} to the worker's executable (with {args}), or {java.main-class} to a Java main "
							+ "class; or set {enabled}=false to start no pool.");
		}
		return WorkerCommand.exec(exec, properties.getArgs());
	}

}
