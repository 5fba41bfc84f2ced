package io.cfork;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

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
 * <p>
 * A started pool stops its workers when the JVM shuts down (SIGTERM, Ctrl-C,
 * {@code System.exit}) even if {@link #stop()} is never called, and even if the application's own
 * shutdown is held up, by a blocked log for instance: a shutdown hook of its own stops it.
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

	private static final String SUPERVISOR_THREAD = "cfork-supervisor";

	private final PoolOptions options;

	private final Clock clock;

	private final Listeners listeners = new Listeners();

	/** Fork ids, unique in the master's life: they go on across a stop and a new start. */
	private final AtomicLong ids = new AtomicLong();

	/** This pool's mark, {@code CFORK_POOL_ID}: random, as pids and fork ids repeat across masters. */
	private final String poolId = PoolIds.random();

	private final Object lifecycleMonitor = new Object();

	/** The running pool, or {@code null} when not started or stopped. */
	private volatile @Nullable WorkerPool running;

	/** The snapshot of the last pool that ran, or of none. */
	private volatile PoolSnapshot lastSnapshot;

	private final Thread shutdownHook = new Thread(this::stop, "cfork-shutdown");

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
		this.lastSnapshot = WorkerPool.notStarted(options);
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
		this.listeners.add(listener);
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
		WorkerPool pool = this.running;
		return (pool != null) ? pool.published() : this.lastSnapshot;
	}

	/**
	 * This pool's mark: the {@code CFORK_POOL_ID} every worker and its children inherit, random and
	 * unique to this pool.
	 * @return the pool's id
	 */
	public String getPoolId() {
		return this.poolId;
	}

	/**
	 * Whether the pool was started and not yet stopped.
	 * @return whether the pool is running
	 */
	public boolean isRunning() {
		return this.running != null;
	}

	/**
	 * Forks the workers and returns once each has been forked (or has failed to launch). Does
	 * nothing if the pool is running.
	 * @throws InvalidPoolOptionException naming {@code count} and the limit, nothing forked, when
	 * the workers cannot fit the limits on processes ({@code pids.max}, {@code RLIMIT_NPROC},
	 * {@code threads-max}) with room left for the master's own threads
	 */
	public void start() {
		synchronized (this.lifecycleMonitor) {
			if (this.running != null) {
				return;
			}
			WorkerPool pool = new WorkerPool(this.options, this.clock, this.ids, this.poolId, this.listeners,
					SUPERVISOR_THREAD);
			this.running = pool;
			Runtime.getRuntime().addShutdownHook(this.shutdownHook);
			CompletableFuture<Void> started = new CompletableFuture<>();
			pool.execute(() -> pool.begin(started));
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
			WorkerPool pool = this.running;
			if (pool == null) {
				return;
			}
			if (pool.isSupervisorThread()) {
				throw new IllegalStateException("The pool cannot be stopped from its own supervisor thread");
			}
			CompletableFuture<Void> done = new CompletableFuture<>();
			pool.execute(() -> pool.beginStop(done));
			// SIGKILL cannot be ignored, so every worker is gone soon after the timeout.
			await(done, this.options.shutdownTimeout().plusSeconds(30));
			pool.close();
			this.lastSnapshot = pool.published();
			this.running = null;
			if (Thread.currentThread() != this.shutdownHook) {
				removeShutdownHook();
			}
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
	 * Restarts one worker gracefully: a replacement of the slot with the pool's
	 * {@link ReloadStrategy}. Start-first (the default), a new worker starts beside it and takes
	 * over once ready, then the old one gets SIGTERM (SIGKILL after the shutdown timeout);
	 * stop-first, the old one is stopped first. A worker not running is forked at once. A restart is
	 * not a refork: it does not count against the refork limit, and it clears a reached limit
	 * (slots left without a worker by it are forked again).
	 * @param index the slot index
	 * @return completes with the slot once its worker was replaced (the old one reaped); fails
	 * with {@link NoSuchWorkerException} for an unknown index, with
	 * {@link ReloadInProgressException} for a slot being replaced already, and with
	 * {@link IllegalStateException} when the pool is not running or the replacement failed
	 */
	public CompletableFuture<WorkerSnapshot> restart(int index) {
		return restart(index, new CompletableFuture<>());
	}

	/**
	 * Restarts one worker, as {@link #restart(int)}, and says when the restart is under way.
	 * @param index the slot index
	 * @param started completed with the slot as soon as its replacement is under way (its
	 * {@link WorkerSnapshot#next() next} shown with start-first), or exceptionally if the restart is
	 * refused: {@link NoSuchWorkerException}, {@link ReloadInProgressException} for a slot being
	 * replaced already, {@link IllegalStateException} when the pool is not running
	 * @return completes with the slot once its worker was replaced
	 */
	public CompletableFuture<WorkerSnapshot> restart(int index, CompletableFuture<WorkerSnapshot> started) {
		CompletableFuture<WorkerSnapshot> result = new CompletableFuture<>();
		WorkerPool pool = this.running;
		if (pool == null || !pool.execute(() -> pool.restart(index, started, result))) {
			result.completeExceptionally(WorkerPool.notRunning());
			started.completeExceptionally(WorkerPool.notRunning());
		}
		return result;
	}

	/**
	 * Reloads the workers, rolling: each slot in turn ({@code reload.batch-size} at once) gets a
	 * worker of the next generation, forked from the files on disk now, with the pool's
	 * {@link ReloadStrategy}; start-first, the old worker is stopped gracefully only once its
	 * replacement is ready. A replacement that exits, or is not ready within the readiness timeout,
	 * ends the reload {@code FAILED}: the slots not yet replaced keep their workers. A reload does
	 * not read the options again, and does not count against the refork limit.
	 * @return completes with the reload once it ended, {@code DONE} or {@code FAILED}; fails with
	 * {@link ReloadInProgressException} while another one runs
	 */
	public CompletableFuture<ReloadSnapshot> reload() {
		return reload(new CompletableFuture<>());
	}

	/**
	 * Reloads the workers, as {@link #reload()}, and says when the reload is under way.
	 * @param started completed with the pool as the reload starts, or exceptionally if refused
	 * @return completes with the reload once it ended
	 */
	public CompletableFuture<ReloadSnapshot> reload(CompletableFuture<PoolSnapshot> started) {
		CompletableFuture<ReloadSnapshot> result = new CompletableFuture<>();
		WorkerPool pool = this.running;
		if (pool == null || !pool.execute(() -> pool.reload(started, result))) {
			result.completeExceptionally(WorkerPool.notRunning());
			started.completeExceptionally(WorkerPool.notRunning());
		}
		return result;
	}

	/**
	 * Scales the pool: forks new slots, or stops the highest slots gracefully (their exits are
	 * expected, never reforked). Also clears a reached refork limit, and forks again any slot left
	 * without a worker.
	 * @param count the number of workers to keep, at least 1
	 * @return completes with the pool once the change is under way; fails with
	 * {@link IllegalStateException} when the pool is not running, with
	 * {@link InvalidPoolOptionException} (naming the limit, nothing changed) when the new workers
	 * cannot fit the limits on processes ({@code pids.max}, {@code RLIMIT_NPROC},
	 * {@code threads-max}) with room left for the master's own threads, and with
	 * {@link ScaleIncompleteException} when forking stopped part-way at such a limit (the pool keeps
	 * the workers it forked: its desired count is theirs)
	 * @throws IllegalArgumentException if {@code count} is less than 1
	 */
	public CompletableFuture<PoolSnapshot> scale(int count) {
		if (count < 1) {
			throw new IllegalArgumentException("count must be at least 1, was " + count);
		}
		CompletableFuture<PoolSnapshot> result = new CompletableFuture<>();
		WorkerPool pool = this.running;
		if (pool == null || !pool.execute(() -> pool.scale(count, result))) {
			result.completeExceptionally(WorkerPool.notRunning());
		}
		return result;
	}

	private void removeShutdownHook() {
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// The JVM is shutting down: the hook runs, and finds the pool stopped.
		}
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

}
