package io.cfork.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import io.cfork.LivenessCheck;
import io.cfork.PoolOptions;
import io.cfork.PoolStatus;
import io.cfork.ReadinessCheck;
import io.cfork.WorkerCommand;
import io.cfork.WorkerPoolListener;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerReady;

/**
 * What readiness and liveness cost and how fast they act, with real Python workers; prints one JSON
 * object. Workers stamp {@code time.monotonic_ns()}, the clock of {@link System#nanoTime()}.
 * <ul>
 * <li>{@code ready}: a worker's {@code READY=1} → the pool's {@code workerReady} callback, which runs
 * once the published snapshot shows it RUNNING; each worker says {@code STATUS=<stamp>} and
 * {@code READY=1} in one datagram and exits, and is reforked, over {@code bench.forks} forks.</li>
 * <li>{@code hang}: a worker hangs (stops its watchdog, or stops answering HTTP) → its replacement
 * ready, over {@code bench.hangs} hangs; the worker writes its hang's stamp to a file.</li>
 * <li>{@code cpu}: the master's CPU ({@code /proc/self/stat}) and threads over {@code bench.window}
 * with N HTTP workers under {@code http} liveness every 1 s, after an {@code http} readiness every
 * 100 ms while they start.</li>
 * </ul>
 */
public final class ChecksBench {

	private static final String READY_WORKER = """
			import os, socket, time
			s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
			s.sendto(b'STATUS=%d\\nREADY=1' % time.monotonic_ns(), os.environ['NOTIFY_SOCKET'])
			time.sleep(0.05)
			""";

	/** Ready, then fed or answering for 0.5 s, then hangs (stamped in the file named by argv[1]). */
	private static final String HANG_WORKER = """
			import http.server, os, socket, sys, threading, time
			hung = threading.Event()
			class H(http.server.BaseHTTPRequestHandler):
			    def do_GET(self):
			        if hung.is_set(): time.sleep(3600)
			        self.send_response(200); self.end_headers()
			    def log_message(self, *a): pass
			server = http.server.ThreadingHTTPServer(('127.0.0.1', int(os.environ['PORT'])), H)
			server.daemon_threads = True
			threading.Thread(target=server.serve_forever, daemon=True).start()
			s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
			s.sendto(b'READY=1', os.environ['NOTIFY_SOCKET'])
			end = time.monotonic() + 0.5
			while time.monotonic() < end:
			    s.sendto(b'WATCHDOG=1', os.environ['NOTIFY_SOCKET'])
			    time.sleep(0.1)
			hung.set()
			with open(sys.argv[1], 'w') as f: f.write(str(time.monotonic_ns()))
			time.sleep(3600)
			""";

	private static final String HTTP_WORKER = """
			import http.server, os
			class H(http.server.BaseHTTPRequestHandler):
			    def do_GET(self):
			        self.send_response(200); self.end_headers()
			    def log_message(self, *a): pass
			http.server.HTTPServer(('127.0.0.1', int(os.environ['PORT'])), H).serve_forever()
			""";

	private ChecksBench() {
	}

	public static void main(String[] args) throws Exception {
		Path work = Files.createTempDirectory("cfork-checks-bench");
		String result = switch (args[0]) {
			case "ready" -> ready(work, Integer.getInteger("bench.forks", 200));
			case "hang" -> "{\"watchdog\": " + hang(work, true) + ", \"http\": " + hang(work, false) + "}";
			case "cpu" -> cpu(work, Integer.parseInt(args[1]), Duration.ofSeconds(Long.getLong("bench.window", 60)));
			default -> throw new IllegalArgumentException(args[0]);
		};
		System.out.println(result);
	}

	private static String ready(Path work, int forks) throws Exception {
		Files.writeString(work.resolve("ready.py"), READY_WORKER);
		List<Long> latencies = new CopyOnWriteArrayList<>();
		CountDownLatch done = new CountDownLatch(forks);
		PoolOptions options = notifying(work, List.of("ready.py")).count(2).limit(1_000_000, Duration.ofSeconds(1))
			.build();
		runUntil(options, done, (event, now) -> {
			latencies.add(now - Long.parseLong(event.worker().status()));
			done.countDown();
		});
		return "{\"forks\": " + latencies.size() + ", \"readyToRunningUs\": " + summary(latencies, 1000) + "}";
	}

