package io.cfork;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Finds a worker process whose launch failed after it was spawned, by its mark, and kills and
 * reaps it. {@link ProcessBuilder#start()} can throw once the process runs (no thread left for the
 * JDK's reaper): the JDK then holds no handle on it, so it would run untracked and end a zombie.
 * One that already died has no environment left to tell it by: a zombie child of the master that
 * the failed launch started, under a name of the launch's, is reaped. Runs on the thread that
 * launched it, without starting a thread.
 */
final class LostProcesses {

	private static final long REAP_WAIT_MILLIS = 2000;

	private LostProcesses() {
	}

	/**
	 * Kills and reaps the processes carrying a worker's mark, and reaps the launch's process if it
	 * has died already.
	 * @param poolId the pool's {@code CFORK_POOL_ID}
	 * @param id the worker's {@code CFORK_WORKER_ID}
	 * @param sinceTicks when the failed launch began, in ticks since boot
	 * @param known the pids of the master's children the launcher still tracks
	 * @param names what the launch's process may be called, as the kernel names processes (at most
	 * 15 characters): the programs it execs in turn
	 * @return what was done, for the launch error, or {@code null} if none was found
	 */
	static @Nullable String killAndReap(String poolId, long id, long sinceTicks, Set<Long> known, Set<String> names) {
		if (!ProcFs.isAvailable()) {
			return null;
		}
		long self = ProcessHandle.current().pid();
		List<String> mark = List.of(WorkerEnvironment.POOL_ID + "=" + poolId, WorkerEnvironment.WORKER_ID + "=" + id);
		List<String> done = new ArrayList<>();
		killMarked(self, mark, done);
		for (long pid : ProcFs.pids()) {
			ProcFs.Stat stat = (pid != self && !known.contains(pid)) ? ProcFs.stat(pid) : null;
			if (stat != null && stat.state() == 'Z' && stat.parent() == self && stat.startTicks() >= sinceTicks
					&& names.contains(stat.name())) {
				done.add("pid " + pid + (reap(pid) ? " had exited, reaped" : " had exited, not reaped"));
			}
		}
		return done.isEmpty() ? null : "the process it had spawned: " + String.join(", ", done);
	}

	private static void killMarked(long self, List<String> mark, List<String> done) {
		for (long pid : ProcFs.pids()) {
			ProcFs.Stat before = (pid != self) ? ProcFs.stat(pid) : null;
			if (before == null || !ProcFs.environmentHolds(pid, mark)) {
				continue;
			}
			ProcFs.Stat after = ProcFs.stat(pid);
			if (after == null || after.startTicks() != before.startTicks()) {
				continue; // gone, or another process with its pid
			}
			Optional<ProcessHandle> process = ProcessHandle.of(pid);
			process.ifPresent(ProcessHandle::destroyForcibly);
			boolean child = before.parent() == self;
			String what = !child ? "killed" : (reap(pid) ? "killed and reaped" : "killed, not reaped");
			done.add("pid " + pid + " found by its mark, " + what);
		}
	}

	/**
	 * Waits for one child by its pid (never {@code waitpid(-1)}), with JNA where it is available.
	 */
	private static boolean reap(long pid) {
		try {
			long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(REAP_WAIT_MILLIS);
			int[] status = new int[1];
			while (System.nanoTime() < deadline) {
				int reaped = LinuxLibc.waitpid((int) pid, status, LinuxLibc.WNOHANG);
				if (reaped == pid) {
					return true;
				}
				if (reaped < 0) {
					return false;
				}
				Thread.sleep(2);
			}
			return false;
		}
		catch (LinkageError ex) {
			return false; // no JNA: it stays a zombie until the master exits
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return false;
		}
	}

}
