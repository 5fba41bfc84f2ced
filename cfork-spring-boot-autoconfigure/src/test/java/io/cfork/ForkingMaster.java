package io.cfork;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A master in a JVM of its own, for tests that kill the master: starts a pool of workers
 * ({@code <count> [launcher] [command...]}: {@code sleep 3600} by default), prints their pids and
 * waits to be killed.
 */
public final class ForkingMaster {

	private ForkingMaster() {
	}

	public static void main(String[] args) {
		Launcher launcher = (args.length > 1) ? Launcher.valueOf(args[1]) : Launcher.AUTO;
		List<String> command = (args.length > 2) ? Arrays.asList(args).subList(2, args.length)
				: List.of("sleep", "3600");
		WorkerPoolManager pool = new WorkerPoolManager(
				PoolOptions.builder(WorkerCommand.exec(command.get(0), command.subList(1, command.size())))
					.count(Integer.parseInt(args[0]))
					.output(null)
					.launcher(launcher)
					.readiness("notify".equals(System.getProperty("readiness")) ? ReadinessCheck.sdNotify()
							: ReadinessCheck.none())
					.build());
		pool.start();
		System.out.println("PIDS " + pool.snapshot().workers().stream().map((worker) -> String.valueOf(worker.pid()))
			.collect(Collectors.joining(",")));
		System.out.flush();
		// The pool's supervisor thread keeps this JVM alive until it is killed.
	}

}
