package io.cfork.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import io.cfork.PoolOptions;
import io.cfork.PoolSnapshot;
import io.cfork.WorkerCommand;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;

/**
 * What sampling the workers' CPU and memory costs the master: N {@code sleep} workers, the
 * master's CPU over a window without sampling (interval 1 h), then with sampling every second,
 * and the sampler thread's own CPU per sample. Prints one JSON object.
 */
public final class ResourceBench {

	private static final String SAMPLER_THREAD = "cfork-supervisor-resources";

	private ResourceBench() {
	}

	public static void main(String[] args) throws Exception {
		int count = Integer.parseInt(args[0]);
		Duration window = Duration.ofSeconds(Long.parseLong(System.getProperty("bench.window", "20")));
		String without = run(count, Duration.ofHours(1), window);
		String with = run(count, Duration.ofSeconds(1), window);
		System.out.println("{\"workers\": " + count + ", \"windowSeconds\": " + window.toSeconds()
				+ ", \"withoutSampling\": " + without + ", \"sampledEverySecond\": " + with + "}");
	}

	private static String run(int count, Duration interval, Duration window) throws Exception {
		AtomicLong samples = new AtomicLong();
		WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
			.count(count)
			.minUptime(Duration.ZERO)
			.resourceInterval(interval)
			.output(null)
			.build());
		pool.addListener(new WorkerPoolListener() {
			@Override
			public void resourcesSampled(PoolSnapshot snapshot) {
				samples.incrementAndGet();
			}
		});
		try {
			pool.start();
			// Past the spawn, and past the first sample.
			Thread.sleep(3000);
			long samplesBefore = samples.get();
			long samplerBefore = samplerCpuNanos();
			long before = cpuTicks();
			long start = System.nanoTime();
			Thread.sleep(window.toMillis());
			long ticks = cpuTicks() - before;
			double seconds = (System.nanoTime() - start) / 1e9;
			long taken = samples.get() - samplesBefore;
			long samplerNanos = samplerCpuNanos() - samplerBefore;
			long sampled = pool.snapshot().workers().stream().filter((worker) -> worker.memory() != null).count();
			return String.format(Locale.ROOT,
					"{\"intervalMs\": %d, \"masterCpuPercent\": %.2f, \"samples\": %d, \"workersWithFigures\": %d, "
							+ "\"samplerCpuMsPerSample\": %.2f, \"processesOnMachine\": %d}",
					interval.toMillis(), ticks / 100.0 / seconds * 100, taken, sampled,
					(taken > 0) ? samplerNanos / 1e6 / taken : 0.0, processes());
		}
		finally {
			pool.stop();
		}
	}

	/** The sampler thread's CPU time so far (0 if it is not there). */
	private static long samplerCpuNanos() {
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
			if (info != null && SAMPLER_THREAD.equals(info.getThreadName())) {
				return Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
			}
		}
		return 0;
	}

	private static long cpuTicks() throws IOException {
		String stat = Files.readString(Path.of("/proc/self/stat"));
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
	}

	private static long processes() throws IOException {
		try (var entries = Files.list(Path.of("/proc"))) {
			return entries.filter((entry) -> entry.getFileName().toString().matches("\\d+")).count();
		}
	}

}
