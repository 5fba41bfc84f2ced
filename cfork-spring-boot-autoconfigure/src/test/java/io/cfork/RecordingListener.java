package io.cfork;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A listener that keeps every worker event a pool dispatches, for tests to await and inspect.
 */
final class RecordingListener implements WorkerPoolListener {

	final List<WorkerReady> ready = new CopyOnWriteArrayList<>();

	final List<WorkerCheckFailed> failed = new CopyOnWriteArrayList<>();

	final List<WorkerExited> exits = new CopyOnWriteArrayList<>();

	@Override
	public void workerReady(WorkerReady event) {
		this.ready.add(event);
	}

	@Override
	public void workerCheckFailed(WorkerCheckFailed event) {
		this.failed.add(event);
	}

	@Override
	public void workerExited(WorkerExited event) {
		this.exits.add(event);
	}

}
