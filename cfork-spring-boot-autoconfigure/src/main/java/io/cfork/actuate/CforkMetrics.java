package io.cfork.actuate;

import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import io.cfork.ForkCause;
import io.cfork.PoolSnapshot;
import io.cfork.ReforkLimitReached;
import io.cfork.ReloadSnapshot;
import io.cfork.WorkerExited;
import io.cfork.WorkerForked;
import io.cfork.WorkerCheckFailed;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerReady;
import io.cfork.WorkerRecycled;
import io.cfork.WorkerSnapshot;
import io.cfork.WorkerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

/**
 * Micrometer meters of the worker pool. Gauges read the pool's latest snapshot; counters and timers
 * are recorded from the pool's callbacks.
 * <ul>
 * <li>{@code cfork.workers.desired}, {@code cfork.workers.alive}, {@code cfork.workers.ready}:
 * gauges;</li>
 * <li>{@code cfork.workers}: gauge per slot state, tag {@code state} ({@code starting},
 * {@code running}, {@code backoff}, {@code stopping}, {@code exited});</li>
 * <li>{@code cfork.worker.forks}: counter, tag {@code cause} ({@code start}, {@code refork},
 * {@code restart}, {@code scale}, {@code reload}, {@code recycle});</li>
 * <li>{@code cfork.worker.exits}: counter, tags {@code unexpected} and {@code code};</li>
 * <li>{@code cfork.refork.limit.reached}: counter;</li>
 * <li>{@code cfork.worker.lifetime}: timer, how long each exited worker lived;</li>
 * <li>{@code cfork.refork.latency}: timer, from a worker's exit being seen to its replacement
 * having started, less any backoff delay;</li>
 * <li>{@code cfork.worker.ready.time}: timer, from a worker's fork to its being ready;</li>
 * <li>{@code cfork.reloads}: counter, tag {@code outcome} ({@code done}, {@code failed});</li>
 * <li>{@code cfork.worker.probe.failures}: counter, tag {@code probe} ({@code readiness}: not ready
 * in time, {@code liveness}: one failed check).</li>
 * <li>{@code cfork.worker.cpu}, {@code cfork.worker.memory}: gauges per slot, tag {@code index}:
 * the CPU (percent of one core) and resident set (bytes) of the slot's worker with its session, at
 * the last sample ({@code NaN} before it, or with no process). One pair per slot the pool has:
 * removed when a scale-down removes the slot;</li>
 * <li>{@code cfork.workers.cpu}, {@code cfork.workers.memory}: gauges, the pool's totals;</li>
 * <li>{@code cfork.worker.recycles}: counter, tag {@code reason} ({@code memory}, {@code lifetime}).</li>
 * </ul>
 * <p>
 * Wires itself, as Micrometer's own binders do: the first {@link #bindTo(MeterRegistry)} subscribes
 * to the pool, and {@link #close()} unsubscribes. It may be bound to several registries; each pool
 * event is then recorded in each of them (once per registry, however often it is bound to it). Bind
 * it before the pool starts to count the first forks.
 */
public class CforkMetrics implements MeterBinder, AutoCloseable {

	private final WorkerPoolManager pool;

	private final Map<MeterRegistry, Meters> registries = new ConcurrentHashMap<>();

	private final WorkerPoolListener listener = new Recorder();

	private boolean subscribed;

	/**
	 * Creates the meters' binder; nothing is recorded until it is bound to a registry.
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
		Gauge.builder("cfork.workers.ready", this.pool, (pool) -> pool.snapshot().ready())
			.description("Number of workers ready")
			.register(registry);
		for (WorkerState state : WorkerState.values()) {
			Gauge.builder("cfork.workers", this.pool, (pool) -> pool.snapshot().count(state))
				.description("Number of workers in each state")
				.tag("state", state.name().toLowerCase(Locale.ROOT))
				.register(registry);
		}
		Gauge.builder("cfork.workers.cpu", this.pool, (pool) -> orNaN(pool.snapshot().cpu()))
			.description("CPU of all workers with their sessions over the last sample, percent of one core")
			.register(registry);
		Gauge.builder("cfork.workers.memory", this.pool, (pool) -> orNaN(pool.snapshot().memory()))
			.description("Resident set of all workers with their sessions")
			.baseUnit(BaseUnits.BYTES)
			.register(registry);
		this.registries.computeIfAbsent(registry, Meters::new).keepToSlots(this.pool);
		synchronized (this) {
			if (!this.subscribed) {
				this.pool.addListener(this.listener);
				this.subscribed = true;
			}
		}
	}

	/**
	 * Stops recording: unsubscribes from the pool. Gauges registered by {@link #bindTo} stay, and
	 * go on reading the pool.
	 */
	@Override
	public void close() {
		synchronized (this) {
			this.pool.removeListener(this.listener);
			this.subscribed = false;
		}
	}

	/**
	 * Records the pool's callbacks in every registry bound so far.
	 */
	private final class Recorder implements WorkerPoolListener {

