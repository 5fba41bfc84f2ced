package io.cfork.event;

import io.cfork.WorkerExited;
import io.cfork.WorkerPoolManager;

import org.springframework.context.ApplicationEvent;

/**
 * Published when a worker process exited.
 * <p>
 * Published on the pool's supervisor thread: return quickly, or use {@code @Async}.
 */
public class WorkerExitedEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	private final transient WorkerExited exited;

	/**
	 * Creates an event.
	 * @param pool the pool
	 * @param exited what exited
	 */
	public WorkerExitedEvent(WorkerPoolManager pool, WorkerExited exited) {
		super(pool);
		this.exited = exited;
	}

	/**
	 * What exited: the worker, its exit and lifetime, and whether it will be reforked.
	 * @return the exit
	 */
	public WorkerExited getExited() {
		return this.exited;
	}

	/**
	 * Whether the pool did not ask the worker to stop.
	 * @return whether the exit was unexpected
	 */
	public boolean isUnexpected() {
		return this.exited.unexpected();
	}

}
