package io.cfork.event;

import io.cfork.ReforkLimitReached;
import io.cfork.WorkerPoolManager;

import org.springframework.context.ApplicationEvent;

/**
 * Published when the pool reached its refork limit and stopped reforking.
 * <p>
 * Published on the pool's supervisor thread: return quickly, or use {@code @Async}.
 */
public class ReforkLimitReachedEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	private final transient ReforkLimitReached reached;

	/**
	 * Creates an event.
	 * @param pool the pool
	 * @param reached the limit and the pool at that moment
	 */
	public ReforkLimitReachedEvent(WorkerPoolManager pool, ReforkLimitReached reached) {
		super(pool);
		this.reached = reached;
	}

	/**
	 * The limit that was reached and the pool at that moment.
	 * @return the details
	 */
	public ReforkLimitReached getReached() {
		return this.reached;
	}

}
