package io.cfork;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

/**
 * The pool's state and what changes it, from one {@link WorkerPoolManager#start() start} to its
 * stop. Every method runs on the {@link Supervisor}'s thread; other threads read
 * {@link #published()}.
 * <p>
 * What follows an exit is decided by {@link ExitPolicy}, the pool's status by
 * {@link PoolStatusRule}; each slot's state changes only through {@link Slot}'s transitions; what
 * the pool says goes through {@link PoolReporter}. This class is what is left: the pool's
 * reactions to exits, timers and commands, each a short method that forks, signals or schedules.
 * It is the one class that changes the pool's state, which is why it is not split further.
 */
final class WorkerPool {

	/** Samples in a row above {@code max-memory} after which a worker is recycled. */
	static final int MEMORY_SAMPLES = 2;

	private final PoolOptions options;

	private final Clock clock;

	private final AtomicLong ids;

	private final ExitPolicy policy;

	private final ReforkWindow window;

	private final List<String> command;

	private final Slots slots = new Slots();

	private final Supervisor supervisor;

	private final PoolReporter report;

	private final WorkerLauncher launcher;

	private final @Nullable LeftoverReaper reaper;

	private final @Nullable PoolWatchdog watchdog;

	/** Samples the workers' CPU and memory; {@code null} where there is no {@code /proc}. */
	private final @Nullable ResourceSampler sampler;

	private Phase phase = Phase.RUNNING;

	private int desired;

	private long reforks;

	private boolean gaveUp;

	/** Until every worker of the first start was ready, or one of them failed first. */
	private boolean firstStart = true;

	private @Nullable CompletableFuture<Void> stopped;

	private volatile PoolSnapshot published;

	WorkerPool(PoolOptions options, Clock clock, AtomicLong ids, String poolId, Listeners listeners,
			String threadName) {
		this.options = options;
		this.clock = clock;
		this.ids = ids;
		this.policy = new ExitPolicy(options);
		this.window = new ReforkWindow(options.limit(), options.duration().toNanos());
		this.command = options.command().commandLine();
		this.desired = options.count();
		this.launcher = new JdkLauncher(options, poolId);
		boolean procFs = ProcFs.isAvailable();
		this.reaper = (procFs && this.launcher.ownSession()) ? new LeftoverReaper(poolId) : null;
		this.watchdog = procFs ? PoolWatchdog.start(poolId) : null;
		this.published = notStarted(options);
		this.supervisor = new Supervisor(threadName, () -> this.published = snapshot());
		this.report = new PoolReporter(options, this.supervisor, listeners, () -> this.published, threadName + "-log");
		this.sampler = procFs ? new ResourceSampler(options.resourceInterval(), () -> this.published,
				(samples) -> execute(() -> sampled(samples)), threadName + "-resources") : null;
	}

