package io.cfork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

/**
 * Starts and stops a worker's readiness and liveness checks, and turns their results into tasks
 * for the supervisor: a worker is ready ({@link WorkerPool#ready(Slot, long)}), or it failed a check
 * for good and is stopped, its exit unexpected. What workers say themselves (sd_notify, Node's IPC)
 * arrives through {@link WorkerMessages}, opened here for each fork.
 */
final class WorkerChecks implements AutoCloseable {

	/** How long a Java worker has to print its thread dump (SIGQUIT) before it gets SIGTERM. */
	private static final Duration THREAD_DUMP_TIME = Duration.ofMillis(500);

	private final PoolOptions options;

	private final WorkerPool pool;

	private final PoolReporter report;

	private final @Nullable Probes probes;

	private final @Nullable Pattern readyLine;

	/** Workers (by pid) whose ready line was seen: the rest of their output is not matched. */
	private final Set<Long> readyLines = ConcurrentHashMap.newKeySet();

	/** Receives sd_notify and IPC messages, when the checks need them. */
	private final @Nullable WorkerMessages messages;

	/** Each live worker's channels, by fork id; the supervisor thread only. */
	private final Map<Long, WorkerMessages.Channel> channels = new HashMap<>();

	WorkerChecks(PoolOptions options, WorkerPool pool, PoolReporter report, String threadName,
			String messagesThreadName) {
		this.options = options;
		this.pool = pool;
		this.report = report;
		LivenessCheck.Type liveness = options.liveness().type();
		boolean probing = isProbe(options.readiness().type()) || liveness == LivenessCheck.Type.PORT
				|| liveness == LivenessCheck.Type.HTTP;
		this.probes = probing ? new Probes(threadName) : null;
		String pattern = options.readiness().logPattern();
		this.readyLine = (options.readiness().type() == ReadinessCheck.Type.LOG && pattern != null)
				? Pattern.compile(pattern) : null;
		this.messages = messages(options, messagesThreadName);
	}

	private @Nullable WorkerMessages messages(PoolOptions options, String threadName) {
		ReadinessCheck.Type readiness = options.readiness().type();
		Duration watchdog = options.liveness().watchdogTimeout();
		boolean notify = readiness == ReadinessCheck.Type.NOTIFY || watchdog != null;
		boolean ipc = readiness == ReadinessCheck.Type.IPC;
		if (!notify && !ipc) {
			return null;
		}
		boolean readyMessages = readiness == ReadinessCheck.Type.NOTIFY || ipc;
		WorkerMessages.Receiver receiver = new WorkerMessages.Receiver() {

			@Override
			public void ready(int index, long id) {
				if (readyMessages) {
					WorkerChecks.this.pool.execute(() -> WorkerChecks.this.pool.notified(index, id,
							(slot) -> WorkerChecks.this.pool.ready(slot, id)));
				}
			}

			@Override
			public void status(int index, long id, String status) {
				WorkerChecks.this.pool.execute(() -> WorkerChecks.this.pool.notified(index, id,
						(slot) -> slot.notifiedStatus(status)));
			}

			@Override
			public void stopping(int index, long id) {
				WorkerChecks.this.pool.execute(
						() -> WorkerChecks.this.pool.notified(index, id, Slot::notifiedStopping));
			}

		};
		try {
			return new WorkerMessages(notify, ipc, watchdog, receiver, threadName);
		}
		catch (IOException ex) {
			if (this.probes != null) {
				this.probes.close();
			}
			throw new UncheckedIOException("Cannot receive workers' messages (sd_notify, IPC): " + ex.getMessage(), ex);
		}
	}

	/**
	 * Opens the channels a worker about to be forked talks to the master on, if the checks need any.
	 * On the supervisor thread.
	 * @return the channels, for the launcher, or {@code null}
	 * @throws IOException if they cannot be opened
	 */
	WorkerMessages.@Nullable Channel open(int index, long id) throws IOException {
		if (this.messages == null) {
			return null;
		}
		WorkerMessages.Channel channel = this.messages.open(index, id);
		this.channels.put(id, channel);
		return channel;
	}

	/**
	 * The worker forked as {@code id} was spawned ({@code true}), or could not be: the master keeps
	 * only its own ends of the worker's channels. On the supervisor thread.
	 */
	void spawned(long id, boolean spawned) {
		WorkerMessages.Channel channel = this.channels.get(id);
		if (channel != null) {
			channel.spawned();
			if (!spawned) {
				closeChannel(id);
			}
		}
	}

	private void closeChannel(long id) {
		WorkerMessages.Channel channel = this.channels.remove(id);
		if (channel != null && this.messages != null) {
			this.messages.close(channel);
		}
	}

	/**
	 * Where the launcher sends workers' output: the pool's output, and, with a {@code log}
	 * readiness check, the matcher of the ready line, which reads the output even when it is
	 * discarded.
	 * @return the output, or {@code null} to discard it
	 */
	@Nullable WorkerOutput output() {
		WorkerOutput output = this.options.output();
		Pattern readyLine = this.readyLine;
		if (readyLine == null) {
			return output;
		}
		return (index, pid, stream, line) -> {
			if (output != null) {
				output.line(index, pid, stream, line);
			}
			if (!this.readyLines.contains(pid) && readyLine.matcher(line).find() && this.readyLines.add(pid)) {
				this.pool.execute(() -> this.pool.readyLine(index, pid));
			}
		};
	}

