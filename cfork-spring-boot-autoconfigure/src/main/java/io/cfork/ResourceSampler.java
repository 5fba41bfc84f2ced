package io.cfork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples what each live worker costs, every {@code resources.interval}, on one thread for the
 * whole pool, and hands the samples to the supervisor:
 * <ul>
 * <li><b>memory</b>: the resident set ({@code /proc/<pid>/statm}, what {@code ps} and {@code pm2 ls}
 * show) of the worker and of every process of its session, since {@code sh -c} and
 * {@code npm start} workers do their work in children. Pages a worker shares with its children
 * are counted once per process, as {@code ps} does: an upper bound. PSS
 * ({@code smaps_rollup}) would not double count, but costs a page-table walk per process;</li>
 * <li><b>stopped</b>: whether the worker's own process is stopped (SIGSTOP: state {@code T} in
 * {@code /proc/<pid>/stat}, read in the same pass), so the endpoint can tell a frozen worker from
 * a running one;</li>
 * <li><b>CPU</b>: the CPU time ({@code /proc/<pid>/stat}: user and system, with the children each
 * process reaped) the session used over the last interval, in percent of one core; the first
 * sample of a worker covers its life so far. A member that is reaped by a process outside the
 * session (re-parented to init) takes its CPU time with it: that interval reads low, never
 * negative.</li>
 * </ul>
 * Each worker leads its own session (its pid is the session's id), so one pass over
 * {@code /proc/<pid>/stat} of every process finds the members of all sessions at once: the cost of
 * a sample grows with the processes on the machine, not with workers times processes. The sampler
 * reads the pool only through its published snapshot, and never touches a slot: the supervisor
 * applies the samples (and {@code max-memory}) as a task of its own.
 */
final class ResourceSampler implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ResourceSampler.class);

	private final Supplier<PoolSnapshot> published;

	private final Consumer<List<Sample>> sink;

	private final long pageSize = ProcFs.pageSize();

	private final ProcReader proc = new ProcReader();

	private final ScheduledThreadPoolExecutor executor;

	/** The previous sample of each worker, by pid; touched only on the sampler's thread. */
	private Map<Long, Previous> previous = new HashMap<>();

	private boolean failed;

	/**
	 * Starts sampling.
	 * @param interval how often
	 * @param published the pool's latest snapshot: the workers to sample
	 * @param sink receives each round of samples, on the sampler's thread
	 * @param threadName the name of the sampler's thread
	 */
	ResourceSampler(Duration interval, Supplier<PoolSnapshot> published, Consumer<List<Sample>> sink,
			String threadName) {
		this.published = published;
		this.sink = sink;
		this.executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
		this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
		long nanos = interval.toNanos();
		this.executor.scheduleAtFixedRate(this::sampleAndHandOn, nanos, nanos, TimeUnit.NANOSECONDS);
	}

	private void sampleAndHandOn() {
		try {
			List<Sample> samples = sample();
			if (!samples.isEmpty()) {
				this.sink.accept(samples);
			}
		}
		catch (RuntimeException ex) {
			// Never let one failure end the schedule; say so once.
			if (!this.failed) {
				this.failed = true;
				logger.warn("Could not sample the workers' CPU and memory", ex);
			}
		}
	}

	/**
	 * Samples every live worker of the published snapshot, with its session.
	 * @return a sample per worker whose process leads its session (a worker still being launched
	 * does not yet)
	 */
	List<Sample> sample() {
		Map<Long, Session> sessions = new HashMap<>();
		for (WorkerSnapshot worker : this.published.get().workers()) {
			if (worker.pid() != null) {
				sessions.put(worker.pid(), new Session(worker.index(), worker.id(), worker.pid()));
			}
		}
		if (sessions.isEmpty()) {
			this.previous = new HashMap<>();
			return List.of();
		}
		long nanos = System.nanoTime();
		for (long pid : ProcFs.pids()) {
			ProcReader.Usage usage = this.proc.usage(pid);
			Session session = (usage != null) ? sessions.get(usage.session()) : null;
			if (session == null) {
				continue;
			}
			session.cpuTicks += usage.cpuTicks();
			if (pid == session.pid) {
				session.startTicks = usage.startTicks();
				session.stopped = usage.state() == 'T' || usage.state() == 't';
			}
			if (usage.state() != 'Z') {
				session.pages += Math.max(0, this.proc.residentPages(pid));
			}
		}
		Map<Long, Previous> next = new HashMap<>();
		List<Sample> samples = new ArrayList<>(sessions.size());
		for (Session session : sessions.values()) {
			if (session.startTicks < 0) {
				continue;
			}
			Previous before = this.previous.get(session.pid);
			double cpu;
			if (before != null && before.startTicks() == session.startTicks) {
				cpu = percent(session.cpuTicks - before.cpuTicks(), nanos - before.nanos());
			}
			else {
				long lived = ProcFs.ticksAt(nanos) - session.startTicks;
				cpu = percent(session.cpuTicks, lived * (1_000_000_000L / ProcFs.TICKS_PER_SECOND));
			}
			next.put(session.pid, new Previous(session.startTicks, session.cpuTicks, nanos));
			samples.add(new Sample(session.index, session.id, cpu, session.pages * this.pageSize, session.stopped));
		}
		this.previous = next;
		return samples;
	}

	/**
	 * CPU time as a percentage of one core over a span of time.
	 * @param ticks CPU time, in ticks
	 * @param nanos the span
	 * @return the percentage; 0 for no span or a negative time (a member's time left with it)
	 */
	static double percent(long ticks, long nanos) {
		if (ticks <= 0 || nanos <= 0) {
			return 0;
		}
		return ticks * 100.0 * 1_000_000_000L / ProcFs.TICKS_PER_SECOND / nanos;
	}

	/**
	 * Stops sampling and waits for a sample under way.
	 */
	@Override
	public void close() {
		this.executor.shutdownNow();
		try {
			this.executor.awaitTermination(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * One worker's sample.
	 *
	 * @param index its slot
	 * @param id its fork id: a sample of a process the slot no longer holds is dropped
	 * @param cpu percent of one core, over the last interval (or its life so far, for its first)
	 * @param memory resident set with its session, in bytes
	 * @param stopped whether the worker's process is stopped (state {@code T}: SIGSTOP, SIGTSTP)
	 */
	record Sample(int index, long id, double cpu, long memory, boolean stopped) {
	}

	private record Previous(long startTicks, long cpuTicks, long nanos) {
	}

	/** A worker's session, summed up over one pass of {@code /proc}. */
	private static final class Session {

		final int index;

		final long id;

		final long pid;

		/** The worker's start time, once it was seen leading its session. */
		long startTicks = -1;

		long cpuTicks;

		long pages;

		boolean stopped;

		Session(int index, long id, long pid) {
			this.index = index;
			this.id = id;
			this.pid = pid;
		}

	}

}
