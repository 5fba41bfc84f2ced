package io.cfork;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
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

	/** How long a Java worker has to print its thread dump (SIGQUIT) before it gets SIGTERM. */
	private static final Duration THREAD_DUMP_TIME = Duration.ofMillis(500);
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

	private final @Nullable MasterSockets sockets;

	private final WorkerChecks checks;

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

	/** Which slot each live process belongs to: a slot's, or a replacement's. */
	private final Map<WorkerProcess, Slot> owners = new HashMap<>();

	/** Processes a start-first replacement took over from, stopping: the slot they served. */
	private final Map<WorkerProcess, Replaced> replaced = new HashMap<>();

	/** The workers' generation new forks get: raised by each reload. */
	private long generation;

	private @Nullable Rollout rollout;

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
		this.checks = new WorkerChecks(options, this, "cfork-probes");
		try {
			this.launcher = Launchers.create(options, this.checks.output(), poolId, this.sockets);
		}
		catch (RuntimeException ex) {
			this.checks.close();
			if (this.sockets != null) {
				this.sockets.close();
			}
			throw ex;
		}
		boolean procFs = ProcFs.isAvailable();
		this.reaper = (procFs && this.launcher.ownSession()) ? new LeftoverReaper(poolId) : null;
		this.watchdog = procFs ? PoolWatchdog.start(poolId) : null;
		this.published = notStarted(options);
		this.supervisor = new Supervisor(threadName, () -> this.published = snapshot());
		this.report = new PoolReporter(options, this.supervisor, listeners, () -> this.published, "cfork-log");
		this.sampler = procFs ? new ResourceSampler(options.resourceInterval(), () -> this.published,
				(samples) -> execute(() -> sampled(samples)), "cfork-resources") : null;
	}

	/**
	 * The snapshot of a pool that is not running.
	 */
	static PoolSnapshot notStarted(PoolOptions options) {
		return new PoolSnapshot(PoolStatus.STOPPED, options.count(), 0, 0, 0,
				new PoolSnapshot.Limit(options.limit(), options.duration(), false), options.command().commandLine(),
				List.of(), null);
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
		if (this.rollout != null && this.rollout.abandoned(this.clock.instant())) {
			finishRollout(this.rollout);
		}
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

	// ---- Forks and exits --------------------------------------------------------------

	/**
	 * Forks a worker in the slot.
	 * @param latencyFrom for a refork, when its latency is measured from (nano ticks)
	 */
	private void fork(Slot slot, ForkCause cause, @Nullable Long latencyFrom) {
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
			process = this.launcher.launch(slot.index, id, this.desired);
		}
		catch (Exception ex) {
			this.report.launchFailed(slot.index, ex.getMessage());
			if (primary != null) {
				primary.clearNext();
				primary.replacementEnded("the replacement could not be started: " + ex.getMessage());
				return;
			}
			launchFailed(slot, id, String.valueOf(ex.getMessage()));
			this.supervisor.afterPublish(slot.takeWaiters());
			return;
		}
		long now = System.nanoTime();
		slot.setGeneration(this.generation);
		slot.started(id, process, now, this.clock.instant());
		this.owners.put(process, slot);
		scheduleRecycle(slot, id);
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
			takeOver(primary, slot, process, id, readyTime);
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
	 * A start-first replacement is ready: the slot takes its process over, and the process it had
	 * is stopped gracefully; the replacement ends once that one has exited.
	 */
	private void takeOver(Slot primary, Slot replacement, WorkerProcess process, long id, Duration readyTime) {
		WorkerProcess old = primary.process();
		if (old == null || !(primary.is(SlotState.RUNNING) || primary.is(SlotState.STARTING))) {
			// The worker it was to replace is stopping already: the replacement is not needed.
			terminate(replacement, SlotState.STOPPING, null, null);
			return;
		}
		Replaced retired = new Replaced(primary, primary.id(), primary.startNanos(), primary.replacementReason());
		primary.adopt(replacement);
		this.owners.remove(old);
		this.owners.put(process, primary);
		this.checks.ready(primary, process, id);
		this.report.ready(process.pid(), new WorkerReady(primary.snapshot(), readyTime));
		this.report.replaced(primary.index, old.pid(), process.pid(), primary.generation());
		this.replaced.put(old, retired);
		old.terminate();
		retired.killTimer = this.supervisor.schedule(() -> {
			if (this.replaced.containsKey(old)) {
				this.report.killing(primary.index, old.pid());
				old.kill();
			}
		}, this.options.shutdownTimeout());
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
	 * One liveness check of the worker forked as {@code id} passed ({@code null}) or failed.
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
	 * unexpected; a Java worker first gets SIGQUIT, for its thread dump.
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
			slot.setKillTimer(this.supervisor.schedule(() -> sigterm(slot, id), THREAD_DUMP_TIME));
		}
		else {
			terminate(slot, SlotState.FAILING, null, reason);
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
				replacementExited(primary, owner, process, code, seen);
			}
			else {
				exited(owner, process, code, seen);
			}
			return;
		}
		Replaced retired = this.replaced.remove(process);
		if (retired != null) {
			replacedExited(retired, process, code, seen);
		}
	}

	private void exited(Slot slot, WorkerProcess process, int code, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - slot.startNanos()));
		if (this.reaper != null) {
			this.reaper.reap(process.pid(), slot.id(), seen);
		}
		this.checks.exited(process.pid());
		boolean young = !slot.wasReady();
		ExitOutcome outcome = decide(slot, false, code, seen);
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), outcome.unexpected(), this.clock.instant(),
				null, slot.stopReason());
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

	/**
	 * A start-first replacement exited before it was taken over: the replacement failed, and the
	 * slot keeps its worker.
	 */
	private void replacementExited(Slot primary, Slot replacement, WorkerProcess process, int code, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - replacement.startNanos()));
		if (this.reaper != null) {
			this.reaper.reap(process.pid(), replacement.id(), seen);
		}
		this.checks.exited(process.pid());
		boolean asked = replacement.is(SlotState.STOPPING);
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), !asked, this.clock.instant(), null,
				replacement.stopReason());
		String error = asked ? null : process.lastErrorLine();
		replacement.exited(exit, SlotState.EXITED, 0);
		primary.clearNext();
		String failure = "worker " + primary.index + "'s replacement exited with " + exit.describe()
				+ ((error != null) ? ": " + ControlCharacters.escape(error) : "");
		this.report.exited(new WorkerExited(replacement.snapshot(), replacement.id(), process.pid(), exit, lifetime,
				false), ExitOutcome.expected(SlotState.EXITED, null, asked ? "stopped"
						: "replacement failed; worker " + primary.index + " keeps its worker"), asked ? null : error);
		primary.replacementEnded(failure);
		if (this.phase == Phase.STOPPING) {
			checkStopped();
		}
	}

	/**
	 * The process a start-first replacement took over from exited: the replacement is done.
	 */
	private void replacedExited(Replaced retired, WorkerProcess process, int code, long seen) {
		if (retired.killTimer != null) {
			retired.killTimer.cancel(false);
		}
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - retired.startNanos));
		if (this.reaper != null) {
			this.reaper.reap(process.pid(), retired.id, seen);
		}
		this.checks.exited(process.pid());
		Slot slot = retired.slot;
		WorkerExit exit = new WorkerExit(code, Signals.fromExitCode(code), false, this.clock.instant(), null,
				retired.reason);
		slot.replacedExited(exit);
		this.report.exited(new WorkerExited(slot.snapshot(), retired.id, process.pid(), exit, lifetime, false),
				ExitOutcome.expected(SlotState.RUNNING, null, "replaced by pid " + slot.snapshot().pid()), null);
		slot.replacementEnded(null);
		if (this.phase == Phase.STOPPING) {
			checkStopped();
		}
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
					(this.rollout != null) ? this.rollout.snapshot() : null));
			return;
		}
		this.report.restarting(index);
		slot.forgive();
		this.supervisor.afterPublish(() -> started.complete(slot.snapshot()));
		if (slot.is(SlotState.RUNNING) || slot.is(SlotState.STARTING)) {
			replace(slot, ForkCause.RESTART, "restart", (failure) -> {
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

	/**
	 * Replaces a slot's worker with the pool's strategy: start-first, a replacement beside it that
	 * takes over once ready; stop-first, the worker stopped and forked again.
	 * @param done told {@code null} once the slot was replaced, else why the replacement failed
	 */
	private void replace(Slot slot, ForkCause cause, String reason,
			java.util.function.Consumer<@Nullable String> done) {
		slot.awaitReplacement(reason, done);
		if (this.options.reloadStrategy() == ReloadStrategy.START_FIRST) {
			fork(slot.startReplacement(), cause, null);
		}
		else {
			terminate(slot, SlotState.RESTARTING, cause, reason);
		}
	}

	/**
	 * Starts a rolling reload: each slot, a batch at a time, replaced by a worker of the next
	 * generation, running the files on disk now.
	 */
	void reload(CompletableFuture<PoolSnapshot> started, CompletableFuture<ReloadSnapshot> result) {
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			started.completeExceptionally(notRunning());
			return;
		}
		if (this.rollout != null && this.rollout.inProgress()) {
			ReloadInProgressException refused = new ReloadInProgressException("A reload is in progress",
					this.rollout.snapshot());
			result.completeExceptionally(refused);
			started.completeExceptionally(refused);
			return;
		}
		this.supervisor.afterPublish(() -> started.complete(this.published));
		this.generation++;
		List<Integer> indexes = this.slots.below(this.desired).stream().map((slot) -> slot.index).toList();
		Rollout rollout = new Rollout(this.generation, indexes, this.options.reloadBatchSize(), this.clock.instant(),
				result);
		this.rollout = rollout;
		this.report.reloadStarted(rollout.snapshot());
		advance(rollout);
	}

	private void advance(Rollout rollout) {
		Integer index;
		while ((index = rollout.next()) != null) {
			Slot slot = this.slots.get(index);
			if (slot == null || slot.isBeingReplaced() || !(slot.is(SlotState.RUNNING) || slot.is(SlotState.STARTING))) {
				// No worker to replace: the slot's next fork runs the new files anyway.
				if (rollout.ended(null, this.clock.instant())) {
					finishRollout(rollout);
				}
				continue;
			}
			replace(slot, ForkCause.RELOAD, "reload", (failure) -> {
				if (rollout.ended(failure, this.clock.instant())) {
					finishRollout(rollout);
				}
				else {
					advance(rollout);
				}
			});
		}
	}

	private void finishRollout(Rollout rollout) {
		ReloadSnapshot outcome = rollout.snapshot();
		this.report.reloadFinished(outcome);
		this.supervisor.afterPublish(() -> rollout.result().complete(outcome));
	}

	void scale(int count, CompletableFuture<PoolSnapshot> result) {
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		if (this.rollout != null && this.rollout.inProgress()) {
			result.completeExceptionally(
					new ReloadInProgressException("A reload is in progress", this.rollout.snapshot()));
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
		sigterm(slot, slot.id());
	}

	/**
	 * SIGTERM to a slot's process, SIGKILL after the shutdown timeout.
	 */
	private void sigterm(Slot slot, long id) {
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
		if (this.slots.alive() > 0 || !this.replaced.isEmpty()
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
		return this.phase == Phase.RUNNING && (slot.is(SlotState.STARTING) || slot.is(SlotState.RUNNING))
				&& !slot.isBeingReplaced();
	}

	/**
	 * Recycles a slot's process. Past {@code max-memory}, stop-first (SIGTERM, SIGKILL after the
	 * shutdown timeout, then a fork): the machine may not hold a second copy of a worker that is
	 * already too big. Past {@code max-lifetime}, through the replacement path with the pool's
	 * strategy (start-first by default: the replacement takes over once ready). Not a crash: not
	 * counted against the refork limit, not backed off. A process that was never ready failed to
	 * start, though: it is stopped as failing a check, and its exit is a young death (backed off,
	 * counted), so that a build that outgrows its limit while it starts cannot recycle in a tight
	 * loop.
	 */
	private void recycle(Slot slot, WorkerRecycled.Reason reason, @Nullable Long memory) {
		WorkerProcess process = slot.process();
		if (process == null) {
			return;
		}
		Duration lifetime = Duration.ofNanos(Math.max(0, System.nanoTime() - slot.startNanos()));
		boolean ready = slot.wasReady();
		if (ready && reason == WorkerRecycled.Reason.LIFETIME) {
			replace(slot, ForkCause.RECYCLE, reason.option(), (failure) -> {
				if (failure != null && recyclable(slot)) {
					// The replacement failed and the worker serves on: try again after another lifetime.
					scheduleRecycle(slot, slot.id());
				}
			});
		}
		else if (ready) {
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
				this.slots.snapshots(), (this.rollout != null) ? this.rollout.snapshot() : null);
	}

	static IllegalStateException notRunning() {
		return new IllegalStateException("The worker pool is not running");
	}

	/**
	 * A process a start-first replacement took over from: the slot it served, while it stops.
	 */
	private static final class Replaced {

		final Slot slot;

		final long id;

		final long startNanos;

		final @Nullable String reason;

		@Nullable ScheduledFuture<?> killTimer;

		Replaced(Slot slot, long id, long startNanos, @Nullable String reason) {
			this.slot = slot;
			this.id = id;
			this.startNanos = startNanos;
			this.reason = reason;
		}

	}

	private enum Phase {

		RUNNING, STOPPING, STOPPED

	}

}
