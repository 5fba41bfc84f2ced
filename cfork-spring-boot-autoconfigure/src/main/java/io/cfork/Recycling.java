package io.cfork;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import org.jspecify.annotations.Nullable;

/**
 * Acts on what workers cost: stores each round of {@link ResourceSampler} samples on the slots, and
 * recycles a worker past {@code max-memory} (two samples in a row) or {@code max-lifetime} (plus a
 * random part of the jitter). Runs on the supervisor thread, as part of {@link WorkerPool}.
 */
final class Recycling {

	/** Samples in a row above {@code max-memory} after which a worker is recycled. */
	static final int MEMORY_SAMPLES = 2;

	private final WorkerPool pool;

	private final PoolOptions options;

	private final Slots slots;

	private final Supervisor supervisor;

	private final PoolReporter report;

	private final Replacements replacements;

	Recycling(WorkerPool pool, PoolOptions options, Slots slots, Supervisor supervisor, PoolReporter report,
			Replacements replacements) {
		this.pool = pool;
		this.options = options;
		this.slots = slots;
		this.supervisor = supervisor;
		this.report = report;
		this.replacements = replacements;
	}

	/**
	 * Stores a round of samples on the slots, and recycles each worker that the last
	 * {@value #MEMORY_SAMPLES} samples in a row saw above {@code max-memory}. A sample of a process
	 * the slot no longer holds is dropped.
	 */
	void sampled(List<ResourceSampler.Sample> samples) {
		Long maxMemory = this.options.maxMemory();
		for (ResourceSampler.Sample sample : samples) {
			Slot slot = this.slots.get(sample.index());
			if (slot == null || slot.id() != sample.id() || !slot.isAlive()) {
				continue;
			}
			int over = slot.sampled(sample.cpu(), sample.memory(), sample.stopped(), maxMemory != null && sample.memory() > maxMemory);
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
	void scheduleRecycle(Slot slot, long id) {
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
		return this.pool.isRunning() && (slot.is(SlotState.STARTING) || slot.is(SlotState.RUNNING))
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
			this.replacements.replace(slot, ForkCause.RECYCLE, reason.option(), (failure) -> {
				if (failure != null && recyclable(slot)) {
					// The replacement failed and the worker serves on: try again after another lifetime.
					scheduleRecycle(slot, slot.id());
				}
			});
		}
		else if (ready) {
			this.pool.terminate(slot, SlotState.RESTARTING, ForkCause.RECYCLE, reason.option());
		}
		else {
			this.pool.terminate(slot, SlotState.FAILING, null, reason.option());
		}
		this.report.recycling(new WorkerRecycled(slot.snapshot(), process.pid(), reason, memory, lifetime, ready));
	}

}
