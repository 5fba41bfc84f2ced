package io.cfork.autoconfigure;

import io.cfork.ReforkLimitReached;
import io.cfork.ReloadSnapshot;
import io.cfork.WorkerExited;
import io.cfork.WorkerForked;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;
import io.cfork.event.ReforkLimitReachedEvent;
import io.cfork.event.ReloadFinishedEvent;
import io.cfork.event.ReloadStartedEvent;
import io.cfork.event.WorkerExitedEvent;
import io.cfork.event.WorkerForkedEvent;

import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes what the pool reports as Spring application events. Not a bean: the
 * {@link WorkerPoolLifecycle} subscribes it to the pool before the first start.
 */
class CforkEventPublisher implements WorkerPoolListener {

	private final ApplicationEventPublisher publisher;

	private final WorkerPoolManager pool;

	CforkEventPublisher(ApplicationEventPublisher publisher, WorkerPoolManager pool) {
		this.publisher = publisher;
		this.pool = pool;
	}

	@Override
	public void workerForked(WorkerForked event) {
		this.publisher.publishEvent(new WorkerForkedEvent(this.pool, event));
	}

	@Override
	public void workerExited(WorkerExited event) {
		this.publisher.publishEvent(new WorkerExitedEvent(this.pool, event));
	}

	@Override
	public void reloadStarted(ReloadSnapshot reload) {
		this.publisher.publishEvent(new ReloadStartedEvent(this.pool, reload));
	}

	@Override
	public void reloadFinished(ReloadSnapshot reload) {
		this.publisher.publishEvent(new ReloadFinishedEvent(this.pool, reload));
	}

	@Override
	public void reforkLimitReached(ReforkLimitReached event) {
		this.publisher.publishEvent(new ReforkLimitReachedEvent(this.pool, event));
	}

}
