package io.cfork.autoconfigure;

import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.SmartLifecycle;

/**
 * Starts the pool when the application context has started, and stops it (every worker reaped)
 * when the context closes. Runs in the last phase: workers start after everything else, and stop
 * before the web server, so the actuator can report the pool while it stops.
 */
class WorkerPoolLifecycle implements SmartLifecycle {

	private final WorkerPoolManager pool;

	private final ObjectProvider<WorkerPoolListener> listeners;

	private boolean listenersAdded;

	WorkerPoolLifecycle(WorkerPoolManager pool, ObjectProvider<WorkerPoolListener> listeners) {
		this.pool = pool;
		this.listeners = listeners;
	}

	@Override
	public void start() {
		// Listeners (events, metrics) are looked up now, not when the pool is created, because
		// some of them depend on the pool.
		if (!this.listenersAdded) {
			this.listeners.orderedStream().forEach(this.pool::addListener);
			this.listenersAdded = true;
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
