package io.cfork.actuate;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.cfork.NoSuchWorkerException;
import io.cfork.PoolSnapshot;
import io.cfork.PoolStatus;
import io.cfork.ReloadInProgressException;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * The {@code cfork} endpoint: the pool and each worker, and operations to restart a worker or
 * scale the pool.
 * <p>
 * It answers in plain descriptors ({@link PoolDescriptor}), {@code null} for a worker that does not
 * exist, and throws {@link IllegalArgumentException} for a bad argument and
 * {@link IllegalStateException} for an operation on a pool that is not running. Over HTTP,
 * {@link CforkEndpointWebExtension} turns those into statuses and applies
 * {@code management.endpoint.cfork.show-values} and roles; over JMX, command arguments and
 * environment values are shown unless {@code show-values} is {@code never}.
 * <p>
 * Read-only by default: the write operations answer only after
 * {@code management.endpoint.cfork.access=unrestricted}. They start and stop processes: never expose
 * them without the application's own security in front.
 */
@Endpoint(id = "cfork", defaultAccess = Access.READ_ONLY)
public class CforkEndpoint {

	private static final Duration WRITE_MARGIN = Duration.ofSeconds(5);

	private final WorkerPoolManager pool;

	private final Show showValues;

	private final Clock clock;

	/**
	 * Creates the endpoint.
	 * @param pool the pool
	 * @param showValues when to show command arguments and environment values outside HTTP (JMX)
	 */
	public CforkEndpoint(WorkerPoolManager pool, Show showValues) {
		this(pool, showValues, Clock.systemUTC());
	}

	CforkEndpoint(WorkerPoolManager pool, Show showValues, Clock clock) {
		this.pool = pool;
		this.showValues = showValues;
		this.clock = clock;
	}

	/**
	 * The pool and every worker, with command arguments and environment values shown unless
	 * {@code show-values} is {@code never}.
	 * @return the pool
	 */
	@ReadOperation
	public PoolDescriptor pool() {
		return pool(this.showValues.isShown(true));
	}

	/**
	 * The pool and every worker.
	 * @param showValues whether to show command arguments and environment values, or mask them
	 * @return the pool
	 */
	public PoolDescriptor pool(boolean showValues) {
		return describe(this.pool.snapshot(), showValues);
	}

	/**
	 * One worker.
	 * @param index the slot index
	 * @return the worker, or {@code null} if the pool has no such slot
	 */
	@ReadOperation
	public PoolDescriptor.@Nullable Worker worker(@Selector int index) {
		return this.pool.snapshot().worker(index).map(this::describe).orElse(null);
	}

	/**
	 * Restarts a worker gracefully: a replacement of its slot with the pool's reload strategy
	 * (start-first: a new worker beside it, which takes over once ready). Answers at once, with the
	 * slot and its {@code next}. Not a refork: it does not count against the refork limit, and it
	 * clears a reached limit.
	 * @param index the slot index
	 * @return the slot, or {@code null} if the pool has no such slot
	 * @throws IllegalStateException if the pool is not running, or the slot is being replaced
	 * already ({@link ReloadInProgressException})
	 */
	@WriteOperation
	public PoolDescriptor.@Nullable Worker restart(@Selector int index) {
		return restartAndWait(index).body();
	}

	/**
	 * Starts a rolling reload of every worker and answers at once with the pool and the reload's
	 * progress.
	 * @param showValues whether to show command arguments and environment values
	 * @return the pool
	 * @throws ReloadInProgressException while a reload runs
	 * @throws IllegalStateException if the pool is not running
	 */
	public PoolDescriptor reload(boolean showValues) {
		requireRunning();
		CompletableFuture<PoolSnapshot> started = new CompletableFuture<>();
		this.pool.reload(started);
		try {
			return describe(started.get(waitLimit(), TimeUnit.MILLISECONDS), showValues);
		}
		catch (TimeoutException ex) {
			return pool(showValues);
		}
		catch (ExecutionException ex) {
			throw rethrow(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while starting a reload", ex);
		}
	}

	/**
	 * Scales the pool to {@code count} workers: new slots are forked, the highest slots are stopped
	 * gracefully. Also clears a reached refork limit.
	 * @param count the number of workers, at least 1
	 * @return the pool, command arguments and environment values shown unless {@code show-values}
	 * is {@code never}
	 * @throws IllegalArgumentException if {@code count} is less than 1
	 * @throws IllegalStateException if the pool is not running
	 */
	@WriteOperation
	public PoolDescriptor scale(int count) {
		return scaleAndWait(count, this.showValues.isShown(true)).body();
	}

	/**
	 * Restarts a worker and says whether the new worker was forked in time.
	 */
	Outcome<PoolDescriptor.@Nullable Worker> restartAndWait(int index) {
		requireRunning();
		CompletableFuture<WorkerSnapshot> started = new CompletableFuture<>();
		this.pool.restart(index, started);
		try {
			return new Outcome<>(describe(started.get(waitLimit(), TimeUnit.MILLISECONDS)), true);
		}
		catch (TimeoutException ex) {
			return new Outcome<>(worker(index), false);
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof NoSuchWorkerException) {
				return new Outcome<>(null, true);
			}
			throw rethrow(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while restarting worker " + index, ex);
		}
	}

	/**
	 * Scales the pool and says whether the change got under way in time.
	 */
	Outcome<PoolDescriptor> scaleAndWait(int count, boolean showValues) {
		if (count < 1) {
			throw new IllegalArgumentException("count must be at least 1, was " + count);
		}
		requireRunning();
		try {
			PoolSnapshot scaled = this.pool.scale(count).get(waitLimit(), TimeUnit.MILLISECONDS);
			return new Outcome<>(describe(scaled, showValues), true);
		}
		catch (TimeoutException ex) {
			return new Outcome<>(pool(showValues), false);
		}
		catch (ExecutionException ex) {
			throw rethrow(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while scaling the pool to " + count, ex);
		}
	}

	private void requireRunning() {
		PoolStatus status = this.pool.snapshot().status();
		if (!this.pool.isRunning() || status == PoolStatus.STOPPING || status == PoolStatus.STOPPED) {
			throw new IllegalStateException("The worker pool is not running (" + status + ")");
		}
	}

	private PoolDescriptor describe(PoolSnapshot snapshot, boolean showValues) {
		return PoolDescriptor.of(snapshot, this.pool.getOptions(), showValues, this.clock.instant());
	}

	private PoolDescriptor.Worker describe(WorkerSnapshot worker) {
		return PoolDescriptor.Worker.of(worker, this.clock.instant());
	}

	private long waitLimit() {
		return this.pool.getOptions().shutdownTimeout().plus(WRITE_MARGIN).toMillis();
	}

	private static RuntimeException rethrow(@Nullable Throwable cause) {
		if (cause instanceof RuntimeException runtime) {
			return runtime;
		}
		return new IllegalStateException(String.valueOf((cause != null) ? cause.getMessage() : null), cause);
	}

	/**
	 * What a write operation answers, and whether it finished within its wait limit.
	 *
	 * @param <T> the body's type
	 * @param body what to answer
	 * @param done whether the operation finished in time; if not, it goes on and {@code body} shows
	 * the pool as it is
	 */
	record Outcome<T>(T body, boolean done) {
	}

}