	/**
	 * The snapshot of a pool that is not running.
	 */
	static PoolSnapshot notStarted(PoolOptions options) {
		return new PoolSnapshot(PoolStatus.STOPPED, options.count(), 0, 0, 0,
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
		this.report.starting(this.desired);
		for (int index = 0; index < this.desired; index++) {
			Slot slot = this.slots.add(index);
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
		this.report.stopping(this.slots.alive());
		for (Slot slot : this.slots.all()) {
			if (slot.isAlive()) {
				terminate(slot, SlotState.STOPPING, null, null);
			}
			else {
				slot.halted();
			}
		}
		checkStopped();
	}

	/**
	 * Releases the supervisor thread, the launcher, the reaper (which first kills what still
	 * carries the pool's mark), the watchdog and the log's writer, once the pool stopped.
	 */
	void close() {
		if (this.sampler != null) {
			this.sampler.close();
		}
		this.supervisor.shutdown();
		this.launcher.close();
		if (this.reaper != null) {
			this.reaper.close();
		}
		if (this.watchdog != null) {
			this.watchdog.close();
		}
		this.report.close();
	}

	// ---- Forks and exits --------------------------------------------------------------

	/**
	 * Forks a worker in the slot.
	 * @param latencyFrom for a refork, when its latency is measured from (nano ticks)
	 */
	private void fork(Slot slot, ForkCause cause, @Nullable Long latencyFrom) {
		if (this.phase != Phase.RUNNING || !this.slots.holds(slot)) {
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
			this.report.launchFailed(slot.index, ex.getMessage());
			launchFailed(slot, id, String.valueOf(ex.getMessage()));
			this.supervisor.afterPublish(slot.takeWaiters());
			return;
		}
		long now = System.nanoTime();
		slot.started(id, process, now, this.clock.instant());
		scheduleRecycle(slot, id);
		Duration minUptime = this.options.minUptime();
		if (minUptime.isZero()) {
			slot.ready(this.clock.instant());
			checkStarted();
		}
		else {
			slot.setTimer(this.supervisor.schedule(() -> ready(slot, id), minUptime));
		}
		process.onExit((code) -> {
			long seen = System.nanoTime();
			execute(() -> {
				if (slot.process() == process) {
					exited(slot, process, code, seen);
				}
			});
		});
		Duration latency = (latencyFrom != null) ? Duration.ofNanos(Math.max(0, now - latencyFrom)) : null;
		this.report.forked(process.pid(), new WorkerForked(slot.snapshot(), cause, latency));
		// Completed once the snapshot is published and listeners have heard of the fork.
		this.supervisor.afterPublish(slot.takeWaiters());
	}

	private void ready(Slot slot, long id) {
		if (slot.id() == id && slot.is(SlotState.STARTING)) {
			slot.ready(this.clock.instant());
			checkStarted();
		}
	}

	private void checkStarted() {
		if (this.firstStart && this.slots.allReady()) {
			this.firstStart = false;
		}
	}

	private void launchFailed(Slot slot, long id, String error) {
		long now = System.nanoTime();
		WorkerExit exit = new WorkerExit(WorkerExit.LAUNCH_FAILED, null, true, this.clock.instant(), error, null);
		ExitOutcome outcome = decide(slot, true, exit.code(), now);
		slot.launchFailed(id, now, exit.at(), exit, outcome.next(), outcome.youngDeaths());
		apply(slot, null, exit, Duration.ZERO, outcome, now, null);
	}

	private void exited(Slot slot, WorkerProcess process, int code, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - slot.startNanos()));
		if (this.reaper != null) {
			this.reaper.reap(process.pid(), slot.id(), seen);
		}
		boolean young = !slot.wasReady();
		ExitOutcome outcome = decide(slot, false, code, seen);
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), outcome.unexpected(), this.clock.instant(),
				null, slot.stopReason());
		slot.exited(exit, outcome.next(), outcome.youngDeaths());
		// A worker that died young most often says why on stderr: quote what was read by now.
		String lastError = (outcome.unexpected() && young) ? process.lastErrorLine() : null;
		apply(slot, process.pid(), exit, lifetime, outcome, seen, lastError);
	}

	private ExitOutcome decide(Slot slot, boolean launchFailed, int code, long now) {
		boolean limitReached = this.gaveUp || !this.window.hasRoom(now);
		return this.policy.decide(new ExitPolicy.Exit(slot.state(), slot.restartCause(), this.phase != Phase.RUNNING,
				launchFailed, !launchFailed && slot.wasReady(), code, slot.youngDeaths(), limitReached));
	}

	/**
	 * Applies an exit's outcome, the slot having moved to its next state: reports the exit, then
	 * schedules the refork, gives up, removes the slot or forks it again.
	 */
	private void apply(Slot slot, @Nullable Long pid, WorkerExit exit, Duration lifetime, ExitOutcome outcome,
			long seen, @Nullable String error) {
		if (outcome.unexpected()) {
			this.firstStart = false;
		}
		this.report.exited(new WorkerExited(slot.snapshot(), slot.id(), pid, exit, lifetime, outcome.reforks()),
				outcome, error);
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
				this.slots.remove(slot);
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
		this.report.gaveUp(this.reforks);
		for (Slot slot : this.slots.all()) {
			if (slot.is(SlotState.BACKOFF)) {
				slot.suspended();
				this.report.reforkCancelled(slot.index);
			}
		}
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
		this.report.restarting(index);
		slot.addWaiter(result);
		slot.forgive();
		if (slot.isAlive()) {
			terminate(slot, SlotState.RESTARTING, ForkCause.RESTART, null);
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
		this.report.scaling(this.desired, count);
		this.desired = count;
		for (Slot slot : this.slots.from(count)) {
			if (slot.isAlive()) {
				terminate(slot, SlotState.REMOVING, null, null);
			}
			else {
				slot.removed();
				slot.failWaiters(new NoSuchWorkerException(slot.index, count));
				this.slots.remove(slot);
			}
		}
		for (int index = 0; index < count; index++) {
			Slot slot = this.slots.get(index);
			if (slot == null) {
				fork(this.slots.add(index), ForkCause.SCALE, null);
			}
			else if (slot.is(SlotState.EXITED) || slot.is(SlotState.SUSPENDED)) {
				slot.forgive();
				fork(slot, ForkCause.SCALE, null);
			}
			else if (slot.is(SlotState.REMOVING)) {
				// Was being removed by an earlier scale-down: replace it once it has exited.
				slot.stopping(SlotState.RESTARTING, ForkCause.SCALE, null);
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
			this.report.limitCleared(cause);
		}
		this.gaveUp = false;
		this.window.reset();
		for (Slot slot : this.slots.below(this.desired)) {
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
	private void terminate(Slot slot, SlotState next, @Nullable ForkCause cause, @Nullable String reason) {
		boolean signalled = SlotState.STOPPING_STATES.contains(slot.state());
		slot.stopping(next, cause, reason);
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
		this.report.killing(slot.index, process.pid());
		process.kill();
	}

	private void checkStopped() {
		if (this.slots.alive() > 0) {
			return;
		}
		this.phase = Phase.STOPPED;
		this.slots.all().forEach((slot) -> slot.failWaiters(notRunning()));
		this.report.stopped();
		CompletableFuture<Void> done = this.stopped;
		this.stopped = null;
		if (done != null) {
			this.supervisor.afterPublish(() -> done.complete(null));
		}
	}

	// ---- Resources --------------------------------------------------------------------

	/**
	 * Stores a round of samples on the slots, and recycles each worker that the last
	 * {@value #MEMORY_SAMPLES} samples in a row saw above {@code max-memory}. A sample of a process
	 * the slot no longer holds is dropped.
	 */
	private void sampled(List<ResourceSampler.Sample> samples) {
		Long maxMemory = this.options.maxMemory();
		for (ResourceSampler.Sample sample : samples) {
			Slot slot = this.slots.get(sample.index());
			if (slot == null || slot.id() != sample.id() || !slot.isAlive()) {
				continue;
			}
			int over = slot.sampled(sample.cpu(), sample.memory(), maxMemory != null && sample.memory() > maxMemory);
			if (over >= MEMORY_SAMPLES && recyclable(slot)) {
				recycle(slot, WorkerRecycled.Reason.MEMORY, sample.memory());
			}
		}
		this.report.sampled();
	}

	/**
	 * Schedules the recycle of a slot's new process after {@code max-lifetime} plus a random part
	 * of the jitter, if there is a max lifetime.
	 */
	private void scheduleRecycle(Slot slot, long id) {
		Duration lifetime = this.options.maxLifetime();
		Duration jitter = this.options.maxLifetimeJitter();
		if (lifetime == null || jitter == null) {
			return;
		}
		Duration after = lifetime.plusNanos(ThreadLocalRandom.current().nextLong(jitter.toNanos() + 1));
		slot.setRecycleTimer(this.supervisor.schedule(() -> {
			if (slot.id() == id && recyclable(slot)) {
				recycle(slot, WorkerRecycled.Reason.LIFETIME, null);
			}
		}, after));
	}

	/**
	 * Whether a slot's process may be recycled: it is alive and the pool has not asked it to stop.
	 */
	private boolean recyclable(Slot slot) {
		return this.phase == Phase.RUNNING && (slot.is(SlotState.STARTING) || slot.is(SlotState.RUNNING));
	}

	/**
	 * Recycles a slot's process, stop-first: SIGTERM, SIGKILL after the shutdown timeout, then a
	 * fork. Its exit is expected: not counted against the refork limit, not backed off. A process
	 * that was never ready failed to start, though: it is stopped as failing a check, and its exit
	 * is a young death (backed off, counted), so that a build that outgrows its limit while it
	 * starts cannot recycle in a tight loop.
	 */
	private void recycle(Slot slot, WorkerRecycled.Reason reason, @Nullable Long memory) {
		WorkerProcess process = slot.process();
		if (process == null) {
			return;
		}
		Duration lifetime = Duration.ofNanos(Math.max(0, System.nanoTime() - slot.startNanos()));
		boolean ready = slot.wasReady();
		if (ready) {
			terminate(slot, SlotState.RESTARTING, ForkCause.RECYCLE, reason.option());
		}
		else {
			terminate(slot, SlotState.FAILING, null, reason.option());
		}
		this.report.recycling(new WorkerRecycled(slot.snapshot(), process.pid(), reason, memory, lifetime, ready));
	}

	// ---- Snapshots --------------------------------------------------------------------

	private PoolSnapshot snapshot() {
		int ready = this.slots.ready();
		PoolStatus status = switch (this.phase) {
			case STOPPED -> PoolStatus.STOPPED;
			case STOPPING -> PoolStatus.STOPPING;
			case RUNNING -> PoolStatusRule.running(this.desired, ready, this.firstStart, this.gaveUp);
		};
		return new PoolSnapshot(status, this.desired, this.slots.alive(), ready, this.reforks,
				new PoolSnapshot.Limit(this.options.limit(), this.options.duration(), this.gaveUp), this.command,
				this.slots.snapshots());
	}

	static IllegalStateException notRunning() {
		return new IllegalStateException("The worker pool is not running");
	}

	private enum Phase {

		RUNNING, STOPPING, STOPPED

	}

}
