package io.cfork.worker;

import java.time.Duration;
import java.util.Optional;

import io.cfork.WorkerEnvironment;

/**
 * What a plain Java worker tells its pool, in one call each: that it serves ({@link #ready()}),
 * what it does ({@link #status(String)}), that it is alive ({@link #watchdog()}), that it stops
 * ({@link #stopping()}). No Spring needed.
 * <p>
 * The calls speak systemd's sd_notify protocol on the socket the process got in
 * {@code NOTIFY_SOCKET}: a pool with {@code cfork.readiness.type=notify} gives one to each worker,
 * and systemd to a service of {@code Type=notify}, so the same code works under both. Without
 * that socket (not under a pool, or a pool that does not listen) every call is a no-op that
 * returns {@code false}; none ever throws.
 * <pre class="code">
 * serve(port);
 * CforkWorker.ready();
 * Duration watchdog = CforkWorker.watchdogTimeout().orElse(null);
 * </pre>
 *
 * @see SdNotify
 */
public final class CforkWorker {

	private static final SdNotify NOTIFY = SdNotify.fromSystemEnvironment();

	private CforkWorker() {
	}

	/**
	 * Whether this process was forked by a pool ({@code CFORK_MASTER_PID} is set).
	 * @return whether this process is a worker
	 */
	public static boolean isWorker() {
		return WorkerEnvironment.isWorker();
	}

	/**
	 * Whether a supervisor listens to this process's messages ({@code NOTIFY_SOCKET} is set).
	 * @return whether the calls of this class send anything
	 */
	public static boolean isNotifying() {
		return NOTIFY.isEnabled();
	}

	/**
	 * The watchdog timeout the supervisor gave this process ({@code WATCHDOG_USEC}, when
	 * {@code WATCHDOG_PID} is absent or this process's pid): call {@link #watchdog()} at least
	 * this often, best every half of it.
	 * @return the timeout, or empty when there is no watchdog for this process
	 */
	public static Optional<Duration> watchdogTimeout() {
		return NOTIFY.watchdogTimeout();
	}

	/**
	 * Tells the pool that this worker serves ({@code READY=1}).
	 * @return whether the message was sent
	 */
	public static boolean ready() {
		return NOTIFY.ready();
	}

	/**
	 * Tells the pool what this worker is doing ({@code STATUS=...}), shown as the worker's
	 * {@code status} in the {@code cfork} endpoint.
	 * @param status one line of text
	 * @return whether the message was sent
	 */
	public static boolean status(String status) {
		return NOTIFY.status(status);
	}

	/**
	 * Feeds the pool's watchdog ({@code WATCHDOG=1}): under {@code cfork.liveness.type=watchdog}
	 * a worker that stops calling this is replaced.
	 * @return whether the message was sent
	 */
	public static boolean watchdog() {
		return NOTIFY.watchdog();
	}

	/**
	 * Tells the pool that this worker is shutting down ({@code STOPPING=1}).
	 * @return whether the message was sent
	 */
	public static boolean stopping() {
		return NOTIFY.stopping();
	}

}
