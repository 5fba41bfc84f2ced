package io.cfork.event;

import io.cfork.WorkerForked;
import io.cfork.WorkerPoolManager;

import org.springframework.context.ApplicationEvent;

/**
 * Published when the pool forked a worker process.
 * <p>
 * Published on the pool's supervisor thread: return quickly, or use {@code @Async}.
 */
public class WorkerForkedEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	private final transient WorkerForked forked;

	/**
	 * Creates an event.
	 * @param pool the pool
	 * @param forked what was forked
	 */
	public WorkerForkedEvent(WorkerPoolManager pool, WorkerForked forked) {
		super(pool);
		this.forked = forked;
	}

	/**
	 * What was forked: the worker, the cause, and for a refork its latency.
	 * @return the fork
	 */
	public WorkerForked getForked() {
		return this.forked;
	}

}
