package io.cfork;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * How the pool knows that a ready worker still serves, with Kubernetes' meaning: a check every
 * {@linkplain #period() period}, each within a {@linkplain #timeout() timeout}; after
 * {@linkplain #failureThreshold() failure-threshold} failures in a row the worker is replaced
 * (SIGTERM, SIGKILL after the shutdown timeout; a {@code java.main-class} worker first gets SIGQUIT,
 * so its thread dump lands in the master's log). Its exit is unexpected.
 * <p>
 * With {@link #watchdog(Duration)} the worker itself says it is alive, as under systemd's
 * {@code WatchdogSec=}: {@code WATCHDOG=1} on its {@code NOTIFY_SOCKET} at least once every
 * watchdog timeout, or it is replaced.
 */
public final class LivenessCheck {

	private final Type type;

	private final @Nullable Integer port;

	private final @Nullable String url;

	private final Duration period;

	private final Duration timeout;

	private final int failureThreshold;

	private final @Nullable Duration watchdogTimeout;

	private LivenessCheck(Type type, @Nullable Integer port, @Nullable String url, Duration period, Duration timeout,
			int failureThreshold) {
		this(type, port, url, period, timeout, failureThreshold, null);
	}

	private LivenessCheck(Type type, @Nullable Integer port, @Nullable String url, Duration period, Duration timeout,
			int failureThreshold, @Nullable Duration watchdogTimeout) {
		this.watchdogTimeout = watchdogTimeout;
		this.type = type;
		this.port = port;
		this.url = url;
		this.period = Objects.requireNonNull(period, "period");
		this.timeout = Objects.requireNonNull(timeout, "timeout");
		this.failureThreshold = failureThreshold;
	}

	/**
	 * No check.
	 * @return the check
	 */
	public static LivenessCheck none() {
		return new LivenessCheck(Type.NONE, null, null, Duration.ofSeconds(10), Duration.ofSeconds(1), 3);
	}

	/**
	 * The worker, or a process of its session, still listens on a TCP port.
	 * @param port the port
	 * @return the check
	 */
	public static LivenessCheck port(int port) {
		return new LivenessCheck(Type.PORT, port, null, Duration.ofSeconds(10), Duration.ofSeconds(1), 3);
	}

	/**
	 * A GET of the URL answers 2xx; placeholders as for {@link ReadinessCheck#http(String)}.
	 * @param url the URL
	 * @return the check
	 */
	public static LivenessCheck http(String url) {
		return new LivenessCheck(Type.HTTP, null, url, Duration.ofSeconds(10), Duration.ofSeconds(1), 3);
	}

	/**
	 * The worker says {@code WATCHDOG=1} (sd_notify) on its {@code NOTIFY_SOCKET} at least once every
	 * {@code timeout} once it is ready. It gets {@code WATCHDOG_USEC} (the timeout) and
	 * {@code WATCHDOG_PID} (its own pid), as systemd sets them. Needs JNA.
	 * @param timeout the longest time between two {@code WATCHDOG=1}
	 * @return the check
	 */
	public static LivenessCheck watchdog(Duration timeout) {
		return new LivenessCheck(Type.WATCHDOG, null, null, Duration.ofSeconds(10), Duration.ofSeconds(1), 3,
				Objects.requireNonNull(timeout, "timeout"));
	}

	/**
	 * The same check with other timings.
	 * @param period between checks (default 10 s)
	 * @param timeout one check's time limit, less than the period (default 1 s)
	 * @param failureThreshold failures in a row before the worker is replaced (default 3)
	 * @return the check
	 */
	public LivenessCheck timing(Duration period, Duration timeout, int failureThreshold) {
		return new LivenessCheck(this.type, this.port, this.url, period, timeout, failureThreshold,
				this.watchdogTimeout);
	}

	public Type type() {
		return this.type;
	}

	public @Nullable Integer port() {
		return this.port;
	}

	public @Nullable String url() {
		return this.url;
	}

	public Duration period() {
		return this.period;
	}

	public Duration timeout() {
		return this.timeout;
	}

	public int failureThreshold() {
		return this.failureThreshold;
	}

	/**
	 * The longest time between two {@code WATCHDOG=1} of a {@code watchdog} check.
	 * @return the timeout, or {@code null} for another type
	 */
	public @Nullable Duration watchdogTimeout() {
		return this.watchdogTimeout;
	}

	void validate(Set<String> workerVariables) {
		Durations.requirePositive("liveness.period", this.period);
		Durations.requirePositive("liveness.timeout", this.timeout);
		if (this.timeout.compareTo(this.period) >= 0) {
			throw new InvalidPoolOptionException("liveness.timeout", this.timeout,
					"must be less than liveness.period (" + this.period + ")",
					"Set {liveness.timeout} below {liveness.period}, or raise {liveness.period}.");
		}
		if (this.failureThreshold < 1) {
			throw new InvalidPoolOptionException("liveness.failure-threshold", this.failureThreshold,
					"must be at least 1", "Set {liveness.failure-threshold} to 1 or more (default 3).");
		}
		switch (this.type) {
			case PORT -> Probes.requirePort("liveness", this.port);
			case HTTP -> Probes.requireUrl("liveness", this.url, workerVariables);
			case WATCHDOG -> Durations.requirePositive("liveness.watchdog-timeout", this.watchdogTimeout);
			case NONE -> {
			}
		}
	}

	@Override
	public String toString() {
		return switch (this.type) {
			case NONE -> "none";
			case PORT -> "port " + this.port;
			case HTTP -> "http " + this.url;
			case WATCHDOG -> "watchdog " + this.watchdogTimeout;
		};
	}

	/**
	 * How the pool knows a ready worker still serves.
	 */
	public enum Type {

		/** No check. */
		NONE,

		/** It still listens on a TCP port. */
		PORT,

		/** A GET answers 2xx. */
		HTTP,

		/** It says {@code WATCHDOG=1} on its {@code NOTIFY_SOCKET} often enough (sd_notify). */
		WATCHDOG

	}

}