	/**
	 * A worker was forked: start its readiness check and its timeout. On the supervisor thread.
	 */
	void forked(Slot slot, WorkerProcess process, long id) {
		ReadinessCheck readiness = this.options.readiness();
		if (readiness.type() == ReadinessCheck.Type.NONE) {
			return;
		}
		if (this.probes != null && isProbe(readiness.type())) {
			Probes.Check check = check(slot.index, process.pid(), readiness.port(), readiness.url());
			slot.setProbe(this.probes.every(check, readiness.interval(), readiness.interval(), (failure) -> {
				if (failure == null) {
					this.pool.execute(() -> this.pool.ready(slot, id));
				}
			}));
		}
		Duration timeout = readiness.timeout();
		slot.setTimer(this.pool.schedule(() -> checkFailed(slot, id,
				"not ready within " + Durations.format(timeout), false), timeout));
	}

	/**
	 * A worker became ready: stop its readiness check, start its liveness check. On the supervisor
	 * thread.
	 */
	void ready(Slot slot, WorkerProcess process, long id) {
		slot.cancelProbe();
		LivenessCheck liveness = this.options.liveness();
		if (liveness.type() == LivenessCheck.Type.WATCHDOG) {
			watchdog(slot, id, System.nanoTime());
			return;
		}
		if (this.probes == null || liveness.type() == LivenessCheck.Type.NONE) {
			return;
		}
		Probes.Check check = check(slot.index, process.pid(), liveness.port(), liveness.url());
		slot.setProbe(this.probes.every(check, liveness.period(), liveness.timeout(),
				(failure) -> this.pool.execute(() -> livenessResult(slot, id, failure))));
	}

	/**
	 * Checks, once its timeout has passed since {@code since} (when it became ready) or since its last
	 * {@code WATCHDOG=1}, that the worker forked as {@code id} said {@code WATCHDOG=1} meanwhile; if
	 * not, it failed its liveness check. On the supervisor thread.
	 */
	private void watchdog(Slot slot, long id, long since) {
		WorkerMessages.Channel channel = this.channels.get(id);
		Duration timeout = this.options.liveness().watchdogTimeout();
		WorkerProcess process = slot.process();
		if (channel == null || timeout == null || slot.id() != id || !slot.is(SlotState.RUNNING) || process == null) {
			return;
		}
		long last = channel.lastWatchdog();
		long from = (last != 0 && last - since > 0) ? last : since;
		long left = from + timeout.toNanos() - System.nanoTime();
		if (left > 0) {
			slot.setProbe(this.pool.schedule(() -> watchdog(slot, id, since), Duration.ofNanos(left)));
			return;
		}
		String failure = "no WATCHDOG=1 within " + Durations.format(timeout);
		this.report.checkFailed(process.pid(),
				new WorkerCheckFailed(slot.snapshot(), WorkerCheckFailed.Check.LIVENESS, failure), 1, 1);
		checkFailed(slot, id, "liveness: " + failure, true);
	}

	/**
	 * One liveness check of the worker forked as {@code id} passed ({@code null}) or failed. On the
	 * supervisor thread.
	 */
	void livenessResult(Slot slot, long id, @Nullable String failure) {
		WorkerProcess process = slot.process();
		if (slot.id() != id || !slot.is(SlotState.RUNNING) || process == null) {
			return;
		}
		if (failure == null) {
			slot.livenessPassed();
			return;
		}
		int failures = slot.livenessFailed();
		int threshold = this.options.liveness().failureThreshold();
		this.report.checkFailed(process.pid(), new WorkerCheckFailed(slot.snapshot(), WorkerCheckFailed.Check.LIVENESS,
				failure), failures, threshold);
		if (failures >= threshold) {
			checkFailed(slot, id, "liveness: " + failures + " failed checks (" + failure + ")", true);
		}
	}

	/**
	 * The worker forked as {@code id} failed a check for good: it is replaced. Its exit is
	 * unexpected; a Java worker first gets SIGQUIT, for its thread dump. On the supervisor thread.
	 */
	void checkFailed(Slot slot, long id, String reason, boolean liveness) {
		WorkerProcess process = slot.process();
		boolean checked = liveness ? slot.is(SlotState.RUNNING) : slot.is(SlotState.STARTING);
		if (slot.id() != id || !checked || process == null) {
			return;
		}
		if (!liveness) {
			this.report.checkFailed(process.pid(),
					new WorkerCheckFailed(slot.snapshot(), WorkerCheckFailed.Check.READINESS, reason), 1, 1);
		}
		this.report.replacing(slot.index, process.pid(), reason);
		if (liveness && this.options.command().isJava()) {
			// The JVM prints its thread dump on SIGQUIT and goes on: give it a moment before SIGTERM.
			slot.stopping(SlotState.FAILING, null, reason);
			slot.cancelTimers();
			process.quit();
			slot.setKillTimer(this.pool.schedule(() -> this.pool.sigterm(slot, id), THREAD_DUMP_TIME));
		}
		else {
			this.pool.terminate(slot, SlotState.FAILING, null, reason);
		}
	}

	/**
	 * A worker exited: forget its ready line, close its channels.
	 */
	void exited(long pid, long id) {
		this.readyLines.remove(pid);
		closeChannel(id);
	}

	private Probes.Check check(int index, long pid, @Nullable Integer port, @Nullable String url) {
		if (url == null) {
			return new Probes.Check(pid, (port != null) ? port : 0, null);
		}
		Map<String, String> env = new HashMap<>(System.getenv());
		env.putAll(this.options.env(index));
		env.put(WorkerEnvironment.WORKER_INDEX, Integer.toString(index));
		return new Probes.Check(pid, 0, Probes.resolve(url, index, env));
	}

	private static boolean isProbe(ReadinessCheck.Type type) {
		return type == ReadinessCheck.Type.PORT || type == ReadinessCheck.Type.HTTP;
	}

	@Override
	public void close() {
		if (this.probes != null) {
			this.probes.close();
		}
		if (this.messages != null) {
			this.messages.close();
		}
	}

}
