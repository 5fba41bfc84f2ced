package io.cfork;

import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

/**
 * Tells the log and the listeners what the pool did: every log line of the pool, through
 * {@link PoolLog} so that the supervisor never waits on log I/O, and every listener callback,
 * which runs once the supervisor has published the snapshot that shows it. Called on the
 * supervisor thread only.
 * <p>
 * Lines name options as the core does, never their values: {@code cfork.args} and
 * {@code cfork.env} may hold secrets, and text that may quote them (a launch error, a probe's
 * reason, a worker's last stderr line) is {@link Secrets masked}. Launch failures are logged once
 * per burst with a count, however many workers fail.
 */
final class PoolReporter {

	/** Launch failures within this span after one that was logged are logged together. */
	static final Duration BURST = Duration.ofSeconds(5);

	private final PoolOptions options;

	private final Supervisor supervisor;

	private final Listeners listeners;

	private final Supplier<PoolSnapshot> published;

	private final PoolLog logger;

	private final Secrets secrets;

	/** Launch failures since the last one logged, while a burst of them goes on. */
	private int unloggedFailures;

	private @Nullable String lastFailure;

	private boolean inBurst;

	/** Whether the last launch failure was only counted: its exit line is left out too. */
	private boolean launchFailureCounted;

	PoolReporter(PoolOptions options, Supervisor supervisor, Listeners listeners, Supplier<PoolSnapshot> published,
			String threadName) {
		// The pool's log lines keep the façade's logger name: users configure that one.
		this.logger = new PoolLog(LoggerFactory.getLogger(WorkerPoolManager.class), threadName,
				supervisor::isCurrentThread);
		this.options = options;
		this.supervisor = supervisor;
		this.listeners = listeners;
		this.published = published;
		this.secrets = Secrets.of(options);
	}

	/**
	 * Masks the configured values that may be secrets in text the pool writes.
	 * @param text the text
	 * @return the masked text
	 */
	@Nullable String mask(@Nullable String text) {
		return this.secrets.mask(text);
	}

	void starting(int count) {
		logger.info("Starting {} workers: {}", count, this.options.command().describe());
	}

	void stopping(long alive) {
		logger.info("Stopping {} worker{} (SIGTERM, SIGKILL after {})", alive, (alive == 1) ? "" : "s",
				Durations.format(this.options.shutdownTimeout()));
	}

	void stopped() {
		logger.info("All workers stopped");
	}

	/**
	 * A worker could not be launched. The first failure of a burst is logged at once; the ones that
	 * follow within {@link #BURST} are counted, and logged as one line at its end, for as long as
	 * they go on: {@code count=100000} with a missing library writes a line every 5 seconds, not
	 * 100000.
	 * @param message why, masked already
	 */
	void launchFailed(int index, @Nullable String message) {
		this.launchFailureCounted = this.inBurst;
		if (this.inBurst) {
			this.unloggedFailures++;
			this.lastFailure = message;
			return;
		}
		logger.error("Worker {} could not be started: {}", index, message);
		this.inBurst = this.supervisor.schedule(this::endOfBurst, BURST) != null;
	}

	private void endOfBurst() {
		if (this.unloggedFailures == 0) {
			this.inBurst = false;
			return;
		}
		logUnloggedFailures();
		this.inBurst = this.supervisor.schedule(this::endOfBurst, BURST) != null;
	}

	private void logUnloggedFailures() {
		logger.error("Failed to launch {} more worker{} in the last {}: {}", this.unloggedFailures,
				(this.unloggedFailures == 1) ? "" : "s", Durations.format(BURST), this.lastFailure);
		this.unloggedFailures = 0;
		this.lastFailure = null;
	}

	/**
	 * A start or a scale stopped part-way, at a limit on processes.
	 */
	void stoppedShort(String message) {
		logger.error("{}", message);
	}

