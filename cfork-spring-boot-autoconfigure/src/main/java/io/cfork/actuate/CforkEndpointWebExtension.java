package io.cfork.actuate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;
import java.util.function.Supplier;

import io.cfork.actuate.CforkEndpoint.Outcome;
import io.cfork.ReloadInProgressException;
import io.cfork.ScaleIncompleteException;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.Show;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The {@link CforkEndpoint} over HTTP: statuses, and whether the requester may see command
 * arguments and environment values ({@code management.endpoint.cfork.show-values} and
 * {@code roles}).
 * <ul>
 * <li>404 for a slot index the pool does not have;</li>
 * <li>400 for a bad request, with a JSON body {@code {"error": "..."}} that says what is wrong;</li>
 * <li>409, with the same body, for a restart or scale of a pool that is not running;</li>
 * <li>503, with the same body, for a scale that stopped part-way at a limit on processes (the
 * pool keeps the workers it forked);</li>
 * <li>202 with the worker or pool as it is when a write operation has not finished in time (it goes
 * on).</li>
 * </ul>
 * The index and {@code count} are read as text and parsed here, so that a value that is not a
 * number gets the same JSON answer as any other bad request.
 */
@EndpointWebExtension(endpoint = CforkEndpoint.class)
public class CforkEndpointWebExtension {

	static final String COUNT_REQUIRED = "count is required: POST {\"count\": N} with N >= 1";

	private final CforkEndpoint delegate;

	private final Show showValues;

	private final Set<String> roles;

	/**
	 * Creates the extension.
	 * @param delegate the endpoint
	 * @param showValues when to show command arguments and environment values
	 * @param roles the roles that may see them with {@link Show#WHEN_AUTHORIZED}; when empty, any
	 * authenticated user may
	 */
	public CforkEndpointWebExtension(CforkEndpoint delegate, Show showValues, Set<String> roles) {
		this.delegate = delegate;
		this.showValues = showValues;
		this.roles = roles;
	}

	/**
	 * The pool and every worker.
	 * @param securityContext who asks
	 * @return the pool
	 */
	@ReadOperation
	public PoolDescriptor pool(SecurityContext securityContext) {
		return this.delegate.pool(this.showValues.isShown(securityContext, this.roles));
	}

	/**
	 * One worker.
	 * @param index the slot index
	 * @return the worker; 404 for an unknown index, 400 for one that is not a number
	 */
	@ReadOperation
	public WebEndpointResponse<Object> worker(@Selector String index) {
		return withIndex(index, (slot) -> orNotFound(this.delegate.worker(slot)));
	}

	/**
	 * Restarts a worker gracefully: a replacement of its slot, under way when this answers.
	 * @param index the slot index
	 * @return 202 with the slot and its {@code next}; 404 for an unknown index; 400 for one that is
	 * not a number; 409 if the slot is being replaced already or the pool is not running
	 */
	@WriteOperation
	public WebEndpointResponse<Object> restart(@Selector String index) {
		return withIndex(index, (slot) -> answer(() -> {
			Outcome<PoolDescriptor.@Nullable Worker> restarted = this.delegate.restartAndWait(slot);
			PoolDescriptor.Worker worker = restarted.body();
			if (worker == null) {
				return restarted.done() ? new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND)
						: new WebEndpointResponse<>(OperationResponseBody.of(Map.of()), 202);
			}
			return new WebEndpointResponse<>(worker, 202);
		}));
	}

	/**
	 * Scales the pool to {@code count} workers.
	 * @param count the number of workers, at least 1 ({@code POST {"count": N}})
	 * @param securityContext who asks
	 * @return the pool; 202 with the pool as it is if the change has not got under way in time; 400
	 * for a missing count, one that is not a whole number or one below 1, or one that cannot fit the
	 * limits on processes ({@code pids.max}, {@code ulimit -u}, {@code threads-max}); 409 if the
	 * pool is not running; 503 if the scale stopped part-way at such a limit
	 */
	@WriteOperation
	public WebEndpointResponse<Object> scale(@Nullable String count, @Nullable String reload,
			SecurityContext securityContext) {
		boolean shown = this.showValues.isShown(securityContext, this.roles);
		if (reload != null) {
			if (count != null) {
				return error(WebEndpointResponse.STATUS_BAD_REQUEST,
						"POST either {\"count\": N} to scale or {\"reload\": true} to reload, not both");
			}
			if (!"true".equals(reload.strip())) {
				return error(WebEndpointResponse.STATUS_BAD_REQUEST,
						"reload must be true: POST {\"reload\": true}, was '" + reload + "'");
			}
			return answer(() -> new WebEndpointResponse<>(this.delegate.reload(shown), 202));
		}
		if (count == null || count.isBlank()) {
			return error(WebEndpointResponse.STATUS_BAD_REQUEST, COUNT_REQUIRED);
		}
		Integer workers = parse(count.strip());
		if (workers == null) {
			return error(WebEndpointResponse.STATUS_BAD_REQUEST,
					"count must be a whole number: POST {\"count\": N} with N >= 1, was '" + count + "'");
		}
		return answer(() -> {
			Outcome<PoolDescriptor> scaled = this.delegate.scaleAndWait(workers, shown);
			return new WebEndpointResponse<>(scaled.body(), scaled.done() ? WebEndpointResponse.STATUS_OK : 202);
		});
	}

	private static WebEndpointResponse<Object> withIndex(String index,
			IntFunction<WebEndpointResponse<Object>> operation) {
		Integer slot = parse(index);
		if (slot == null) {
			return error(WebEndpointResponse.STATUS_BAD_REQUEST,
					"index must be a worker's slot index, a whole number, was '" + index + "'");
		}
		return operation.apply(slot);
	}

	private static WebEndpointResponse<Object> orNotFound(@Nullable Object body) {
		return (body != null) ? new WebEndpointResponse<>(body)
				: new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
	}

	/**
	 * Runs an operation of the endpoint, turning what it refuses into a status with the reason.
	 */
	private static WebEndpointResponse<Object> answer(Supplier<WebEndpointResponse<Object>> operation) {
		try {
			return operation.get();
		}
		catch (IllegalArgumentException ex) {
			return error(WebEndpointResponse.STATUS_BAD_REQUEST, ex.getMessage());
		}
		catch (ReloadInProgressException ex) {
			Map<String, Object> body = new LinkedHashMap<>();
			body.put("error", String.valueOf(ex.getMessage()));
			body.put("reload", (ex.getReload() != null) ? PoolDescriptor.Reload.of(ex.getReload()) : null);
			return new WebEndpointResponse<>(OperationResponseBody.of(body), 409);
		}
		catch (ScaleIncompleteException ex) {
			return error(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, ex.getMessage());
		}
		catch (IllegalStateException ex) {
			return error(409, ex.getMessage());
		}
	}

	private static WebEndpointResponse<Object> error(int status, @Nullable String message) {
		return new WebEndpointResponse<>(OperationResponseBody.of(Map.of("error", String.valueOf(message))), status);
	}

	private static @Nullable Integer parse(String number) {
		try {
			return Integer.valueOf(number);
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

}
