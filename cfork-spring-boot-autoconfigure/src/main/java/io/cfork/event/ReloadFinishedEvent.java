package io.cfork.event;

import io.cfork.ReloadSnapshot;
import io.cfork.WorkerPoolManager;

import org.springframework.context.ApplicationEvent;

/**
 * Published when a rolling reload ended, {@code DONE} or {@code FAILED}.
 * <p>
 * Published on the pool's supervisor thread: return quickly, or use {@code @Async}.
 */
public class ReloadFinishedEvent extends ApplicationEvent {

	private static final long serialVersionUID = 1L;

	private final transient ReloadSnapshot reload;

	/**
	 * Creates an event.
	 * @param pool the pool
	 * @param reload the reload
	 */
	public ReloadFinishedEvent(WorkerPoolManager pool, ReloadSnapshot reload) {
		super(pool);
		this.reload = reload;
	}

	/**
	 * The reload: its generation, state, progress and, once failed, why.
	 * @return the reload
	 */
	public ReloadSnapshot getReload() {
		return this.reload;
	}

}