		@Override
		public void workerForked(WorkerForked event) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.forks.get(event.cause()).increment();
				if (event.reforkLatency() != null) {
					meters.reforkLatency.record(event.reforkLatency());
				}
			}
			keepToSlots();
		}

		@Override
		public void workerExited(WorkerExited event) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				Counter.builder("cfork.worker.exits")
					.description("Worker processes that exited")
					.tag("unexpected", Boolean.toString(event.unexpected()))
					.tag("code", Integer.toString(event.exit().code()))
					.register(meters.registry)
					.increment();
				meters.lifetime.record(event.lifetime());
			}
			keepToSlots();
		}

		@Override
		public void workerReady(WorkerReady event) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.readyTime.record(event.readyTime());
			}
		}

		@Override
		public void workerCheckFailed(WorkerCheckFailed event) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.checkFailures.get(event.check()).increment();
			}
		}

		@Override
		public void reloadFinished(ReloadSnapshot reload) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.reloads.get(reload.state()).increment();
			}
		}

		@Override
		public void reforkLimitReached(ReforkLimitReached event) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.limitReached.increment();
			}
		}

		@Override
		public void workerRecycled(WorkerRecycled event) {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.recycles.get(event.reason()).increment();
			}
		}

		@Override
		public void resourcesSampled(PoolSnapshot pool) {
			keepToSlots();
		}

		/**
		 * Registers per-slot gauges for new slots and removes those of removed slots. Slots come
		 * with forks and go with exits (or a scale-down of an empty slot, caught at the next
		 * sample).
		 */
		private void keepToSlots() {
			for (Meters meters : CforkMetrics.this.registries.values()) {
				meters.keepToSlots(CforkMetrics.this.pool);
			}
		}

	}

	/**
	 * One registry's meters recorded from callbacks, registered once so that each appears from the
	 * start.
	 */
	private static final class Meters {

		final MeterRegistry registry;

		final Map<ForkCause, Counter> forks = new EnumMap<>(ForkCause.class);

		final Counter limitReached;

		final Timer lifetime;

		final Timer reforkLatency;

		final Timer readyTime;

		final Map<WorkerCheckFailed.Check, Counter> checkFailures = new EnumMap<>(WorkerCheckFailed.Check.class);

		final Map<ReloadSnapshot.State, Counter> reloads = new EnumMap<>(ReloadSnapshot.State.class);
		final Map<WorkerRecycled.Reason, Counter> recycles = new EnumMap<>(WorkerRecycled.Reason.class);

		/** The per-slot gauges, by slot index. */
		private final Map<Integer, List<Meter>> slots = new HashMap<>();

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
			this.readyTime = Timer.builder("cfork.worker.ready.time")
				.description("From a worker's fork to its being ready")
				.register(registry);
			for (ReloadSnapshot.State outcome : List.of(ReloadSnapshot.State.DONE, ReloadSnapshot.State.FAILED)) {
				this.reloads.put(outcome, Counter.builder("cfork.reloads")
					.description("Rolling reloads that ended, by outcome")
					.tag("outcome", outcome.name().toLowerCase(Locale.ROOT))
					.register(registry));
			}
			for (WorkerCheckFailed.Check check : WorkerCheckFailed.Check.values()) {
				this.checkFailures.put(check, Counter.builder("cfork.worker.probe.failures")
					.description("Failed readiness (not ready in time) and liveness checks of workers")
					.tag("probe", check.tag())
					.register(registry));
			}
			for (WorkerRecycled.Reason reason : WorkerRecycled.Reason.values()) {
				this.recycles.put(reason, Counter.builder("cfork.worker.recycles")
					.description("Workers recycled for their resources (max-memory, max-lifetime)")
					.tag("reason", reason.tag())
					.register(registry));
			}
		}

		/**
		 * Keeps one pair of per-slot gauges for each slot the pool has, no more: the tag
		 * {@code index} stays bounded by the pool's size.
		 */
		synchronized void keepToSlots(WorkerPoolManager pool) {
			Set<Integer> indexes = pool.snapshot()
				.workers()
				.stream()
				.map(WorkerSnapshot::index)
				.collect(Collectors.toSet());
			this.slots.entrySet().removeIf((slot) -> {
				if (indexes.contains(slot.getKey())) {
					return false;
				}
				slot.getValue().forEach(this.registry::remove);
				return true;
			});
			for (int index : indexes) {
				this.slots.computeIfAbsent(index, (key) -> List.of(
						gauge(pool, "cfork.worker.cpu", index,
								"CPU of the worker with its session over the last sample, percent of one core", null,
								WorkerSnapshot::cpu),
						gauge(pool, "cfork.worker.memory", index, "Resident set of the worker with its session",
								BaseUnits.BYTES, WorkerSnapshot::memory)));
			}
		}

		private Gauge gauge(WorkerPoolManager pool, String name, int index, String description,
				@Nullable String baseUnit, Function<WorkerSnapshot, @Nullable Number> value) {
			ToDoubleFunction<WorkerPoolManager> read = (current) -> orNaN(
					current.snapshot().worker(index).map(value).orElse(null));
			return Gauge.builder(name, pool, read)
				.description(description)
				.baseUnit(baseUnit)
				.tag("index", Integer.toString(index))
				.register(this.registry);
		}

	}

	private static double orNaN(@Nullable Number value) {
		return (value != null) ? value.doubleValue() : Double.NaN;
	}

}
