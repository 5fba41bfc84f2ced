package io.cfork;

import java.util.List;

/**
 * A master in a JVM of its own that logs to its stdout, for tests that block that stdout: starts a
 * pool of workers that each print 200 KB (logged through the master) and then sleep.
 */
public final class LoggingMaster {

	private LoggingMaster() {
	}

	public static void main(String[] args) {
		WorkerPoolManager pool = new WorkerPoolManager(PoolOptions
			.builder(WorkerCommand.exec("sh", List.of("-c", "yes spam-spam-spam | head -c 200000; exec sleep 3600")))
			.count(Integer.parseInt(args[0]))
			.minUptime(java.time.Duration.ZERO)
			.build());
		pool.start();
		// The pool's supervisor thread keeps this JVM alive until it is stopped.
	}

}
