package io.cfork;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A master in a JVM of its own, for tests that run it under a limit on processes
 * ({@code <count> <launcher> <command...>}): prints {@code STARTED <desired> <alive>} once started
 * (or {@code REFUSED <message>} and exits 2 if the start is refused), then reads commands on stdin,
 * {@code scale N}, and answers each with {@code SCALED <desired> <alive>} or
 * {@code FAILED <exception> <desired> <message>}. SIGTERM stops the pool.
 */
public final class LimitedMaster {

	private LimitedMaster() {
	}

	public static void main(String[] args) throws Exception {
		List<String> command = Arrays.asList(args).subList(2, args.length);
		WorkerPoolManager pool = new WorkerPoolManager(
				PoolOptions.builder(WorkerCommand.exec(command.get(0), command.subList(1, command.size())))
					.count(Integer.parseInt(args[0]))
					.launcher(Launcher.valueOf(args[1]))
					.output(null)
					.build());
		try {
			pool.start();
		}
		catch (InvalidPoolOptionException ex) {
			System.out.println("REFUSED " + ex.getMessage());
			System.exit(2);
		}
		PoolSnapshot started = pool.snapshot();
		System.out.println("STARTED " + started.desired() + " " + started.alive());
		BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
		for (String line = in.readLine(); line != null; line = in.readLine()) {
			if (line.startsWith("scale ")) {
				try {
					PoolSnapshot scaled = pool.scale(Integer.parseInt(line.substring(6).trim())).get(60, TimeUnit.SECONDS);
					System.out.println("SCALED " + scaled.desired() + " " + scaled.alive());
				}
				catch (ExecutionException ex) {
					System.out.println("FAILED " + ex.getCause().getClass().getSimpleName() + " "
							+ pool.snapshot().desired() + " " + ex.getCause().getMessage());
				}
			}
		}
		// stdin closed: the pool's supervisor thread keeps this JVM alive until SIGTERM.
	}

}
