package io.cfork.actuate;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.cfork.NoSuchWorkerException;
import io.cfork.PoolSnapshot;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerSnapshot;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;

/**
 * The {@code cfork} endpoint: the pool and each worker, and operations to restart a worker or
 * scale the pool.
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

	private final Set<String> roles;

	private final Clock clock;

	/**
	 * Creates the endpoint.
	 * @param pool the pool
	 * @param showValues when to show command arguments and environment values
	 * @param roles the roles that may see them with {@link Show#WHEN_AUTHORIZED}
	 */
	public CforkEndpoint(WorkerPoolManager pool, Show showValues, Set<String> roles) {
		this(pool, showValues, roles, Clock.systemUTC());
	}

	CforkEndpoint(WorkerPoolManager pool, Show showValues, Set<String> roles, Clock clock) {
		this.pool = pool;
		this.showValues = showValues;
		this.roles = roles;
		this.clock = clock;
	}

	/**
	 * The pool and every worker.
	 * @param securityContext who asks
	 * @return the pool
	 */
	@ReadOperation
	public PoolDescriptor pool(SecurityContext securityContext) {
		return describe(this.pool.snapshot(), securityContext);
	}

	/**
	 * One worker.
	 * @param index the slot index
	 * @return the worker, or 404 for an unknown index
	 */
	@ReadOperation
	public WebEndpointResponse<PoolDescriptor.Worker> worker(@Selector int index) {
		return this.pool.snapshot()
			.worker(index)
			.map((worker) -> new WebEndpointResponse<>(PoolDescriptor.Worker.of(worker, this.clock.instant())))
			.orElseGet(() -> new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND));
	}

	/**
	 * Restarts a worker gracefully (SIGTERM, SIGKILL after the shutdown timeout, then a new fork)
	 * and answers once the new worker is forked. Not a refork: it does not count against the
	 * refork limit, and it clears a reached limit.
	 * @param index the slot index
	 * @return the restarted worker; 404 for an unknown index; 202 with the worker as it is if the
	 * old process has not exited in time
	 */
	@WriteOperation
	public WebEndpointResponse<Object> restart(@Selector int index) {
		if (this.pool.snapshot().worker(index).isEmpty()) {
			return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
		}
		CompletableFuture<WorkerSnapshot> restarted = this.pool.restart(index);
		try {
			WorkerSnapshot worker = restarted.get(waitLimit(), TimeUnit.MILLISECONDS);
			return new WebEndpointResponse<>(PoolDescriptor.Worker.of(worker, this.clock.instant()));
		}
		catch (TimeoutException ex) {
			return new WebEndpointResponse<>(this.pool.snapshot().worker(index).map(
					(worker) -> (Object) PoolDescriptor.Worker.of(worker, this.clock.instant())).orElse(Map.of()), 202);
		}
		catch (ExecutionException ex) {
			return failure(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return failure(ex);
		}
	}

	/**
	 * Scales the pool to {@code count} workers: new slots are forked, the highest slots are stopped
	 * gracefully. Also clears a reached refork limit.
	 * @param count the number of workers, at least 1
	 * @param securityContext who asks
	 * @return the pool; 400 for a count below 1
	 */
	@WriteOperation
	public WebEndpointResponse<Object> scale(int count, SecurityContext securityContext) {
		if (count < 1) {
			return new WebEndpointResponse<>(Map.of("error", "count must be at least 1, was " + count),
					WebEndpointResponse.STATUS_BAD_REQUEST);
		}
		try {
			PoolSnapshot scaled = this.pool.scale(count).get(waitLimit(), TimeUnit.MILLISECONDS);
			return new WebEndpointResponse<>(describe(scaled, securityContext));
		}
		catch (TimeoutException ex) {
			return new WebEndpointResponse<>(describe(this.pool.snapshot(), securityContext), 202);
		}
		catch (ExecutionException ex) {
			return failure(ex.getCause());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return failure(ex);
		}
	}

	private PoolDescriptor describe(PoolSnapshot snapshot, SecurityContext securityContext) {
		boolean shown = this.showValues.isShown(securityContext, this.roles);
		return PoolDescriptor.of(snapshot, this.pool.getOptions().env(), shown, this.clock.instant());
	}

	private long waitLimit() {
		return this.pool.getOptions().shutdownTimeout().plus(WRITE_MARGIN).toMillis();
	}

	private static WebEndpointResponse<Object> failure(@Nullable Throwable cause) {
		int status = (cause instanceof NoSuchWorkerException) ? WebEndpointResponse.STATUS_NOT_FOUND
				: (cause instanceof IllegalArgumentException) ? WebEndpointResponse.STATUS_BAD_REQUEST : 409;
		return new WebEndpointResponse<>(Map.of("error", String.valueOf((cause != null) ? cause.getMessage() : null)),
				status);
	}

}
