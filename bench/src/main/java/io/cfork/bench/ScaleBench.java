package io.cfork.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import io.cfork.Launcher;
import io.cfork.PoolOptions;
import io.cfork.WorkerCommand;
import io.cfork.WorkerForked;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;

/**
 * Ours alone with trivial workers ({@code sleep}): time to spawn N, refork latency over many
 * SIGKILLs, the master's threads, heap and RSS per worker, idle CPU, and the JDK's spawn floor on
 * this machine. Prints one JSON object.
 */
public final class ScaleBench {

	private ScaleBench() {
	}

	public static void main(String[] args) throws Exception {
		int kills = Integer.parseInt(System.getProperty("bench.kills", "500"));
		StringBuilder json = new StringBuilder("{\"launchMechanism\": \"")
			.append(System.getProperty("jdk.lang.Process.launchMechanism", "POSIX_SPAWN"))
			.append("\", \"floor\": ")
			.append(floor(List.of("/bin/true")))
			.append(", \"floorWrapped\": ")
			.append(floor(List.of("/usr/bin/setpriv", "--pdeathsig", "KILL", "--", "/usr/bin/setsid", "/bin/true")))
			.append(", \"pools\": [");
		for (int i = 0; i < args.length; i++) {
			json.append((i > 0) ? ", " : "").append(pool(Integer.parseInt(args[i]), kills));
		}
		System.out.println(json.append("]}"));
	}

	private static String pool(int count, int kills) throws Exception {
		List<Long> latencies = new CopyOnWriteArrayList<>();
		WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
			.count(count)
			.minUptime(Duration.ZERO)
			.backoff(Duration.ZERO, Duration.ZERO)
			.limit(1_000_000, Duration.ofMinutes(1))
			.output(null)
			// The JDK launcher, whose spawn floor and launch mechanisms this measures; see LauncherBench.
			.launcher(Launcher.JDK)
			.build());
		pool.addListener(new WorkerPoolListener() {
			@Override
			public void workerForked(WorkerForked event) {
				if (event.reforkLatency() != null) {
					latencies.add(event.reforkLatency().toNanos());
				}
			}
		});
		try {
			return measure(pool, count, kills, latencies);
		}
		finally {
			pool.stop();
		}
	}

	private static String measure(WorkerPoolManager pool, int count, int kills, List<Long> latencies)
			throws Exception {
		long[] before = resources();
		long start = System.nanoTime();
		pool.start();
		double spawnAllMs = (System.nanoTime() - start) / 1e6;
		long[] running = resources();
		double idleCpu = idleCpuPercent(Duration.ofSeconds(5));
		List<Long> outside = new ArrayList<>();
		for (int i = 0; i < kills; i++) {
			int index = (int) ((long) i * 7919 % count);
			long pid = pool.snapshot().worker(index).orElseThrow().pid();
			long killed = System.nanoTime();
			ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
			Long current = pid;
			while (current == null || current == pid) {
				// Parked, not spinning: on 2 cores a spinning waiter would slow what it measures.
				LockSupport.parkNanos(20_000);
				current = pool.snapshot().worker(index).orElseThrow().pid();
			}
			outside.add(System.nanoTime() - killed);
		}
		return String.format(Locale.ROOT,
				"{\"workers\": %d, \"spawnAllMs\": %.1f, \"reforkMedianMs\": %.3f, \"reforkP99Ms\": %.3f, "
						+ "\"killToNewPidMedianMs\": %.3f, \"killToNewPidP99Ms\": %.3f, \"kills\": %d, "
						+ "\"threadsBefore\": %d, \"threads\": %d, \"heapBeforeKb\": %d, \"heapKb\": %d, "
						+ "\"rssBeforeKb\": %d, \"rssKb\": %d, \"idleCpuPercent\": %.2f}",
				count, spawnAllMs, percentile(latencies, 50), percentile(latencies, 99), percentile(outside, 50),
				percentile(outside, 99), kills, before[0], running[0], before[1], running[1], before[2], running[2],
				idleCpu);
	}

	/** Threads, heap used after GC (KB), RSS (KB). */
	private static long[] resources() throws IOException {
		System.gc();
		System.gc();
		Runtime runtime = Runtime.getRuntime();
		return new long[] { ManagementFactory.getThreadMXBean().getThreadCount(),
				(runtime.totalMemory() - runtime.freeMemory()) / 1024, status("VmRSS") };
	}

	private static double idleCpuPercent(Duration window) throws Exception {
		long before = cpuTicks();
		long start = System.nanoTime();
		Thread.sleep(window.toMillis());
		long ticks = cpuTicks() - before;
		double seconds = (System.nanoTime() - start) / 1e9;
		return ticks / 100.0 / seconds * 100;
	}

	private static long cpuTicks() throws IOException {
		String stat = Files.readString(Path.of("/proc/self/stat"));
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
	}

	private static long status(String key) throws IOException {
		for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
			if (line.startsWith(key + ":")) {
				return Long.parseLong(line.replaceAll("[^0-9]", ""));
			}
		}
		return -1;
	}

	private static String floor(List<String> command) throws Exception {
		List<Long> times = new ArrayList<>();
		for (int i = 0; i < 300; i++) {
			long start = System.nanoTime();
			new ProcessBuilder(command).start().waitFor();
			if (i >= 50) {
				times.add(System.nanoTime() - start);
			}
		}
		return String.format(Locale.ROOT, "{\"medianMs\": %.3f, \"p99Ms\": %.3f}", percentile(times, 50),
				percentile(times, 99));
	}

	private static double percentile(List<Long> nanos, int percentile) {
		if (nanos.isEmpty()) {
			return Double.NaN;
		}
		List<Long> sorted = new ArrayList<>(nanos);
		Collections.sort(sorted);
		int index = Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * percentile / 100.0) - 1);
		return sorted.get(Math.max(0, index)) / 1e6;
	}

}