	void forked(long pid, WorkerForked forked) {
		ForkCause cause = forked.cause();
		logger.info("Worker {} (pid {}) started{}", forked.worker().index(), pid,
				(cause != ForkCause.START) ? " (" + cause.tag() + ")" : "");
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerForked(forked)));
	}

	/**
	 * A worker exited.
	 * @param exited the exit
	 * @param outcome what follows it
	 * @param error the line of its stderr that best says why it died, quoted for a young death
	 */
	void exited(WorkerExited exited, ExitOutcome outcome, @Nullable String error) {
		int index = exited.worker().index();
		String pid = (exited.pid() != null) ? "pid " + exited.pid() : "never started";
		String exit = exited.exit().describe();
		// A launch failure counted in a burst gets no exit line either: the burst's line counts it.
		boolean counted = exited.pid() == null && this.launchFailureCounted;
		if (!outcome.unexpected()) {
			logger.info("Worker {} ({}) exited with {}; {}", index, pid, exit, outcome.description());
		}
		else {
			error = mask(error);
			String quoted = (error != null) ? ": " + ControlCharacters.escape(error) : "";
			if (!counted) {
				logger.warn("Worker {} ({}) exited with {}{}; {}", index, pid, exit, quoted, outcome.description());
			}
			if (outcome.youngDeaths() == WorkerSnapshot.CRASH_LOOP_DEATHS) {
				logger.error("Worker {} is crash-looping: its last {} processes died before they were ready{}. "
						+ "It keeps being reforked with a growing delay (up to {}); fix the cause and restart it.",
						index, WorkerSnapshot.CRASH_LOOP_DEATHS,
						(error != null) ? "; last error: " + ControlCharacters.escape(error) : "",
						Durations.format(this.options.backoffMax()));
			}
		}
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerExited(exited)));
	}

	void ready(long pid, WorkerReady ready) {
		logger.info("Worker {} (pid {}) ready after {}", ready.worker().index(), pid,
				Durations.format(ready.readyTime()));
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerReady(ready)));
	}

	/**
	 * A worker failed a check.
	 * @param failures consecutive failures of that check
	 * @param threshold failures after which the worker is replaced
	 */
	void checkFailed(long pid, WorkerCheckFailed failed, int failures, int threshold) {
		if (failed.check() == WorkerCheckFailed.Check.LIVENESS) {
			logger.warn("Worker {} (pid {}) failed its liveness check ({}): {} of {}", failed.worker().index(), pid,
					mask(failed.reason()), failures, threshold);
		}
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerCheckFailed(failed)));
	}

	void replacing(int index, long pid, String reason) {
		logger.warn("Worker {} (pid {}) failed: {}; stopping it", index, pid, mask(reason));
	}

	void replaced(int index, long oldPid, long newPid, long generation) {
		logger.info("Worker {} (pid {}) replaced by pid {} (generation {}); stopping the old one", index, oldPid,
				newPid, generation);
	}

	void reloadStarted(ReloadSnapshot reload) {
		logger.info("Reloading {} workers (generation {}, {} at a time)", reload.total(), reload.generation(),
				this.options.reloadBatchSize());
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.reloadStarted(reload)));
	}

	void reloadFinished(ReloadSnapshot reload) {
		if (reload.state() == ReloadSnapshot.State.DONE) {
			logger.info("Reload done: {} workers replaced (generation {})", reload.replaced(), reload.generation());
		}
		else {
			logger.error("Reload failed after {} of {} workers: {}; the others keep their workers", reload.replaced(),
					reload.total(), mask(reload.reason()));
		}
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.reloadFinished(reload)));
	}

	void gaveUp(long reforks) {
		logger.error("Refork limit reached: {} reforks within {} ({} since the pool started). No worker will be "
				+ "reforked until a worker is restarted or the pool is scaled; workers still alive keep running.",
				this.options.limit(), Durations.format(this.options.duration()), reforks);
		this.supervisor.afterPublish(() -> {
			PoolSnapshot current = this.published.get();
			this.listeners.dispatch(
					(listener) -> listener.reforkLimitReached(new ReforkLimitReached(current.limit(), current)));
		});
	}

	void reforkCancelled(int index) {
		logger.warn("Worker {}: refork cancelled, the refork limit was reached during its backoff", index);
	}

	void limitCleared(ForkCause cause) {
		logger.info("Refork limit cleared ({})", cause.tag());
	}

	void restarting(int index) {
		logger.info("Restarting worker {}", index);
	}

	void scaling(int from, int to) {
		logger.info("Scaling the pool from {} to {} workers", from, to);
	}

	/**
	 * Hands the lines the supervisor's task logged to the log's writer: at the end of each task.
	 */
	void taskDone() {
		this.logger.release();
	}

	/**
	 * Writes what is queued for the log, never waiting long for a blocked one.
	 */
	void close() {
		if (this.unloggedFailures > 0) {
			logUnloggedFailures();
		}
		this.logger.close();
	}

	void killing(int index, long pid) {
		logger.warn("Worker {} (pid {}) did not exit within {} of SIGTERM; sending SIGKILL", index, pid,
				Durations.format(this.options.shutdownTimeout()));
	}

	/**
	 * The pool recycles a worker for its resources: at WARN for its memory, with the figures, at
	 * INFO for its lifetime.
	 * @param recycled what is recycled
	 */
	void recycling(WorkerRecycled recycled) {
		int index = recycled.worker().index();
		Long memory = recycled.memory();
		Long maxMemory = this.options.maxMemory();
		String next = recycled.wasReady() ? "restarting" : "stopping it: it was never ready, a failed start";
		if (recycled.reason() == WorkerRecycled.Reason.MEMORY && memory != null && maxMemory != null) {
			boolean fine = megabytes(memory, 0).equals(megabytes(maxMemory, 0));
			logger.warn("Worker {} (pid {}) uses {} > {} max-memory; {}", index, recycled.pid(),
					megabytes(memory, fine ? 1 : 0), megabytes(maxMemory, fine ? 1 : 0), next);
		}
		else if (recycled.wasReady()) {
			logger.info("Worker {} (pid {}) reached {} after {}; {}", index, recycled.pid(),
					recycled.reason().option(), Durations.format(recycled.lifetime()), next);
		}
		else {
			logger.warn("Worker {} (pid {}) reached {} after {}; {}", index, recycled.pid(),
					recycled.reason().option(), Durations.format(recycled.lifetime()), next);
		}
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerRecycled(recycled)));
	}

	/**
	 * The pool stored a round of resource samples.
	 */
	void sampled() {
		this.supervisor.afterPublish(() -> {
			PoolSnapshot current = this.published.get();
			this.listeners.dispatch((listener) -> listener.resourcesSampled(current));
		});
	}

	/**
	 * Bytes in MB of 1024 x 1024 bytes, as Spring's {@code DataSize} counts them: {@code 612 MB}.
	 */
	static String megabytes(long bytes, int decimals) {
		return String.format(Locale.ROOT, "%." + decimals + "f MB", bytes / (1024.0 * 1024.0));
	}

}
