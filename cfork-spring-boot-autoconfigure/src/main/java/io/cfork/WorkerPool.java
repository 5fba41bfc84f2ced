package io.cfork;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

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

	private final @Nullable MasterSockets sockets;

	private final WorkerChecks checks;

	private final @Nullable LeftoverReaper reaper;

	private final @Nullable PoolWatchdog watchdog;

	/** Tells systemd about the master, when it runs as a {@code Type=notify} service. */
	private final @Nullable ServiceNotifier service;

	/** Samples the workers' CPU and memory; {@code null} where there is no {@code /proc}. */
	private final @Nullable ResourceSampler sampler;

	private Phase phase = Phase.RUNNING;

	private int desired;

	private long reforks;

	private boolean gaveUp;

	/** Until every worker of the first start was ready, or one of them failed first. */
	private boolean firstStart = true;

	private @Nullable CompletableFuture<Void> stopped;

	/** Why the start or scale under way stopped forking new slots: a limit on processes. */
	private @Nullable String shortOf;

	/** Which slot each live process belongs to: a slot's, or a replacement's. */
	private final Map<WorkerProcess, Slot> owners = new HashMap<>();

	private final Replacements replacements;

	private final Recycling recycling;

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
		// First: a port that cannot be bound fails the start before anything else is set up.
		this.sockets = options.listen().isEmpty() ? null : MasterSockets.bind(options.listen());
		this.published = notStarted(options);
		this.service = ServiceNotifier.fromEnvironment("cfork-sd-notify");
		this.supervisor = new Supervisor(threadName, this::taskDone);
		this.report = new PoolReporter(options, this.supervisor, listeners, () -> this.published, "cfork-log");
		this.checks = new WorkerChecks(options, this, this.report, "cfork-probes", "cfork-notify");
		WorkerLauncher launcher = null;
		try {
			launcher = Launchers.create(options, this.checks.output(), poolId, this.sockets);
			// Before anything is forked, the watchdog included.
			requireRoom(options.count(), options.count(), 0, launcher);
			this.launcher = launcher;
		}
		catch (RuntimeException ex) {
			if (launcher != null) {
				launcher.close();
			}
			this.checks.close();
			this.report.close();
			this.supervisor.shutdown();
			if (this.sockets != null) {
				this.sockets.close();
			}
			throw ex;
		}
		boolean procFs = ProcFs.isAvailable();
		this.reaper = (procFs && this.launcher.ownSession()) ? new LeftoverReaper(poolId) : null;
		this.watchdog = procFs ? PoolWatchdog.start(poolId) : null;
		this.replacements = new Replacements(this, options, clock, this.slots, this.supervisor, this.report);
		this.recycling = new Recycling(this, options, this.slots, this.supervisor, this.report, this.replacements);
		this.sampler = procFs ? new ResourceSampler(options.resourceInterval(), () -> this.published,
				(samples) -> execute(() -> this.recycling.sampled(samples)), "cfork-resources") : null;
	}

	/**
	 * The snapshot of a pool that is not running.
	 */
	static PoolSnapshot notStarted(PoolOptions options) {
		return new PoolSnapshot(PoolStatus.STOPPED, options.count(), 0, 0, 0,
				new PoolSnapshot.Limit(options.limit(), options.duration(), false), options.command().commandLine(),
				List.of(), null);
	}

	/**
	 * Refuses, naming the limit, a number of new workers that cannot fit the limits on processes
	 * with room left for the master's own threads.
	 * @throws InvalidPoolOptionException naming {@code count}
	 */
	private static void requireRoom(int count, int adding, int alive, WorkerLauncher launcher) {
		ProcessLimits.Refusal refusal = ProcessLimits.check(adding, launcher.pidsPerWorker(), launcher.name(),
				(long) alive * (launcher.pidsPerWorker() - 1));
		if (refusal != null) {
			throw new InvalidPoolOptionException("count", count, refusal.problem(),
					"Set {count} to at most " + refusal.fits() + ", or raise " + refusal.limit().name()
							+ " (" + refusal.limit().where() + ").");
		}
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

	/**
	 * Runs a task on the supervisor thread after a delay.
	 * @return the scheduled task, or {@code null} once the pool is closed
	 */
	@Nullable ScheduledFuture<?> schedule(Runnable task, Duration delay) {
		return this.supervisor.schedule(task, delay);
	}

	// ---- Start and stop ---------------------------------------------------------------

	void begin(CompletableFuture<Void> started) {
		this.report.starting(this.desired);
		for (int index = 0; index < this.desired; index++) {
			Slot slot = this.slots.add(index);
			// One task per fork: exits of early workers are handled between forks.
			execute(() -> {
				if (this.shortOf != null && slot.is(SlotState.NEW)) {
					// The master ran into a limit on processes: what is left is not forked.
					slot.removed();
					this.slots.remove(slot);
				}
				else if (slot.is(SlotState.NEW)) {
					fork(slot, ForkCause.START, null);
				}
			});
		}
		execute(() -> {
			if (this.shortOf != null) {
				stopShort(this.desired, this.shortOf);
			}
			started.complete(null);
		});
	}

	void beginStop(CompletableFuture<Void> done) {
		if (this.phase != Phase.RUNNING) {
			done.complete(null);
			return;
		}
		this.phase = Phase.STOPPING;
		this.stopped = done;
		if (this.service != null) {
			this.service.stopping();
		}
		this.report.stopping(this.slots.alive());
		this.replacements.abandon();
		for (Slot slot : this.slots.all()) {
			Slot next = slot.next();
			if (next != null && next.isAlive()) {
				terminate(next, SlotState.STOPPING, null, null);
			}
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
		this.checks.close();
		this.launcher.close();
		if (this.reaper != null) {
			this.reaper.close();
		}
		if (this.watchdog != null) {
			this.watchdog.close();
		}
		if (this.sockets != null) {
			this.sockets.close();
		}
		this.report.close();
	}

	/**
	 * After each supervisor task: publishes the pool's snapshot, then hands the task's log lines on.
	 */
	private void taskDone() {
		this.published = snapshot();
		if (this.service != null) {
			this.service.published(this.published);
		}
		this.report.taskDone();
	}

	// ---- Forks and exits --------------------------------------------------------------

	/**
	 * Forks a worker in the slot.
	 * @param latencyFrom for a refork, when its latency is measured from (nano ticks)
	 */
	void fork(Slot slot, ForkCause cause, @Nullable Long latencyFrom) {
		Slot primary = slot.primary();
		boolean replacement = primary != null && this.slots.holds(primary) && primary.next() == slot;
		if (this.phase != Phase.RUNNING || !(this.slots.holds(slot) || replacement)) {
			return;
		}
		long id = this.ids.incrementAndGet();
		if (cause == ForkCause.REFORK) {
			// Counted when it happens: a refork still in its backoff when the limit is reached never does.
			this.reforks++;
		}
		WorkerProcess process;
		try {
			process = launch(slot.index, id);
		}
		catch (Exception ex) {
			String error = String.valueOf(this.report.mask(ex.getMessage()));
			if (ex instanceof ProcessLimitException && primary == null && slot.is(SlotState.NEW)
					&& (cause == ForkCause.START || cause == ForkCause.SCALE) && this.slots.alive() > 0) {
				// Forking on would fail the same way and take the master's last threads: stop here.
				this.shortOf = "worker " + slot.index + " could not be started: " + error;
				slot.removed();
				this.slots.remove(slot);
				return;
			}
			this.report.launchFailed(slot.index, error);
			if (primary != null) {
				primary.clearNext();
				primary.replacementEnded("the replacement could not be started: " + error);
				return;
			}
			launchFailed(slot, id, error);
			this.supervisor.afterPublish(slot.takeWaiters());
			return;
		}
		long now = System.nanoTime();
		slot.setGeneration(this.replacements.generation());
		slot.started(id, process, now, this.clock.instant());
		this.owners.put(process, slot);
		this.recycling.scheduleRecycle(slot, id);
		Duration minUptime = this.options.minUptime();
		boolean readyNow = this.options.readiness().type() == ReadinessCheck.Type.NONE && minUptime.isZero();
		if (this.options.readiness().type() != ReadinessCheck.Type.NONE) {
			this.checks.forked(slot, process, id);
		}
		else if (!readyNow) {
			slot.setTimer(this.supervisor.schedule(() -> ready(slot, id), minUptime));
		}
		process.onExit((code) -> {
			long seen = System.nanoTime();
			execute(() -> processExited(process, code, seen));
		});
		Duration latency = (latencyFrom != null) ? Duration.ofNanos(Math.max(0, now - latencyFrom)) : null;
		this.report.forked(process.pid(), new WorkerForked(slot.snapshot(), cause, latency));
		if (readyNow) {
			ready(slot, id);
		}
		// Completed once the snapshot is published and listeners have heard of the fork.
		this.supervisor.afterPublish(slot.takeWaiters());
	}

	/**
	 * Launches a worker with the channels its checks need.
	 */
	private WorkerProcess launch(int index, long id) throws IOException {
		WorkerMessages.Channel channel = this.checks.open(index, id);
		boolean spawned = false;
		try {
			WorkerProcess process = this.launcher.launch(index, id, this.desired, channel);
			spawned = true;
			return process;
		}
		finally {
			this.checks.spawned(id, spawned);
		}
	}

	/**
	 * The worker forked as {@code id} is ready, if it still runs in the slot and was not yet.
	 */
	void ready(Slot slot, long id) {
		WorkerProcess process = slot.process();
		if (slot.id() != id || !slot.is(SlotState.STARTING) || process == null) {
			return;
		}
		slot.ready(this.clock.instant());
		Duration readyTime = Duration.ofNanos(Math.max(0, System.nanoTime() - slot.startNanos()));
		Slot primary = slot.primary();
		if (primary != null) {
			this.replacements.takeOver(primary, slot, process, id, readyTime);
			return;
		}
		this.checks.ready(slot, process, id);
		this.report.ready(process.pid(), new WorkerReady(slot.snapshot(), readyTime));
		if (slot.isBeingReplaced() && slot.next() == null) {
			// Stop-first: the replacement is ready, the worker it replaced is gone.
			slot.replacementEnded(null);
		}
		checkStarted();
	}

	/**
	 * A replacement took over from {@code old}: the slot owns its process now, whose liveness
	 * check and lifetime start.
	 */
	void tookOver(WorkerProcess old, WorkerProcess process, Slot slot, long id) {
		this.owners.remove(old);
		this.owners.put(process, slot);
		this.checks.ready(slot, process, id);
		// The slot's lifetime timer went with its old process: the new one gets its own.
		this.recycling.scheduleRecycle(slot, id);
	}

	/**
	 * Forgets a process that exited: what it left is reaped, its ready line no longer awaited.
	 */
	void forget(WorkerProcess process, long id, long seen) {
		if (this.reaper != null) {
			this.reaper.reap(process.pid(), id, seen);
		}
		this.checks.exited(process.pid(), id);
	}

	/**
	 * An exit was handled: if the pool is stopping, it may be stopped now.
	 */
	void exitHandled() {
		if (this.phase == Phase.STOPPING) {
			checkStopped();
		}
	}

	boolean isRunning() {
		return this.phase == Phase.RUNNING;
	}

	int desired() {
		return this.desired;
	}

	/**
	 * Starts a rolling reload: see {@link Replacements}.
	 */
	void reload(CompletableFuture<PoolSnapshot> started, CompletableFuture<ReloadSnapshot> result) {
		this.replacements.reload(started, result);
	}

	/**
	 * A worker printed its ready line.
	 */
	void readyLine(int index, long pid) {
		Slot slot = this.slots.get(index);
		for (Slot candidate : (slot != null) ? java.util.Arrays.asList(slot, slot.next()) : List.<Slot>of()) {
			WorkerProcess process = (candidate != null) ? candidate.process() : null;
			if (candidate != null && process != null && process.pid() == pid) {
				ready(candidate, candidate.id());
			}
		}
	}

	/**
	 * A worker told the master something itself (sd_notify, Node's IPC): applies it to the slot (or
	 * replacement) that runs the fork {@code id}, if one still does.
	 */
	void notified(int index, long id, Consumer<Slot> change) {
		Slot slot = this.slots.get(index);
		for (Slot candidate : (slot != null) ? java.util.Arrays.asList(slot, slot.next()) : List.<Slot>of()) {
			if (candidate != null && candidate.process() != null && candidate.id() == id) {
				change.accept(candidate);
				return;
			}
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

	/**
	 * A process exited: it was a slot's, a replacement's, or one a replacement took over from.
	 */
	private void processExited(WorkerProcess process, int code, long seen) {
		Slot owner = this.owners.remove(process);
		if (owner != null && owner.process() == process) {
			Slot primary = owner.primary();
			if (primary != null) {
				this.replacements.replacementExited(primary, owner, process, code, seen);
			}
			else {
				exited(owner, process, code, seen);
			}
			return;
		}
		this.replacements.exited(process, code, seen);
	}

	private void exited(Slot slot, WorkerProcess process, int code, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - slot.startNanos()));
		forget(process, slot.id(), seen);
		boolean young = !slot.wasReady();
		ExitOutcome outcome = decide(slot, false, code, seen);
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), outcome.unexpected(), this.clock.instant(),
				null, this.report.mask(slot.stopReason()));
		boolean replacing = slot.is(SlotState.RESTARTING);
		slot.exited(exit, outcome.next(), outcome.youngDeaths());
		// A worker that died young most often says why on stderr: quote what was read by now.
		String lastError = (outcome.unexpected() && young) ? process.lastErrorLine() : null;
		Slot next = slot.next();
		if (next != null && next.isAlive()) {
			// A start-first replacement has nothing left to replace.
			terminate(next, SlotState.STOPPING, null, null);
		}
		else if (slot.isBeingReplaced() && !replacing) {
			// Stop-first: the replacement died before it was ready.
			slot.replacementEnded("worker " + slot.index + "'s replacement exited with " + exit.describe()
					+ ((lastError != null) ? ": " + lastError : ""));
		}
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
				if (outcome.delay().isZero() && pid != null) {
					// A worker that was ready is reforked in this task, not after a trip through the
					// timer queue. Not a launch that failed: that would retry in a loop on this stack.
					fork(slot, ForkCause.REFORK, latencyFrom);
				}
				else {
					slot.setTimer(this.supervisor.schedule(() -> {
						if (slot.is(SlotState.BACKOFF)) {
							fork(slot, ForkCause.REFORK, latencyFrom);
						}
					}, outcome.delay()));
				}
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

	/**
	 * Restarts a slot: replaces its worker, with the pool's strategy.
	 * @param started completed with the slot once the replacement is under way (its {@code next}
	 * shown), or exceptionally at once if refused
	 * @param result completed with the slot once replaced
	 */
	void restart(int index, CompletableFuture<WorkerSnapshot> started, CompletableFuture<WorkerSnapshot> result) {
		result.whenComplete((worker, ex) -> {
			if (ex != null) {
				started.completeExceptionally(ex);
			}
		});
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		Slot slot = this.slots.get(index);
		if (slot == null || index >= this.desired) {
			result.completeExceptionally(new NoSuchWorkerException(index, this.desired));
			return;
		}
		if (slot.isBeingReplaced()) {
			result.completeExceptionally(new ReloadInProgressException("Worker " + index + " is being replaced already",
					this.replacements.reloadSnapshot()));
			return;
		}
		this.report.restarting(index);
		slot.forgive();
		this.supervisor.afterPublish(() -> started.complete(slot.snapshot()));
		if (slot.is(SlotState.RUNNING) || slot.is(SlotState.STARTING)) {
			this.replacements.replace(slot, ForkCause.RESTART, "restart", (failure) -> {
				if (failure == null) {
					this.supervisor.afterPublish(() -> result.complete(slot.snapshot()));
				}
				else {
					result.completeExceptionally(new IllegalStateException("Restart failed: " + failure));
				}
			});
		}
		else {
			slot.addWaiter(result);
			fork(slot, ForkCause.RESTART, null);
		}
		resume(ForkCause.RESTART);
	}

	void scale(int count, CompletableFuture<PoolSnapshot> result) {
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		try {
			this.replacements.requireNoReload("A scale");
		}
		catch (ReloadInProgressException refused) {
			result.completeExceptionally(refused);
			return;
		}
		try {
			requireRoom(count, count - this.slots.alive(), this.slots.alive(), this.launcher);
		}
		catch (InvalidPoolOptionException refused) {
			result.completeExceptionally(refused);
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
		for (int index = 0; index < count && this.shortOf == null; index++) {
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
		String shortOf = this.shortOf;
		if (shortOf != null) {
			ScaleIncompleteException incomplete = stopShort(count, shortOf);
			resume(ForkCause.SCALE);
			this.supervisor.afterPublish(() -> result.completeExceptionally(incomplete));
			return;
		}
		resume(ForkCause.SCALE);
		this.supervisor.afterPublish(() -> result.complete(this.published));
	}

	/**
	 * A start or scale stopped part-way at a limit on processes: the pool keeps the slots it forked,
	 * less as many as the master needs to get room back for its own threads (the JVM needs one to
	 * handle SIGTERM), and its desired count becomes theirs.
	 * @param requested the count asked for
	 * @param why the launch failure that stopped it
	 * @return what the caller is told
	 */
	private ScaleIncompleteException stopShort(int requested, String why) {
		this.shortOf = null;
		int forked = this.slots.below(requested).size();
		ProcessLimits.Limit limit = ProcessLimits.tightest(ProcessLimits.read());
		long headroom = ProcessLimits.headroom(ProcessLimits.masterThreads()
				- (long) this.slots.alive() * (this.launcher.pidsPerWorker() - 1));
		// Only a worker's process is sure to be freed at once (the JDK keeps an idle reaper thread).
		int released = (limit != null && limit.free() < headroom)
				? (int) Math.min(forked - 1, headroom - limit.free()) : 0;
		this.desired = forked - released;
		for (Slot slot : this.slots.from(this.desired)) {
			if (slot.isAlive()) {
				terminate(slot, SlotState.REMOVING, null, null);
			}
		}
		String message = "Forked " + forked + " of " + requested + " workers, then " + why + "; the pool keeps "
				+ this.desired + " (desired is now " + this.desired + ")"
				+ ((released > 0) ? ", " + released + " stopped again to leave the master room for its own threads ("
						+ limit.describe() + ")" : "")
				+ ((limit != null && released == 0) ? " (" + limit.describe() + ")" : "");
		this.report.stoppedShort(message);
		return new ScaleIncompleteException(message, requested, this.desired);
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
	void terminate(Slot slot, SlotState next, @Nullable ForkCause cause, @Nullable String reason) {
		boolean signalled = SlotState.STOPPING_STATES.contains(slot.state());
		slot.stopping(next, cause, reason);
		WorkerProcess process = slot.process();
		if (signalled || process == null) {
			return;
		}
		slot.cancelTimers();
		sigterm(slot, slot.id());
	}

	/**
	 * SIGTERM to a slot's process, SIGKILL after the shutdown timeout.
	 */
	void sigterm(Slot slot, long id) {
		WorkerProcess process = slot.process();
		if (slot.id() != id || process == null) {
			return;
		}
		process.terminate();
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
		if (this.slots.alive() > 0 || this.replacements.stopping()
				|| this.slots.all().stream().anyMatch((slot) -> slot.next() != null && slot.next().isAlive())) {
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
				this.slots.snapshots(), this.replacements.reloadSnapshot());
	}

	static IllegalStateException notRunning() {
		return new IllegalStateException("The worker pool is not running");
	}

	private enum Phase {

		RUNNING, STOPPING, STOPPED

	}

}