	private static String hang(Path work, boolean watchdog) throws Exception {
		int hangs = Integer.getInteger("bench.hangs", 5);
		Path stamp = work.resolve("hang-" + watchdog);
		Files.writeString(work.resolve("hang.py"), HANG_WORKER);
		List<Long> latencies = new CopyOnWriteArrayList<>();
		CountDownLatch done = new CountDownLatch(hangs);
		LivenessCheck liveness = watchdog ? LivenessCheck.watchdog(Duration.ofSeconds(1))
				: LivenessCheck.http("http://127.0.0.1:{PORT}/").timing(Duration.ofSeconds(1), Duration.ofMillis(500), 3);
		PoolOptions options = notifying(work, List.of("hang.py", stamp.toString())).count(1)
			.env(Map.of("PORT", Integer.toString(freePort())))
			.liveness(liveness)
			.shutdownTimeout(Duration.ofSeconds(1))
			.build();
		runUntil(options, done, (event, now) -> {
			if (event.worker().restarts() > 0 && done.getCount() > 0) {
				try {
					latencies.add(now - Long.parseLong(Files.readString(stamp).trim()));
				}
				catch (IOException | NumberFormatException ex) {
					throw new IllegalStateException(ex);
				}
				done.countDown();
			}
		});
		String settings = watchdog ? "\"watchdog-timeout 1s\"" : "\"period 1s, timeout 500ms, failure-threshold 3\"";
		return "{\"liveness\": " + settings + ", \"hangs\": " + latencies.size() + ", \"hangToReplacementReadyMs\": "
				+ summary(latencies, 1_000_000) + "}";
	}

	private static String cpu(Path work, int count, Duration window) throws Exception {
		Files.writeString(work.resolve("serve.py"), HTTP_WORKER);
		int base = 20000;
		long startNanos = System.nanoTime();
		WorkerPoolManager pool = new WorkerPoolManager(PoolOptions.builder(
				WorkerCommand.exec("python3", List.of("serve.py")))
			.count(count)
			.workingDirectory(work)
			.env(Map.of("PORT", Integer.toString(base)))
			.incrementEnv(List.of("PORT"))
			.readiness(ReadinessCheck.http("http://127.0.0.1:{PORT}/").interval(Duration.ofMillis(100)))
			.liveness(LivenessCheck.http("http://127.0.0.1:{PORT}/").timing(Duration.ofSeconds(1), Duration.ofMillis(500), 3))
			.output(null)
			.build());
		try {
			long ticksBefore = cpuTicks();
			pool.start();
			while (pool.snapshot().status() != PoolStatus.RUNNING) {
				if (System.nanoTime() - startNanos > TimeUnit.MINUTES.toNanos(3)) {
					throw new IllegalStateException("not ready: " + pool.snapshot().ready());
				}
				Thread.sleep(10);
			}
			double startSeconds = (System.nanoTime() - startNanos) / 1e9;
			long startTicks = cpuTicks() - ticksBefore;
			long before = cpuTicks();
			long start = System.nanoTime();
			Thread.sleep(window.toMillis());
			long ticks = cpuTicks() - before;
			double seconds = (System.nanoTime() - start) / 1e9;
			long failures = pool.snapshot().workers().stream().filter((worker) -> worker.restarts() > 0).count();
			return String.format(Locale.ROOT,
					"{\"workers\": %d, \"allReadyAfterS\": %.1f, \"masterCpuWhileStartingS\": %.2f, "
							+ "\"windowS\": %.0f, \"masterCpuPercent\": %.2f, \"threads\": %d, \"replaced\": %d}",
					count, startSeconds, startTicks / 100.0, seconds, ticks / 100.0 / seconds * 100, threads(), failures);
		}
		finally {
			pool.stop();
		}
	}

	/** Python workers, silent, ready on {@code READY=1}. */
	private static PoolOptions.Builder notifying(Path work, List<String> args) {
		return PoolOptions.builder(WorkerCommand.exec("python3", args))
			.workingDirectory(work)
			.readiness(ReadinessCheck.sdNotify())
			.output(null);
	}

	/**
	 * Runs a pool until {@code done} is counted down (at most 5 minutes), then stops it; each
	 * {@code workerReady} goes to {@code ready} with the time it was called.
	 */
	private static void runUntil(PoolOptions options, CountDownLatch done, BiConsumer<WorkerReady, Long> ready)
			throws InterruptedException {
		WorkerPoolManager pool = new WorkerPoolManager(options);
		pool.addListener(new WorkerPoolListener() {
			@Override
			public void workerReady(WorkerReady event) {
				ready.accept(event, System.nanoTime());
			}
		});
		pool.start();
		try {
			done.await(5, TimeUnit.MINUTES);
		}
		finally {
			pool.stop();
		}
	}

	private static String summary(List<Long> values, long unit) {
		List<Long> sorted = new ArrayList<>(values);
		Collections.sort(sorted);
		if (sorted.isEmpty()) {
			return "null";
		}
		long median = sorted.get(sorted.size() / 2);
		long p99 = sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
		return String.format(Locale.ROOT, "{\"median\": %.1f, \"p99\": %.1f, \"min\": %.1f, \"max\": %.1f}",
				median / (double) unit, p99 / (double) unit, sorted.get(0) / (double) unit,
				sorted.get(sorted.size() - 1) / (double) unit);
	}

	/** The master's user and system CPU so far, in clock ticks (1/100 s). */
	private static long cpuTicks() throws IOException {
		String stat = Files.readString(Path.of("/proc/self/stat"));
		String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
	}

	private static int threads() throws IOException {
		return Files.readAllLines(Path.of("/proc/self/status")).stream()
			.filter((line) -> line.startsWith("Threads:"))
			.mapToInt((line) -> Integer.parseInt(line.substring(8).trim()))
			.findFirst()
			.orElse(-1);
	}

	private static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

}
