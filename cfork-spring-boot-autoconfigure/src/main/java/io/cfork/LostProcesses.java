package io.cfork;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;

/**
 * Finds a worker process whose launch failed after it was spawned, by its mark, and kills and
 * reaps it. {@link ProcessBuilder#start()} can throw once the process runs (no thread left for the
 * JDK's reaper): the JDK then holds no handle on it, so it would run untracked and end a zombie.
 * Runs on the thread that launched it, without starting a thread.
 */
final class LostProcesses {

	private static final long REAP_WAIT_MILLIS = 2000;

	private LostProcesses() {
	}

	/**
	 * Kills and reaps the processes carrying a worker's mark.
	 * @param poolId the pool's {@code CFORK_POOL_ID}
	 * @param id the worker's {@code CFORK_WORKER_ID}
	 * @return what was done, for the launch error, or {@code null} if none was found
	 */
	static @Nullable String killAndReap(String poolId, long id) {
		if (!ProcFs.isAvailable()) {
			return null;
		}
		long self = ProcessHandle.current().pid();
		List<String> mark = List.of(WorkerEnvironment.POOL_ID + "=" + poolId, WorkerEnvironment.WORKER_ID + "=" + id);
		List<String> done = new ArrayList<>();
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
			boolean child = process.flatMap(ProcessHandle::parent).map(ProcessHandle::pid).orElse(-1L) == self;
			done.add("pid " + pid + (child ? (reap(pid) ? " killed and reaped" : " killed, not reaped")
					: " killed"));
		}
		return done.isEmpty() ? null : "the process it had spawned, found by its mark: " + String.join(", ", done);
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
