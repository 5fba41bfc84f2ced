package io.cfork;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's state and what changes it, from one {@link WorkerPoolManager#start() start} to its
 * stop. Every method runs on the {@link Supervisor}'s thread; other threads read
 * {@link #published()}.
 * <p>
 * What follows an exit is decided by {@link ExitPolicy}; each slot's state changes only through
 * {@link Slot}'s transitions. This class forks, signals, schedules, and reports.
 */
final class WorkerPool {

	// The pool's log lines keep the façade's logger name: users configure that one.
	private static final Logger logger = LoggerFactory.getLogger(WorkerPoolManager.class);

	private final PoolOptions options;

	private final Clock clock;

	private final AtomicLong ids;

	private final Listeners listeners;

	private final ExitPolicy policy;

	private final ReforkWindow window;

	private final List<String> command;

	private final TreeMap<Integer, Slot> slots = new TreeMap<>();

	private final Supervisor supervisor;

	private final WorkerLauncher launcher;

	private final @Nullable SessionReaper sessionReaper;

	private Phase phase = Phase.RUNNING;

	private int desired;

	private long reforks;

	private boolean gaveUp;

	private boolean startingUp = true;

	private @Nullable CompletableFuture<Void> stopped;

	private volatile PoolSnapshot published;

	WorkerPool(PoolOptions options, Clock clock, AtomicLong ids, Listeners listeners, String threadName) {
		this.options = options;
		this.clock = clock;
		this.ids = ids;
		this.listeners = listeners;
		this.policy = new ExitPolicy(options);
		this.window = new ReforkWindow(options.limit(), options.duration().toNanos());
		this.command = options.command().commandLine();
		this.desired = options.count();
		this.launcher = Launchers.create(options);
		this.sessionReaper = this.launcher.ownSession() ? new SessionReaper() : null;
		this.published = notStarted(options);
		this.supervisor = new Supervisor(threadName, () -> this.published = snapshot());
	}

	/**
	 * The snapshot of a pool that is not running.
	 */
	static PoolSnapshot notStarted(PoolOptions options) {
		return new PoolSnapshot(PoolStatus.STOPPED, options.count(), 0, 0,
				new PoolSnapshot.Limit(options.limit(), options.duration(), false), options.command().commandLine(),
				List.of());
	}

	PoolSnapshot published() {
		return this.published;
	}

	boolean isSupervisorThread() {
		return this.supervisor.isCurrentThread();
	}

	/**
	 * Runs a task on the supervisor thread.
	 * @return whether it was accepted
	 */
	boolean execute(Runnable task) {
		return this.supervisor.execute(task);
	}

	// ---- Start and stop ---------------------------------------------------------------

	void begin(CompletableFuture<Void> started) {
		logger.info("Starting {} workers: {}", this.desired, this.options.command().describe());
		for (int index = 0; index < this.desired; index++) {
			Slot slot = new Slot(index);
			this.slots.put(index, slot);
			// One task per fork: exits of early workers are handled between forks.
			execute(() -> {
				if (slot.is(SlotState.NEW)) {
					fork(slot, ForkCause.START, null);
				}
			});
		}
		execute(() -> started.complete(null));
	}

	void beginStop(CompletableFuture<Void> done) {
		if (this.phase != Phase.RUNNING) {
			done.complete(null);
			return;
		}
		this.phase = Phase.STOPPING;
		this.stopped = done;
		long alive = this.slots.values().stream().filter(Slot::isAlive).count();
		logger.info("Stopping {} worker{} (SIGTERM, SIGKILL after {})", alive, (alive == 1) ? "" : "s",
				Durations.format(this.options.shutdownTimeout()));
		for (Slot slot : this.slots.values()) {
			if (slot.isAlive()) {
				terminate(slot, SlotState.STOPPING, null);
			}
			else {
				slot.halted();
			}
		}
		checkStopped();
	}

	/**
	 * Releases the supervisor thread, the launcher and the session reaper, once the pool stopped.
	 */
	void close() {
		this.supervisor.shutdown();
		this.launcher.close();
		if (this.sessionReaper != null) {
			this.sessionReaper.close();
		}
	}

	// ---- Forks and exits --------------------------------------------------------------

	/**
	 * Forks a worker in the slot.
	 * @param latencyFrom for a refork, when its latency is measured from (nano ticks)
	 */
	private void fork(Slot slot, ForkCause cause, @Nullable Long latencyFrom) {
		if (this.phase != Phase.RUNNING || this.slots.get(slot.index) != slot) {
			return;
		}
		long id = this.ids.incrementAndGet();
		if (cause == ForkCause.REFORK) {
			// Counted when it happens: a refork still in its backoff when the limit is reached never does.
			this.reforks++;
		}
		WorkerProcess process;
		try {
			process = this.launcher.launch(slot.index, id, this.desired);
		}
		catch (Exception ex) {
			logger.error("Worker {} could not be started: {}", slot.index, ex.getMessage());
			launchFailed(slot, id, String.valueOf(ex.getMessage()));
			this.supervisor.afterPublish(slot.takeWaiters());
			return;
		}
		long now = System.nanoTime();
		slot.started(id, process, now, this.clock.instant());
		Duration minUptime = this.options.minUptime();
		if (minUptime.isZero()) {
			slot.ready();
			checkStarted();
		}
		else {
			slot.setTimer(this.supervisor.schedule(() -> ready(slot, id), minUptime));
		}
		process.onExit((code) -> {
			long seen = System.nanoTime();
			execute(() -> {
				if (slot.process() == process) {
					exited(slot, process.pid(), code, seen);
				}
			});
		});
		Duration latency = (latencyFrom != null) ? Duration.ofNanos(Math.max(0, now - latencyFrom)) : null;
		logger.info("Worker {} (pid {}) started{}", slot.index, process.pid(),
				(cause != ForkCause.START) ? " (" + cause.tag() + ")" : "");
		WorkerForked forked = new WorkerForked(slot.snapshot(), cause, latency);
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerForked(forked)));
		// Completed once the snapshot is published and listeners have heard of the fork.
		this.supervisor.afterPublish(slot.takeWaiters());
	}

	private void ready(Slot slot, long id) {
		if (slot.id() == id && slot.is(SlotState.STARTING)) {
			slot.ready();
			checkStarted();
		}
	}

	private void checkStarted() {
		if (this.startingUp && this.slots.values().stream().allMatch((s) -> s.is(SlotState.RUNNING))) {
			this.startingUp = false;
		}
	}

	private void launchFailed(Slot slot, long id, String error) {
		long now = System.nanoTime();
		WorkerExit exit = new WorkerExit(WorkerExit.LAUNCH_FAILED, null, true, this.clock.instant(), error);
		ExitOutcome outcome = decide(slot, true, exit.code(), Duration.ZERO, now);
		slot.launchFailed(id, now, exit.at(), exit, outcome.next(), outcome.youngDeaths());
		apply(slot, null, exit, Duration.ZERO, outcome, now);
	}

	private void exited(Slot slot, long pid, int code, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - slot.startNanos()));
		if (this.sessionReaper != null) {
			this.sessionReaper.reap(pid);
		}
		ExitOutcome outcome = decide(slot, false, code, lifetime, seen);
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), outcome.unexpected(), this.clock.instant(),
				null);
		slot.exited(exit, outcome.next(), outcome.youngDeaths());
		apply(slot, pid, exit, lifetime, outcome, seen);
	}

	private ExitOutcome decide(Slot slot, boolean launchFailed, int code, Duration lifetime, long now) {
		boolean limitReached = this.gaveUp || !this.window.hasRoom(now);
		return this.policy.decide(new ExitPolicy.Exit(slot.state(), slot.restartCause(), this.phase != Phase.RUNNING,
				launchFailed, code, lifetime, slot.youngDeaths(), limitReached));
	}

	/**
	 * Applies an exit's outcome, the slot having moved to its next state: reports the exit, then
	 * schedules the refork, gives up, removes the slot or forks it again.
	 */
	private void apply(Slot slot, @Nullable Long pid, WorkerExit exit, Duration lifetime, ExitOutcome outcome,
			long seen) {
		String pidText = (pid != null) ? "pid " + pid : "never started";
		if (outcome.unexpected()) {
			logger.warn("Worker {} ({}) exited with {}; {}", slot.index, pidText, exit.describe(),
					outcome.description());
		}
		else {
			logger.info("Worker {} ({}) exited with {}; {}", slot.index, pidText, exit.describe(),
					outcome.description());
		}
		WorkerExited exited = new WorkerExited(slot.snapshot(), slot.id(), pid, exit, lifetime, outcome.reforks());
		this.supervisor.afterPublish(() -> this.listeners.dispatch((listener) -> listener.workerExited(exited)));
		switch (outcome.next()) {
			case BACKOFF -> {
				this.window.record(seen);
				long latencyFrom = seen + outcome.delay().toNanos();
				slot.setTimer(this.supervisor.schedule(() -> {
					if (slot.is(SlotState.BACKOFF)) {
						fork(slot, ForkCause.REFORK, latencyFrom);
					}
				}, outcome.delay()));
			}
			case SUSPENDED -> {
				if (!this.gaveUp) {
					giveUp();
				}
			}
			case REMOVED -> {
				this.slots.remove(slot.index);
				slot.failWaiters(new NoSuchWorkerException(slot.index, this.desired));
			}
			case NEW -> fork(slot, outcome.forkCause(), null);
			default -> {
			}
		}
		if (this.phase == Phase.STOPPING) {
			checkStopped();
		}
	}

	private void giveUp() {
		this.gaveUp = true;
		for (Slot slot : this.slots.values()) {
			if (slot.is(SlotState.BACKOFF)) {
				slot.suspended();
			}
		}
		logger.error("Refork limit reached: {} reforks within {}. No worker will be reforked until a worker is "
				+ "restarted or the pool is scaled; workers still alive keep running.", this.options.limit(),
				Durations.format(this.options.duration()));
		this.supervisor.afterPublish(() -> {
			PoolSnapshot current = this.published;
			this.listeners.dispatch(
					(listener) -> listener.reforkLimitReached(new ReforkLimitReached(current.limit(), current)));
		});
	}

	// ---- Operator commands ------------------------------------------------------------

	void restart(int index, CompletableFuture<WorkerSnapshot> result) {
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		Slot slot = this.slots.get(index);
		if (slot == null || index >= this.desired) {
			result.completeExceptionally(new NoSuchWorkerException(index, this.desired));
			return;
		}
		logger.info("Restarting worker {}", index);
		slot.addWaiter(result);
		slot.forgive();
		if (slot.isAlive()) {
			terminate(slot, SlotState.RESTARTING, ForkCause.RESTART);
		}
		else {
			fork(slot, ForkCause.RESTART, null);
		}
		resume(ForkCause.RESTART);
	}

	void scale(int count, CompletableFuture<PoolSnapshot> result) {
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		logger.info("Scaling the pool from {} to {} workers", this.desired, count);
		this.desired = count;
		for (Slot slot : new ArrayList<>(this.slots.tailMap(count).values())) {
			if (slot.isAlive()) {
				terminate(slot, SlotState.REMOVING, null);
			}
			else {
				slot.removed();
				slot.failWaiters(new NoSuchWorkerException(slot.index, count));
				this.slots.remove(slot.index);
			}
		}
		for (int index = 0; index < count; index++) {
			Slot slot = this.slots.get(index);
			if (slot == null) {
				slot = new Slot(index);
				this.slots.put(index, slot);
				fork(slot, ForkCause.SCALE, null);
			}
			else if (slot.is(SlotState.EXITED) || slot.is(SlotState.SUSPENDED)) {
				slot.forgive();
				fork(slot, ForkCause.SCALE, null);
			}
			else if (slot.is(SlotState.REMOVING)) {
				// Was being removed by an earlier scale-down: replace it once it has exited.
				slot.stopping(SlotState.RESTARTING, ForkCause.SCALE);
			}
		}
		resume(ForkCause.SCALE);
		this.supervisor.afterPublish(() -> result.complete(this.published));
	}

	/**
	 * Clears the refork limit and forks again every slot the limit left without a worker.
	 */
	private void resume(ForkCause cause) {
		if (this.gaveUp) {
			logger.info("Refork limit cleared ({})", cause.tag());
		}
		this.gaveUp = false;
		this.window.reset();
		for (Slot slot : new ArrayList<>(this.slots.headMap(this.desired).values())) {
			if (slot.is(SlotState.SUSPENDED)) {
				slot.forgive();
				fork(slot, cause, null);
			}
		}
	}

	/**
	 * Asks a slot's process to stop (SIGTERM, SIGKILL after the shutdown timeout), or changes what
	 * follows if it was asked already.
	 */
	private void terminate(Slot slot, SlotState next, @Nullable ForkCause cause) {
		boolean signalled = SlotState.STOPPING_STATES.contains(slot.state());
		slot.stopping(next, cause);
		WorkerProcess process = slot.process();
		if (signalled || process == null) {
			return;
		}
		slot.cancelTimers();
		process.terminate();
		long id = slot.id();
		slot.setKillTimer(this.supervisor.schedule(() -> kill(slot, id), this.options.shutdownTimeout()));
	}

	private void kill(Slot slot, long id) {
		WorkerProcess process = slot.process();
		if (slot.id() != id || process == null) {
			return;
		}
		logger.warn("Worker {} (pid {}) did not exit within {} of SIGTERM; sending SIGKILL", slot.index,
				process.pid(), Durations.format(this.options.shutdownTimeout()));
		process.kill();
	}

	private void checkStopped() {
		if (this.slots.values().stream().anyMatch(Slot::isAlive)) {
			return;
		}
		this.phase = Phase.STOPPED;
		this.slots.values().forEach((slot) -> slot.failWaiters(notRunning()));
		logger.info("All workers stopped");
		CompletableFuture<Void> done = this.stopped;
		this.stopped = null;
		if (done != null) {
			this.supervisor.afterPublish(() -> done.complete(null));
		}
	}

	// ---- Snapshots --------------------------------------------------------------------

	private PoolSnapshot snapshot() {
		List<WorkerSnapshot> workers = new ArrayList<>(this.slots.size());
		int alive = 0;
		for (Slot slot : this.slots.values()) {
			workers.add(slot.snapshot());
			if (slot.isAlive()) {
				alive++;
			}
		}
		return new PoolSnapshot(status(alive), this.desired, alive, this.reforks,
				new PoolSnapshot.Limit(this.options.limit(), this.options.duration(), this.gaveUp), this.command,
				workers);
	}

	private PoolStatus status(int alive) {
		return switch (this.phase) {
			case STOPPED -> PoolStatus.STOPPED;
			case STOPPING -> PoolStatus.STOPPING;
			case RUNNING -> {
				if (this.gaveUp) {
					yield PoolStatus.GAVE_UP;
				}
				if (alive < this.desired) {
					yield PoolStatus.DEGRADED;
				}
				yield this.startingUp ? PoolStatus.STARTING : PoolStatus.RUNNING;
			}
		};
	}

	static IllegalStateException notRunning() {
		return new IllegalStateException("The worker pool is not running");
	}

	private enum Phase {

		RUNNING, STOPPING, STOPPED

	}

}
