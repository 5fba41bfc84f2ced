package io.cfork;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

import org.jspecify.annotations.Nullable;

/**
 * How the pool knows that a worker serves: until then the worker is {@code STARTING}, and a worker
 * that dies before it is ready died young (it backs off and counts toward the refork limit). A
 * worker not ready within the {@linkplain #timeout() timeout} is stopped, and that too is a young
 * death.
 * <pre class="code">
 * ReadinessCheck.port(3001)                              // the worker listens on 3001
 * ReadinessCheck.http("http://localhost:{PORT}/health")  // GET answers 2xx
 * ReadinessCheck.log("listening on")                     // a line of its output matches
 * ReadinessCheck.sdNotify()                              // it says READY=1 on its NOTIFY_SOCKET
 * ReadinessCheck.ipc()                                   // a Node worker's process.send('ready')
 * ReadinessCheck.none()                                  // ready once it lived min-uptime
 * </pre>
 */
public final class ReadinessCheck {

	private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

	private static final Duration DEFAULT_INTERVAL = Duration.ofMillis(100);

	private final Type type;

	private final @Nullable Integer port;

	private final @Nullable String url;

	private final @Nullable String logPattern;

	private final Duration timeout;

	private final Duration interval;

	private ReadinessCheck(Type type, @Nullable Integer port, @Nullable String url, @Nullable String logPattern,
			Duration timeout, Duration interval) {
		this.type = type;
		this.port = port;
		this.url = url;
		this.logPattern = logPattern;
		this.timeout = Objects.requireNonNull(timeout, "timeout");
		this.interval = Objects.requireNonNull(interval, "interval");
	}

	/**
	 * No check: a worker is ready once it has lived {@code min-uptime}.
	 * @return the check
	 */
	public static ReadinessCheck none() {
		return new ReadinessCheck(Type.NONE, null, null, null, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
	}

	/**
	 * Ready once the worker, or a process of its session, listens on a TCP port. Read from
	 * {@code /proc} (the worker's sockets), not by connecting, so that workers sharing one port are
	 * told apart.
	 * @param port the port
	 * @return the check
	 */
	public static ReadinessCheck port(int port) {
		return new ReadinessCheck(Type.PORT, port, null, null, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
	}

	/**
	 * Ready once a GET of the URL answers 2xx. The URL may name {@code {index}} and, in braces, any
	 * variable of the worker's environment ({@code http://localhost:{PORT}/ready}), so that each
	 * worker is probed on its own address.
	 * @param url the URL
	 * @return the check
	 */
	public static ReadinessCheck http(String url) {
		return new ReadinessCheck(Type.HTTP, null, url, null, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
	}

	/**
	 * Ready once a line the worker prints (stdout or stderr) matches a regular expression (found
	 * anywhere in the line). Works with the output discarded, too.
	 * @param pattern the regular expression
	 * @return the check
	 */
	public static ReadinessCheck log(String pattern) {
		return new ReadinessCheck(Type.LOG, null, null, pattern, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
	}

	/**
	 * Ready once the worker says {@code READY=1} with systemd's sd_notify protocol: each worker gets
	 * {@code NOTIFY_SOCKET}, the path of a datagram socket of its own, so workers written for
	 * systemd's {@code Type=notify} work unchanged. {@code STATUS=...} is shown in the worker's
	 * snapshot, {@code STOPPING=1} too. Needs JNA.
	 * @return the check
	 */
	public static ReadinessCheck sdNotify() {
		return new ReadinessCheck(Type.NOTIFY, null, null, null, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
	}

	/**
	 * Ready once a Node worker sends {@code 'ready'} over Node's IPC channel
	 * ({@code process.send('ready')}, as PM2's {@code wait_ready} expects): each worker gets one end
	 * of a socket pair as {@code NODE_CHANNEL_FD}. Needs the native launcher.
	 * @return the check
	 */
	public static ReadinessCheck ipc() {
		return new ReadinessCheck(Type.IPC, null, null, null, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
	}

	/**
	 * The same check with another timeout (default 60 s).
	 * @param timeout how long a worker has to get ready
	 * @return the check
	 */
	public ReadinessCheck timeout(Duration timeout) {
		return new ReadinessCheck(this.type, this.port, this.url, this.logPattern, timeout, this.interval);
	}

	/**
	 * The same check with another interval (default 100 ms).
	 * @param interval how often a {@code port} or {@code http} check runs while a worker starts
	 * @return the check
	 */
	public ReadinessCheck interval(Duration interval) {
		return new ReadinessCheck(this.type, this.port, this.url, this.logPattern, this.timeout, interval);
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

	public @Nullable String logPattern() {
		return this.logPattern;
	}

	public Duration timeout() {
		return this.timeout;
	}

	public Duration interval() {
		return this.interval;
	}

	/**
	 * Checks the settings the type needs.
	 * @param workerVariables names of the variables a worker will have (for URL placeholders)
	 * @throws InvalidPoolOptionException naming what is wrong
	 */
	void validate(Set<String> workerVariables) {
		Durations.requirePositive("readiness.timeout", this.timeout);
		Durations.requirePositive("readiness.interval", this.interval);
		switch (this.type) {
			case PORT -> Probes.requirePort("readiness", this.port);
			case HTTP -> Probes.requireUrl("readiness", this.url, workerVariables);
			case LOG -> {
				if (this.logPattern == null || this.logPattern.isEmpty()) {
					throw new InvalidPoolOptionException("readiness.log-pattern", this.logPattern,
							"is required by readiness type log",
							"Set {readiness.log-pattern} to a regular expression that a line of the worker's output "
									+ "matches once it serves, such as 'listening on'.");
				}
				try {
					Pattern.compile(this.logPattern);
				}
				catch (PatternSyntaxException ex) {
					throw new InvalidPoolOptionException("readiness.log-pattern", this.logPattern,
							"is not a regular expression: " + ex.getDescription() + " near index " + ex.getIndex(),
							"Fix the regular expression in {readiness.log-pattern} (Java syntax).");
				}
			}
			case NONE, NOTIFY, IPC -> {
			}
		}
	}

	@Override
	public String toString() {
		return switch (this.type) {
			case NONE -> "none";
			case PORT -> "port " + this.port;
			case HTTP -> "http " + this.url;
			case LOG -> "log /" + this.logPattern + "/";
			case NOTIFY -> "notify";
			case IPC -> "ipc";
		};
	}

	/**
	 * How the pool knows a worker serves.
	 */
	public enum Type {

		/** Ready once it lived {@code min-uptime}. */
		NONE,

		/** Ready once it listens on a TCP port. */
		PORT,

		/** Ready once a GET answers 2xx. */
		HTTP,

		/** Ready once a line of its output matches. */
		LOG,

		/** Ready once it says {@code READY=1} on its {@code NOTIFY_SOCKET} (sd_notify). */
		NOTIFY,

		/** Ready once it sends {@code 'ready'} over Node's IPC channel. */
		IPC

	}

}
