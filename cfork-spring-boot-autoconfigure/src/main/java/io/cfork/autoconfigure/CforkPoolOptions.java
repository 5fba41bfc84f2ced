package io.cfork.autoconfigure;

import java.util.LinkedHashSet;

import io.cfork.InvalidPoolOptionException;
import io.cfork.PoolOptions;
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
