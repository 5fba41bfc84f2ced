package io.cfork;

/**
 * Callbacks from a {@link WorkerPoolManager}.
 * <p>
 * Called on the pool's supervisor thread, in the order things happened: return quickly and never
 * block, or the pool waits for you. An exception thrown by a listener is logged and ignored.
 */
public interface WorkerPoolListener {

	/**
	 * A worker process was forked.
	 * @param event what was forked
	 */
	default void workerForked(WorkerForked event) {
	}

	/**
	 * A worker process exited.
	 * @param event what exited
	 */
	default void workerExited(WorkerExited event) {
	}

	/**
	 * A worker became ready.
	 * @param event which, and how long it took
	 */
	default void workerReady(WorkerReady event) {
	}

	/**
	 * A worker failed a readiness or liveness check.
	 * @param event which check, and why
	 */
	default void workerCheckFailed(WorkerCheckFailed event) {
	}

	/**
	 * A rolling reload started.
	 * @param reload the reload
	 */
	default void reloadStarted(ReloadSnapshot reload) {
	}

	/**
	 * A rolling reload ended, {@code DONE} or {@code FAILED}.
	 * @param reload the reload
	 */
	default void reloadFinished(ReloadSnapshot reload) {
	}

	/**
	 * The pool reached its refork limit.
	 * @param event the limit and the pool
	 */
	default void reforkLimitReached(ReforkLimitReached event) {
	}

	/**
	 * The pool is recycling a worker for its resources ({@code max-memory}, {@code max-lifetime}).
	 * Its exit and the new fork follow as {@link #workerExited} and {@link #workerForked} (cause
	 * {@link ForkCause#RECYCLE}).
	 * @param event what is recycled and why
	 */
	default void workerRecycled(WorkerRecycled event) {
	}

	/**
	 * The pool sampled its workers' CPU and memory ({@link WorkerSnapshot#cpu()},
	 * {@link WorkerSnapshot#memory()}), once every {@code resources.interval}.
	 * @param pool the pool with the new samples
	 */
	default void resourcesSampled(PoolSnapshot pool) {
	}

}
