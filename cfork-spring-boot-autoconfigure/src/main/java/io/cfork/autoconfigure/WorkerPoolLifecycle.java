package io.cfork.autoconfigure;

import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the pool when the application context has started, and stops it (every worker reaped)
 * when the context closes. Runs in the last phase: workers start after everything else, and stop
 * before the web server, so the actuator can report the pool while it stops.
 * <p>
 * Before the first start it subscribes the pool's Spring listeners: the {@link CforkEventPublisher}
 * first, then every {@link WorkerPoolListener} bean of the application, in order. They are looked up
 * then, once every singleton exists, so a listener may depend on the pool. Metrics subscribe
 * themselves when they are bound to a registry.
 */
class WorkerPoolLifecycle implements SmartLifecycle {

	private final WorkerPoolManager pool;

	private final CforkEventPublisher events;

	private final ObjectProvider<WorkerPoolListener> listeners;

	private boolean subscribed;

	WorkerPoolLifecycle(WorkerPoolManager pool, CforkEventPublisher events,
			ObjectProvider<WorkerPoolListener> listeners) {
		this.pool = pool;
		this.events = events;
		this.listeners = listeners;
	}

	@Override
	public void start() {
		if (!this.subscribed) {
			this.pool.addListener(this.events);
			this.listeners.orderedStream().forEach(this.pool::addListener);
			this.subscribed = true;
		}
		this.pool.start();
	}

	@Override
	public void stop() {
		this.pool.stop();
	}

	@Override
	public boolean isRunning() {
		return this.pool.isRunning();
	}

}
