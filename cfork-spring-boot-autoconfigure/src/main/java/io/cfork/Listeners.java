package io.cfork;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's listeners: added and removed from any thread, called on the supervisor thread; one
 * that throws is logged and does not keep the others from hearing.
 */
final class Listeners {

	private static final Logger logger = LoggerFactory.getLogger(WorkerPoolManager.class);

	private final List<WorkerPoolListener> listeners = new CopyOnWriteArrayList<>();

	void add(WorkerPoolListener listener) {
		this.listeners.add(Objects.requireNonNull(listener, "listener"));
	}

	void remove(WorkerPoolListener listener) {
		this.listeners.remove(listener);
	}

	void dispatch(Consumer<WorkerPoolListener> call) {
		for (WorkerPoolListener listener : this.listeners) {
			try {
				call.accept(listener);
			}
			catch (RuntimeException ex) {
				logger.warn("Pool listener {} failed", listener, ex);
			}
		}
	}

}
