package io.cfork;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A master in a JVM of its own, for tests that kill the master: starts a pool of {@code sleep}
 * workers ({@code <count> [launcher]}), prints their pids and waits to be killed.
 */
public final class ForkingMaster {

	private ForkingMaster() {
	}

	public static void main(String[] args) {
		WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
			.count(Integer.parseInt(args[0]))
			.output(null)
			.launcher((args.length > 1) ? Launcher.valueOf(args[1]) : Launcher.AUTO)
			.build());
		pool.start();
		System.out.println("PIDS " + pool.snapshot().workers().stream().map((worker) -> String.valueOf(worker.pid()))
			.collect(Collectors.joining(",")));
		System.out.flush();
		// The pool's supervisor thread keeps this JVM alive until it is killed.
	}

}
