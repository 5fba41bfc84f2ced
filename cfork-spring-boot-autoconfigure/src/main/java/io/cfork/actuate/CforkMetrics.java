package io.cfork.actuate;

import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

import io.cfork.ForkCause;
import io.cfork.WorkerExited;
import io.cfork.WorkerForked;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerState;
import io.cfork.ReforkLimitReached;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters of the worker pool. Gauges read the pool's latest snapshot; counters and timers
 * are recorded from the pool's callbacks.
 * <ul>
 * <li>{@code cfork.workers.desired}, {@code cfork.workers.alive}: gauges;</li>
 * <li>{@code cfork.workers}: gauge per slot state, tag {@code state} ({@code starting},
 * {@code running}, {@code backoff}, {@code stopping}, {@code exited});</li>
 * <li>{@code cfork.worker.forks}: counter, tag {@code cause} ({@code start}, {@code refork},
 * {@code restart}, {@code scale});</li>
 * <li>{@code cfork.worker.exits}: counter, tags {@code unexpected} and {@code code};</li>
 * <li>{@code cfork.refork.limit.reached}: counter;</li>
 * <li>{@code cfork.worker.lifetime}: timer, how long each exited worker lived;</li>
 * <li>{@code cfork.refork.latency}: timer, from a worker's exit being seen to its replacement
 * having started, less any backoff delay.</li>
 * </ul>
 */
public class CforkMetrics implements MeterBinder, WorkerPoolListener {

	private final WorkerPoolManager pool;

	private volatile @Nullable Meters meters;

	/**
	 * Creates the meters' binder.
	 * @param pool the pool
	 */
	public CforkMetrics(WorkerPoolManager pool) {
		this.pool = pool;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		Gauge.builder("cfork.workers.desired", this.pool, (pool) -> pool.snapshot().desired())
			.description("Number of workers the pool keeps alive")
			.register(registry);
		Gauge.builder("cfork.workers.alive", this.pool, (pool) -> pool.snapshot().alive())
			.description("Number of worker processes alive")
			.register(registry);
		for (WorkerState state : WorkerState.values()) {
			Gauge.builder("cfork.workers", this.pool, (pool) -> pool.snapshot().count(state))
				.description("Number of workers in each state")
				.tag("state", state.name().toLowerCase(Locale.ROOT))
				.register(registry);
		}
		this.meters = new Meters(registry);
	}

	@Override
	public void workerForked(WorkerForked event) {
		Meters meters = this.meters;
		if (meters != null) {
			meters.forks.get(event.cause()).increment();
			if (event.reforkLatency() != null) {
				meters.reforkLatency.record(event.reforkLatency());
			}
		}
	}

	@Override
	public void workerExited(WorkerExited event) {
		Meters meters = this.meters;
		if (meters != null) {
			Counter.builder("cfork.worker.exits")
				.description("Worker processes that exited")
				.tag("unexpected", Boolean.toString(event.unexpected()))
				.tag("code", Integer.toString(event.exit().code()))
				.register(meters.registry)
				.increment();
			meters.lifetime.record(event.lifetime());
		}
	}

	@Override
	public void reforkLimitReached(ReforkLimitReached event) {
		Meters meters = this.meters;
		if (meters != null) {
			meters.limitReached.increment();
		}
	}

	/**
	 * The meters recorded from callbacks, registered once so that each appears from the start.
	 */
	private static final class Meters {

		final MeterRegistry registry;

		final Map<ForkCause, Counter> forks = new EnumMap<>(ForkCause.class);

		final Counter limitReached;

		final Timer lifetime;

		final Timer reforkLatency;

		Meters(MeterRegistry registry) {
			this.registry = registry;
			for (ForkCause cause : ForkCause.values()) {
				this.forks.put(cause, Counter.builder("cfork.worker.forks")
					.description("Worker processes forked")
					.tag("cause", cause.tag())
					.register(registry));
			}
			this.limitReached = Counter.builder("cfork.refork.limit.reached")
				.description("Times the pool reached its refork limit and stopped reforking")
				.register(registry);
			this.lifetime = Timer.builder("cfork.worker.lifetime")
				.description("How long each exited worker lived")
				.register(registry);
			this.reforkLatency = Timer.builder("cfork.refork.latency")
				.description("From a worker's exit being seen to its replacement having started, less backoff")
				.register(registry);
		}

	}

}
