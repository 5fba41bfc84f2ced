package io.cfork;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool of worker processes: forks {@link PoolOptions#count() count} workers, keeps that many
 * alive by reforking each one that exits unexpectedly (within a refork limit and a backoff), and
 * stops them all on {@link #stop()}.
 * <p>
 * All of the pool's state lives on one supervisor thread: process exits, timers and operator
 * commands ({@link #restart(int)}, {@link #scale(int)}) are tasks on it, so none of them race. The
 * same thread forks every worker, which the Linux parent-death signal requires (it fires when the
 * forking thread ends). Other threads read {@link #snapshot()}, an immutable picture published
 * after each task.
 * <pre class="code">
 * WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("node", List.of("worker.js")))
 *     .count(4)
 *     .build());
 * pool.start();
 * ...
 * pool.stop(); // SIGTERM, SIGKILL after the shutdown timeout; returns once every worker is reaped
 * </pre>
 */
public final class WorkerPoolManager implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(WorkerPoolManager.class);

	private static final long NO_LATENCY = Long.MIN_VALUE;

	private static final String SUPERVISOR_THREAD = "cfork-supervisor";

	private final PoolOptions options;

	private final Clock clock;

	private final List<String> command;

	private final long minUptimeNanos;

	private final List<WorkerPoolListener> listeners = new CopyOnWriteArrayList<>();

	private final Object lifecycleMonitor = new Object();

	private volatile @Nullable ScheduledThreadPoolExecutor supervisor;

	private volatile @Nullable SessionReaper sessionReaper;

	private volatile @Nullable Thread supervisorThread;

	private volatile PoolSnapshot snapshot;

	// Everything below is confined to the supervisor thread.

	private final TreeMap<Integer, Slot> slots = new TreeMap<>();

	private final List<Runnable> afterPublish = new ArrayList<>();

	private final ProcessLauncher launcher;

	private final ReforkWindow window;

	private Phase phase = Phase.STOPPED;

	private int desired;

	private long nextId;

	private long reforks;

	private boolean gaveUp;

	private boolean startingUp;

	private @Nullable CompletableFuture<Void> stopped;

	/**
	 * Creates a pool; nothing is forked before {@link #start()}.
	 * @param options how to run the workers
	 */
	public WorkerPoolManager(PoolOptions options) {
		this(options, Clock.systemUTC());
	}

	WorkerPoolManager(PoolOptions options, Clock clock) {
		this.options = Objects.requireNonNull(options, "options");
		this.clock = clock;
		this.command = options.command().commandLine();
		this.minUptimeNanos = options.minUptime().toNanos();
		this.launcher = new ProcessLauncher(options);
		this.window = new ReforkWindow(options.limit(), options.duration().toNanos());
		this.desired = options.count();
		this.snapshot = buildSnapshot();
	}

	/**
	 * The options the pool runs with.
	 * @return the options
	 */
	public PoolOptions getOptions() {
		return this.options;
	}

	/**
	 * Adds a listener; it sees what happens from now on.
	 * @param listener the listener
	 */
	public void addListener(WorkerPoolListener listener) {
		this.listeners.add(Objects.requireNonNull(listener, "listener"));
	}

	/**
	 * Removes a listener.
	 * @param listener the listener
	 */
	public void removeListener(WorkerPoolListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * The pool as of its latest change. Immutable; cheap to call from any thread.
	 * @return the snapshot
	 */
	public PoolSnapshot snapshot() {
		return this.snapshot;
	}

	/**
	 * Whether the pool was started and not yet stopped.
	 * @return whether the pool is running
	 */
	public boolean isRunning() {
		return this.supervisor != null;
	}

	/**
	 * Forks the workers and returns once each has been forked (or has failed to launch). Does
	 * nothing if the pool is running.
	 */
	public void start() {
		synchronized (this.lifecycleMonitor) {
			if (this.supervisor != null) {
				return;
			}
			ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (task) -> {
				// Not a daemon: like a server's threads, the pool keeps the master's JVM alive.
				Thread thread = new Thread(task, SUPERVISOR_THREAD);
				thread.setDaemon(false);
				this.supervisorThread = thread;
				return thread;
			});
			executor.setRemoveOnCancelPolicy(true);
			executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
			this.supervisor = executor;
			this.sessionReaper = this.launcher.ownSession() ? new SessionReaper() : null;
			CompletableFuture<Void> started = new CompletableFuture<>();
			execute(() -> begin(started));
			await(started, null);
		}
	}

	/**
	 * Stops the pool: SIGTERM to every worker at once, SIGKILL to those still alive after the
	 * shutdown timeout. Returns once every worker has been reaped. Does nothing if the pool is not
	 * running.
	 */
	public void stop() {
		synchronized (this.lifecycleMonitor) {
			ScheduledThreadPoolExecutor executor = this.supervisor;
			if (executor == null) {
				return;
			}
			if (Thread.currentThread() == this.supervisorThread) {
				throw new IllegalStateException("The pool cannot be stopped from its own supervisor thread");
			}
			CompletableFuture<Void> done = new CompletableFuture<>();
			execute(() -> beginStop(done));
			// SIGKILL cannot be ignored, so every worker is gone soon after the timeout.
			await(done, this.options.shutdownTimeout().plusSeconds(30));
			executor.shutdownNow();
			try {
				executor.awaitTermination(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			SessionReaper reaper = this.sessionReaper;
			if (reaper != null) {
				reaper.close();
			}
			this.sessionReaper = null;
			this.supervisor = null;
		}
	}

	/**
	 * Same as {@link #stop()}.
	 */
	@Override
	public void close() {
		stop();
	}

	/**
	 * Restarts one worker gracefully: SIGTERM, SIGKILL after the shutdown timeout, then a new
	 * fork in the same slot. A restart is not a refork: it does not count against the refork limit,
	 * and it clears a reached limit (slots left without a worker by it are forked again).
	 * @param index the slot index
	 * @return completes with the slot once the new worker is forked; fails with
	 * {@link NoSuchWorkerException} for an unknown index
	 */
	public CompletableFuture<WorkerSnapshot> restart(int index) {
		CompletableFuture<WorkerSnapshot> result = new CompletableFuture<>();
		if (!execute(() -> restartNow(index, result))) {
			result.completeExceptionally(notRunning());
		}
		return result;
	}

	/**
	 * Scales the pool: forks new slots, or stops the highest slots gracefully (their exits are
	 * expected, never reforked). Also clears a reached refork limit, and forks again any slot left
	 * without a worker.
	 * @param count the number of workers to keep, at least 1
	 * @return completes with the pool once the change is under way
	 * @throws InvalidPoolOptionException if {@code count} is less than 1
	 */
	public CompletableFuture<PoolSnapshot> scale(int count) {
		if (count < 1) {
			throw new InvalidPoolOptionException("count", count, "must be at least 1", "Scale %s to 1 or more.");
		}
		CompletableFuture<PoolSnapshot> result = new CompletableFuture<>();
		if (!execute(() -> scaleNow(count, result))) {
			result.completeExceptionally(notRunning());
		}
		return result;
	}

	// ---- Supervisor tasks -------------------------------------------------------------

	private void begin(CompletableFuture<Void> started) {
		this.slots.clear();
		this.window.reset();
		this.phase = Phase.RUNNING;
		this.desired = this.options.count();
		this.reforks = 0;
		this.gaveUp = false;
		this.startingUp = true;
		logger.info("Starting {} workers: {}", this.desired, this.options.command().describe());
		for (int index = 0; index < this.desired; index++) {
			Slot slot = new Slot(index);
			this.slots.put(index, slot);
			// One task per fork: exits of early workers are handled between forks.
			execute(() -> fork(slot, ForkCause.START, NO_LATENCY));
		}
		execute(() -> started.complete(null));
	}

	private void fork(Slot slot, ForkCause cause, long latencyFrom) {
		if (this.phase != Phase.RUNNING || this.slots.get(slot.index) != slot) {
			return;
		}
		slot.cancelTimers();
		long id = ++this.nextId;
		slot.id = id;
		slot.forks++;
		if (cause == ForkCause.REFORK) {
			// Counted when it happens: a refork still in its backoff when the limit is reached never does.
			this.reforks++;
		}
		slot.state = WorkerState.STARTING;
		slot.forkAfterStop = null;
		Process process;
		try {
			process = this.launcher.launch(slot.index, id, this.desired);
		}
		catch (Exception ex) {
			logger.error("Worker {} could not be started: {}", slot.index, ex.getMessage());
			slot.startNanos = System.nanoTime();
			slot.startedAt = this.clock.instant();
			exited(slot, 0, WorkerExit.LAUNCH_FAILED, String.valueOf(ex.getMessage()), slot.startNanos);
			this.afterPublish.add(slot.takeWaiters());
			return;
		}
		long now = System.nanoTime();
		slot.process = process;
		slot.startNanos = now;
		slot.startedAt = this.clock.instant();
		slot.timer = schedule(() -> ran(slot, id), this.options.minUptime());
		process.onExit().whenComplete((ignored, ex) -> {
			long seen = System.nanoTime();
			execute(() -> {
				if (slot.process == process) {
					exited(slot, process.pid(), process.exitValue(), null, seen);
				}
			});
		});
		WorkerOutput output = this.options.output();
		if (output != null) {
			OutputPump.start(process, slot.index, output);
		}
		Duration latency = (latencyFrom != NO_LATENCY) ? Duration.ofNanos(Math.max(0, now - latencyFrom)) : null;
		logger.info("Worker {} (pid {}) started{}", slot.index, process.pid(),
				(cause != ForkCause.START) ? " (" + cause.tag() + ")" : "");
		WorkerSnapshot worker = slot.snapshot();
		notifyListeners((listener) -> listener.workerForked(new WorkerForked(worker, cause, latency)));
		// Completed once the snapshot is published and listeners have heard of the fork.
		this.afterPublish.add(slot.takeWaiters());
	}

	private void ran(Slot slot, long id) {
		if (slot.id == id && slot.state == WorkerState.STARTING) {
			slot.state = WorkerState.RUNNING;
			slot.timer = null;
			if (this.startingUp && this.slots.values().stream().allMatch((s) -> s.state == WorkerState.RUNNING)) {
				this.startingUp = false;
			}
		}
	}

	private void exited(Slot slot, long pid, int code, @Nullable String error, long seen) {
		Duration lifetime = Duration.ofNanos(Math.max(0, seen - slot.startNanos));
		slot.cancelTimers();
		slot.process = null;
		SessionReaper reaper = this.sessionReaper;
		if (pid != 0 && reaper != null) {
			reaper.reap(pid);
		}
		boolean expected = slot.state == WorkerState.STOPPING || this.phase != Phase.RUNNING;
		WorkerExit exit = new WorkerExit(code, (error != null) ? null : Signals.fromExitCode(code), !expected,
				this.clock.instant(), error);
		slot.lastExit = exit;
		long id = slot.id;
		ForkCause forkAfterStop = slot.forkAfterStop;
		slot.forkAfterStop = null;
		boolean reachedLimit = false;
		boolean reforked = false;
		String outcome;
		if (this.phase != Phase.RUNNING) {
			slot.state = WorkerState.EXITED;
			outcome = "stopped";
		}
		else if (expected) {
			if (slot.index >= this.desired) {
				this.slots.remove(slot.index);
				slot.failWaiters(new NoSuchWorkerException(slot.index, this.desired));
				outcome = "removed (scaled down)";
			}
			else if (forkAfterStop != null) {
				outcome = "forking again (" + forkAfterStop.tag() + ")";
			}
			else {
				slot.state = WorkerState.EXITED;
				outcome = "stopped";
			}
		}
		else if (!this.options.refork()) {
			slot.state = WorkerState.EXITED;
			outcome = "not reforking (refork is off)";
		}
		else if (error == null && this.options.stopExitCodes().contains(code)) {
			slot.state = WorkerState.EXITED;
			outcome = "not reforking (exit code is a stop exit code)";
		}
		else if (this.gaveUp || !this.window.tryAcquire(seen)) {
			slot.state = WorkerState.EXITED;
			slot.resumable = true;
			reachedLimit = !this.gaveUp;
			outcome = "not reforking (refork limit reached)";
		}
		else {
			reforked = true;
			boolean young = lifetime.toNanos() < this.minUptimeNanos;
			slot.youngDeaths = young ? slot.youngDeaths + 1 : 0;
			Duration delay = young
					? Backoff.delay(this.options.backoffInitial(), this.options.backoffMax(), slot.youngDeaths)
					: Duration.ZERO;
			slot.state = WorkerState.BACKOFF;
			long latencyFrom = seen + delay.toNanos();
			slot.timer = schedule(() -> fork(slot, ForkCause.REFORK, latencyFrom), delay);
			outcome = delay.isZero() ? "reforking" : "reforking in " + format(delay);
		}
		String pidText = (pid != 0) ? "pid " + pid : "never started";
		if (expected) {
			logger.info("Worker {} ({}) exited with {}; {}", slot.index, pidText, exit.describe(), outcome);
		}
		else {
			logger.warn("Worker {} ({}) exited with {}; {}", slot.index, pidText, exit.describe(), outcome);
		}
		WorkerSnapshot worker = slot.snapshot();
		boolean willRefork = reforked;
		notifyListeners((listener) -> listener.workerExited(new WorkerExited(worker, id, pid, exit, lifetime,
				willRefork)));
		if (reachedLimit) {
			giveUp();
		}
		if (forkAfterStop != null && this.phase == Phase.RUNNING && slot.index < this.desired) {
			fork(slot, forkAfterStop, NO_LATENCY);
		}
		if (this.phase == Phase.STOPPING) {
			checkStopped();
		}
	}

	private void giveUp() {
		this.gaveUp = true;
		for (Slot slot : this.slots.values()) {
			if (slot.state == WorkerState.BACKOFF) {
				slot.cancelTimers();
				slot.state = WorkerState.EXITED;
				slot.resumable = true;
			}
		}
		logger.error("Refork limit reached: {} reforks within {}. No worker will be reforked until a worker is "
				+ "restarted or the pool is scaled; workers still alive keep running.", this.options.limit(),
				format(this.options.duration()));
		this.afterPublish.add(() -> {
			PoolSnapshot current = this.snapshot;
			dispatch((listener) -> listener.reforkLimitReached(new ReforkLimitReached(current.limit(), current)));
		});
	}

	private void restartNow(int index, CompletableFuture<WorkerSnapshot> result) {
		Slot slot = this.slots.get(index);
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		if (slot == null || index >= this.desired) {
			result.completeExceptionally(new NoSuchWorkerException(index, this.desired));
			return;
		}
		logger.info("Restarting worker {}", index);
		slot.waiters.add(result);
		slot.youngDeaths = 0;
		slot.resumable = false;
		if (slot.isAlive()) {
			slot.forkAfterStop = ForkCause.RESTART;
			if (slot.state != WorkerState.STOPPING) {
				terminate(slot);
			}
		}
		else {
			fork(slot, ForkCause.RESTART, NO_LATENCY);
		}
		resume(ForkCause.RESTART);
	}

	private void scaleNow(int count, CompletableFuture<PoolSnapshot> result) {
		if (this.phase != Phase.RUNNING) {
			result.completeExceptionally(notRunning());
			return;
		}
		logger.info("Scaling the pool from {} to {} workers", this.desired, count);
		this.desired = count;
		for (Slot slot : new ArrayList<>(this.slots.tailMap(count).values())) {
			if (slot.isAlive()) {
				slot.forkAfterStop = null;
				if (slot.state != WorkerState.STOPPING) {
					terminate(slot);
				}
			}
			else {
				slot.cancelTimers();
				slot.failWaiters(new NoSuchWorkerException(slot.index, count));
				this.slots.remove(slot.index);
			}
		}
		for (int index = 0; index < count; index++) {
			Slot slot = this.slots.get(index);
			if (slot == null) {
				slot = new Slot(index);
				this.slots.put(index, slot);
				fork(slot, ForkCause.SCALE, NO_LATENCY);
			}
			else if (slot.state == WorkerState.EXITED) {
				slot.resumable = false;
				slot.youngDeaths = 0;
				fork(slot, ForkCause.SCALE, NO_LATENCY);
			}
			else if (slot.state == WorkerState.STOPPING && slot.forkAfterStop == null) {
				// Was being removed by an earlier scale-down: replace it once it has exited.
				slot.forkAfterStop = ForkCause.SCALE;
			}
		}
		resume(ForkCause.SCALE);
		this.afterPublish.add(() -> result.complete(this.snapshot));
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
			if (slot.state == WorkerState.EXITED && slot.resumable) {
				slot.resumable = false;
				slot.youngDeaths = 0;
				fork(slot, cause, NO_LATENCY);
			}
		}
	}

	private void terminate(Slot slot) {
		Process process = slot.process;
		if (process == null) {
			return;
		}
		slot.cancelTimers();
		slot.state = WorkerState.STOPPING;
		long id = slot.id;
		process.destroy();
		slot.killTimer = schedule(() -> kill(slot, id), this.options.shutdownTimeout());
	}

	private void kill(Slot slot, long id) {
		Process process = slot.process;
		if (slot.id != id || process == null) {
			return;
		}
		logger.warn("Worker {} (pid {}) did not exit within {} of SIGTERM; sending SIGKILL", slot.index,
				process.pid(), format(this.options.shutdownTimeout()));
		process.descendants().forEach(ProcessHandle::destroyForcibly);
		process.destroyForcibly();
	}

	private void beginStop(CompletableFuture<Void> done) {
		if (this.phase != Phase.RUNNING) {
			done.complete(null);
			return;
		}
		this.phase = Phase.STOPPING;
		this.stopped = done;
		int alive = (int) this.slots.values().stream().filter(Slot::isAlive).count();
		logger.info("Stopping {} workers (SIGTERM, SIGKILL after {})", alive,
				format(this.options.shutdownTimeout()));
		for (Slot slot : this.slots.values()) {
			slot.forkAfterStop = null;
			if (slot.isAlive()) {
				if (slot.state != WorkerState.STOPPING) {
					terminate(slot);
				}
			}
			else {
				slot.cancelTimers();
				slot.state = WorkerState.EXITED;
			}
		}
		checkStopped();
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
			this.afterPublish.add(() -> done.complete(null));
		}
	}

	// ---- Running tasks, publishing snapshots, notifying listeners ---------------------

	/**
	 * Runs a task on the supervisor thread, then publishes a snapshot and notifies listeners.
	 * @return whether the task was accepted (the pool is running)
	 */
	private boolean execute(Runnable task) {
		ScheduledThreadPoolExecutor executor = this.supervisor;
		if (executor == null) {
			return false;
		}
		try {
			executor.execute(() -> supervise(task));
			return true;
		}
		catch (RejectedExecutionException ex) {
			return false;
		}
	}

	private @Nullable ScheduledFuture<?> schedule(Runnable task, Duration delay) {
		ScheduledThreadPoolExecutor executor = this.supervisor;
		if (executor == null) {
			return null;
		}
		try {
			return executor.schedule(() -> supervise(task), delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			return null;
		}
	}

	private void supervise(Runnable task) {
		try {
			task.run();
		}
		catch (RuntimeException | Error ex) {
			logger.error("Unexpected failure in the pool's supervisor", ex);
		}
		this.snapshot = buildSnapshot();
		List<Runnable> pending = new ArrayList<>(this.afterPublish);
		this.afterPublish.clear();
		pending.forEach(Runnable::run);
	}

	private void notifyListeners(Consumer<WorkerPoolListener> call) {
		this.afterPublish.add(() -> dispatch(call));
	}

	private void dispatch(Consumer<WorkerPoolListener> call) {
		for (WorkerPoolListener listener : this.listeners) {
			try {
				call.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.warn("Pool listener {} failed", listener, ex);
			}
		}
	}

	private PoolSnapshot buildSnapshot() {
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

	private static IllegalStateException notRunning() {
		return new IllegalStateException("The worker pool is not running");
	}

	private static void await(CompletableFuture<Void> future, @Nullable Duration timeout) {
		try {
			if (timeout != null) {
				future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
			}
			else {
				future.get();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			logger.error("Gave up waiting for the worker pool", ex);
		}
	}

	static String format(Duration duration) {
		long millis = duration.toMillis();
		if (millis < 1000) {
			return millis + "ms";
		}
		return (millis % 1000 == 0) ? (millis / 1000) + "s" : String.format("%.1fs", millis / 1000.0);
	}

	private enum Phase {

		RUNNING, STOPPING, STOPPED

	}

}
