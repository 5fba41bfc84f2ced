package io.cfork;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills what a worker leaves behind when it dies, and what the pool leaves when it stops — and
 * nothing else:
 * <ul>
 * <li>the members of a dead worker's session (each worker leads one) that started before it died:
 * a process that reused the worker's pid afterwards and started a session of its own, and that
 * session's members, are spared;</li>
 * <li>any process carrying the dead worker's mark ({@code CFORK_POOL_ID} of this pool and its
 * {@code CFORK_WORKER_ID}, inherited from the worker), wherever it went: a daemon that left the
 * session with {@code setsid} included;</li>
 * <li>when the pool stops, any process still carrying the pool's mark.</li>
 * </ul>
 * A process's environment is read from {@code /proc/<pid>/environ}, which shows it as it was at
 * exec and only for processes of the same user: a process that cleared its environment before an
 * exec, or changed user, carries no mark.
 * <p>
 * Scanning {@code /proc} costs milliseconds (more with more processes on the machine), so it runs
 * on a thread of its own, never on the supervisor thread, and a little after an exit: a refork never
 * waits for it, and exits close together share one scan. Victims are waited for by polling, not
 * with a thread each.
 */
final class LeftoverReaper implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(LeftoverReaper.class);

	/** Exits within this delay share one scan, which then does not compete with their reforks. */
	private static final long BATCH_MILLIS = 50;

	private static final long DEATH_WAIT_MILLIS = 5000;

	private final String poolId;

	/** Processes that started before the pool did cannot carry its mark. */
	private final long poolStartTicks;

	private final ScheduledThreadPoolExecutor executor;

	private final List<Dead> pending = new ArrayList<>();

	/**
	 * Creates a reaper for one pool.
	 * @param poolId the pool's {@code CFORK_POOL_ID}
	 */
	LeftoverReaper(String poolId) {
		this.poolId = poolId;
		this.poolStartTicks = ProcFs.ticksAt(System.nanoTime()) - 1;
		this.executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "cfork-reaper");
			thread.setDaemon(true);
			return thread;
		});
		// Started now and kept: a thread created on demand would be refused, inside the supervisor's
		// task, just when workers die for want of pids.
		this.executor.prestartCoreThread();
	}

	/**
	 * Kills, soon, what a dead worker left: its session's members that started before it died, and
	 * the processes carrying its mark.
	 * @param pid the worker's pid, which is its session's id
	 * @param id the worker's fork id ({@code CFORK_WORKER_ID})
	 * @param diedNanos when its death was seen ({@code System.nanoTime()})
	 */
	void reap(long pid, long id, long diedNanos) {
		synchronized (this.pending) {
			this.pending.add(new Dead(pid, id, ProcFs.ticksAt(diedNanos)));
			if (this.pending.size() == 1) {
				this.executor.schedule(this::reapPending, BATCH_MILLIS, TimeUnit.MILLISECONDS);
			}
		}
	}

	private void reapPending() {
		List<Dead> dead;
		synchronized (this.pending) {
			dead = List.copyOf(this.pending);
			this.pending.clear();
		}
		if (!dead.isEmpty()) {
			kill(leftoversOf(dead), "left behind by worker(s) " + dead.stream().map(Dead::pid).toList());
		}
	}

	/**
	 * What the given dead workers left: the processes to kill, by pid, with the start time they had
	 * when they were chosen.
	 */
	Map<Long, Long> leftoversOf(List<Dead> dead) {
		Map<Long, Dead> bySession = new HashMap<>();
		dead.forEach((worker) -> bySession.put(worker.pid(), worker));
		Map<Long, Long> victims = new HashMap<>();
		long self = ProcessHandle.current().pid();
		for (long pid : ProcFs.pids()) {
			ProcFs.Stat stat = (pid != self) ? ProcFs.stat(pid) : null;
			if (stat == null || stat.state() == 'Z' || stat.startTicks() < this.poolStartTicks) {
				continue;
			}
			Dead leader = bySession.get(stat.session());
			if (leader != null && stat.startTicks() <= leader.diedTicks()) {
				victims.put(pid, stat.startTicks());
				continue;
			}
			for (Dead worker : dead) {
				if (ProcFs.environmentHolds(pid, List.of(WorkerEnvironment.POOL_ID + "=" + this.poolId,
						WorkerEnvironment.WORKER_ID + "=" + worker.id()))) {
					victims.put(pid, stat.startTicks());
					break;
				}
			}
		}
		return victims;
	}

	/**
	 * What still carries the pool's mark.
	 */
	Map<Long, Long> leftoversOfPool() {
		Map<Long, Long> victims = new HashMap<>();
		long self = ProcessHandle.current().pid();
		List<String> mark = List.of(WorkerEnvironment.POOL_ID + "=" + this.poolId);
		for (long pid : ProcFs.pids()) {
			ProcFs.Stat stat = (pid != self) ? ProcFs.stat(pid) : null;
			if (stat != null && stat.state() != 'Z' && stat.startTicks() >= this.poolStartTicks
					&& ProcFs.environmentHolds(pid, mark)) {
				victims.put(pid, stat.startTicks());
			}
		}
		return victims;
	}

	/**
	 * SIGKILLs each victim that is still the process it was when chosen, and waits a moment for them
	 * all to die: SIGKILL cannot be ignored, so a stopped pool leaves nothing.
	 * @return how many were killed
	 */
	static int kill(Map<Long, Long> victims, String what) {
		List<ProcessHandle> killed = new ArrayList<>();
		List<Long> failed = new ArrayList<>();
		victims.forEach((pid, startTicks) -> {
			ProcFs.Stat now = ProcFs.stat(pid);
			if (now == null || now.startTicks() != startTicks) {
				return; // gone, or its pid reused since it was chosen
			}
			// The JDK checks the start time it read here again before it signals.
			Optional<ProcessHandle> process = ProcessHandle.of(pid);
			if (process.isPresent() && process.get().destroyForcibly()) {
				killed.add(process.get());
			}
			else if (process.isPresent()) {
				failed.add(pid);
			}
		});
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DEATH_WAIT_MILLIS);
		while (killed.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
			try {
				Thread.sleep(5);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		List<Long> survivors = killed.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
		if (!killed.isEmpty()) {
			logger.warn("Killed {} process(es) {}", killed.size(), what);
		}
		if (!failed.isEmpty() || !survivors.isEmpty()) {
			logger.warn("Could not kill process(es) {} {} (still alive after SIGKILL: {})", failed, what, survivors);
		}
		return killed.size();
	}

	/**
	 * Reaps what is pending at once, kills what still carries the pool's mark, then stops the
	 * thread.
	 */
	@Override
	public void close() {
		this.executor.execute(this::reapPending);
		this.executor.execute(() -> kill(leftoversOfPool(), "still carrying the mark of the stopped pool"));
		this.executor.shutdown();
		try {
			this.executor.awaitTermination(15, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * A dead worker.
	 *
	 * @param pid its pid, its session's id
	 * @param id its fork id
	 * @param diedTicks when its death was seen, in ticks since boot
	 */
	record Dead(long pid, long id, long diedTicks) {
	}

}
