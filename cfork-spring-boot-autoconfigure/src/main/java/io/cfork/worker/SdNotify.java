package io.cfork.worker;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * systemd's sd_notify protocol as libsystemd speaks it: each message is one {@code AF_UNIX}
 * datagram to the socket named by {@code NOTIFY_SOCKET} (a path, or an abstract name after an
 * {@code @}), holding newline-separated {@code KEY=value} assignments.
 * <p>
 * A process learns from its environment whether anyone listens: a pool's worker gets
 * {@code NOTIFY_SOCKET} from its master, a service of {@code Type=notify} from systemd. Without it
 * every message is a no-op. A message that cannot be sent is logged at debug level and never
 * thrown: telling the supervisor must never break the application.
 * <p>
 * {@link CforkWorker} offers the same for the process's own environment in one static call.
 * Instances are immutable and safe to share between threads.
 */
public final class SdNotify {

	/** The supervisor's socket. */
	public static final String NOTIFY_SOCKET = "NOTIFY_SOCKET";

	/** The watchdog's timeout in microseconds, when the supervisor runs one. */
	public static final String WATCHDOG_USEC = "WATCHDOG_USEC";

	/** The process the watchdog is meant for; absent means the one that reads it. */
	public static final String WATCHDOG_PID = "WATCHDOG_PID";

	private static final Logger logger = LoggerFactory.getLogger(SdNotify.class);

	private static final AtomicBoolean noJnaLogged = new AtomicBoolean();

	private final @Nullable String socket;

	private final @Nullable Duration watchdogTimeout;

	private SdNotify(@Nullable String socket, @Nullable Duration watchdogTimeout) {
		this.socket = socket;
		this.watchdogTimeout = watchdogTimeout;
	}

	/**
	 * Reads the notify socket and the watchdog from this process's environment.
	 * @return the notifier of this process
	 */
	public static SdNotify fromSystemEnvironment() {
		return from(System::getenv, ProcessHandle.current().pid());
	}

	/**
	 * Reads the notify socket and the watchdog from the given variables.
	 * @param environment the value of an environment variable, or {@code null} if it is not set
	 * @param pid the pid of the process that will send the messages (checked against
	 * {@code WATCHDOG_PID})
	 * @return the notifier
	 */
	public static SdNotify from(Function<String, @Nullable String> environment, long pid) {
		String socket = environment.apply(NOTIFY_SOCKET);
		return new SdNotify((socket != null && !socket.isEmpty()) ? socket : null,
				watchdogTimeout(environment.apply(WATCHDOG_USEC), environment.apply(WATCHDOG_PID), pid));
	}

	/**
	 * The watchdog as libsystemd's {@code sd_watchdog_enabled} reads it: set when
	 * {@code WATCHDOG_USEC} is a positive number and {@code WATCHDOG_PID} is absent or this pid.
	 */
	private static @Nullable Duration watchdogTimeout(@Nullable String usec, @Nullable String watchdogPid,
			long pid) {
		if (usec == null) {
			return null;
		}
		try {
			long micros = Long.parseLong(usec.trim());
			if (micros <= 0 || (watchdogPid != null && Long.parseLong(watchdogPid.trim()) != pid)) {
				return null;
			}
			return Duration.ofNanos(Math.multiplyExact(micros, 1000L));
		}
		catch (NumberFormatException | ArithmeticException ex) {
			return null;
		}
	}

	/**
	 * Whether a supervisor listens ({@code NOTIFY_SOCKET} is set).
	 * @return whether messages are sent
	 */
	public boolean isEnabled() {
		return this.socket != null;
	}

	/**
	 * The supervisor's watchdog timeout: {@link #watchdog()} must be sent at least this often,
	 * libsystemd advises every half of it.
	 * @return the timeout, or empty when no watchdog is meant for this process
	 */
	public Optional<Duration> watchdogTimeout() {
		return Optional.ofNullable(this.watchdogTimeout);
	}

	/**
	 * Tells the supervisor that the process serves ({@code READY=1}).
	 * @return whether the message was sent
	 */
	public boolean ready() {
		return notify("READY=1");
	}

	/**
	 * Tells the supervisor what the process is doing ({@code STATUS=...}), one line shown to
	 * operators; line breaks become spaces.
	 * @param status the status text
	 * @return whether the message was sent
	 */
	public boolean status(String status) {
		return notify("STATUS=" + status.replace('\n', ' ').replace('\r', ' '));
	}

	/**
	 * Tells the supervisor's watchdog that the process is alive ({@code WATCHDOG=1}).
	 * @return whether the message was sent
	 */
	public boolean watchdog() {
		return notify("WATCHDOG=1");
	}

	/**
	 * Tells the supervisor that the process is shutting down ({@code STOPPING=1}).
	 * @return whether the message was sent
	 */
	public boolean stopping() {
		return notify("STOPPING=1");
	}

	/**
	 * Sends any sd_notify message: newline-separated assignments such as
	 * {@code "READY=1\nSTATUS=serving"}.
	 * @param state the message
	 * @return whether the message was sent; {@code false} without a supervisor or when sending
	 * failed (logged at debug level)
	 */
	public boolean notify(String state) {
		String target = this.socket;
		if (target == null) {
			return false;
		}
		if (!jnaPresent()) {
			if (noJnaLogged.compareAndSet(false, true)) {
				logger.warn("{} is set but JNA (net.java.dev.jna:jna) is not on the class path: "
						+ "sd_notify messages are not sent", NOTIFY_SOCKET);
			}
			return false;
		}
		try {
			UnixDatagram.send(target, state.getBytes(StandardCharsets.UTF_8));
			return true;
		}
		catch (IOException | RuntimeException | LinkageError ex) {
			logger.debug("Could not send '{}' to {}: {}", state.replace('\n', ' '), target, ex.toString());
			return false;
		}
	}

	private static boolean jnaPresent() {
		try {
			Class.forName("com.sun.jna.Native", false, SdNotify.class.getClassLoader());
			return true;
		}
		catch (ClassNotFoundException | LinkageError ex) {
			return false;
		}
	}

	@Override
	public String toString() {
		return "SdNotify[socket=" + this.socket + ", watchdogTimeout=" + this.watchdogTimeout + "]";
	}

}
