package io.cfork.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.cfork.Launcher;
import io.cfork.PoolOptions;
import io.cfork.WorkerCommand;
import io.cfork.WorkerOutput;
import io.cfork.WorkerPoolManager;

/**
 * One launcher, one measure, in a JVM of its own (so that no thread or heap of an earlier pool is
 * counted), as {@code bench/run.py --launchers} runs it; prints one JSON object.
 * <ul>
 * <li>{@code refork <launcher> <N> <refork binary> <fifo> <kills>}: SIGKILL → the replacement's
 * first instruction, in a pool of N, one slot after another. The worker, {@code bench/refork.c},
 * stamps the start of its {@code main} on the clock of {@link System#nanoTime()} and writes it to
 * the FIFO.</li>
 * <li>{@code pool <launcher> <N> captured|silent}: the master's threads, heap and RSS with N
 * {@code sleep} workers, their output captured (to a receiver that drops it) or not.</li>
 * </ul>
 */
public final class LauncherBench {

	private LauncherBench() {
	}

	public static void main(String[] args) throws Exception {
		Launcher launcher = Launcher.valueOf(args[1].toUpperCase(Locale.ROOT));
		if (args[0].equals("refork")) {
			System.out.println(
					refork(launcher, Integer.parseInt(args[2]), args[3], Path.of(args[4]), Integer.parseInt(args[5])));
		}
		else {
			System.out.println(resources(launcher, Integer.parseInt(args[2]), args[3].equals("captured")));
		}
	}

	private static String refork(Launcher launcher, int workers, String refork, Path fifo, int kills)
			throws Exception {
		// Read and write: opening does not wait for a writer, and the FIFO never reads as ended.
		try (FileChannel channel = FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
			BufferedReader stamps = new BufferedReader(
					new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.US_ASCII));
			WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec(refork, List.of("worker")))
				.count(workers)
				.minUptime(Duration.ZERO)
				.backoff(Duration.ZERO, Duration.ZERO)
				.limit(1_000_000, Duration.ofMinutes(1))
				.env(Map.of("STAMP_FIFO", fifo.toString()))
				.output(null)
				.launcher(launcher)
				.build());
			pool.start();
			try {
				for (int i = 0; i < workers; i++) {
					stamps.readLine();
				}
				List<Long> latencies = new ArrayList<>();
				for (int i = 0; i < kills; i++) {
					long pid = pool.snapshot().worker(i % workers).orElseThrow().pid();
					// Found before the clock starts: the C floor's kill(2) has no such step.
					ProcessHandle worker = ProcessHandle.of(pid).orElseThrow();
					long killed = System.nanoTime();
					worker.destroyForcibly();
					String stamp = stamps.readLine();
					latencies.add(Long.parseLong(stamp.substring(stamp.indexOf(' ') + 1)) - killed);
					// As the C floor does: let the pool finish with the exit before the next kill.
					TimeUnit.MILLISECONDS.sleep(10);
				}
				return String.format(Locale.ROOT,
						"{\"workers\": %d, \"kills\": %d, \"medianMs\": %.3f, \"p99Ms\": %.3f}", workers, kills,
						percentile(latencies, 50), percentile(latencies, 99));
			}
			finally {
				pool.stop();
			}
		}
	}

	private static String resources(Launcher launcher, int count, boolean captured) throws Exception {
		WorkerOutput output = captured ? (index, pid, stream, line) -> {
		} : null;
		WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
			.count(count)
			.output(output)
			.launcher(launcher)
			.build());
		long[] before = resources();
		long start = System.nanoTime();
		pool.start();
		double spawnAllMs = (System.nanoTime() - start) / 1e6;
		try {
			while (pool.snapshot().alive() < count) {
				TimeUnit.MILLISECONDS.sleep(10);
			}
			TimeUnit.SECONDS.sleep(1);
			long[] running = resources();
			return String.format(Locale.ROOT,
					"{\"launcher\": \"%s\", \"workers\": %d, \"captured\": %b, \"spawnAllMs\": %.1f, "
							+ "\"javaThreadsBefore\": %d, \"javaThreads\": %d, \"threadsBefore\": %d, \"threads\": %d, "
							+ "\"heapBeforeKb\": %d, \"heapKb\": %d, \"rssBeforeKb\": %d, \"rssKb\": %d}",
					launcher.name().toLowerCase(Locale.ROOT), count, captured, spawnAllMs, before[0], running[0],
					before[1], running[1], before[2], running[2], before[3], running[3]);
		}
		finally {
			pool.stop();
		}
	}

	/** Java threads, threads of the process, heap used after GC (KB), RSS (KB). */
	private static long[] resources() throws IOException {
		System.gc();
		System.gc();
		Runtime runtime = Runtime.getRuntime();
		return new long[] { ManagementFactory.getThreadMXBean().getThreadCount(), status("Threads"),
				(runtime.totalMemory() - runtime.freeMemory()) / 1024, status("VmRSS") };
	}

	private static long status(String key) throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith(key + ":")) {
				return Long.parseLong(line.replaceAll("[^0-9]", ""));
			}
		}
		return -1;
	}

	private static double percentile(List<Long> nanos, int percentile) {
		List<Long> sorted = new ArrayList<>(nanos);
		Collections.sort(sorted);
		int index = Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * percentile / 100.0) - 1);
		return sorted.get(Math.max(0, index)) / 1e6;
	}

}
