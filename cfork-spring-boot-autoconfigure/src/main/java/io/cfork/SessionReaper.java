package io.cfork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills what a worker leaves behind. Each worker leads a session of its own (it is started through
 * {@code setsid}), and its children stay in that session even once the worker has died and they
 * have been reparented. After a worker exits, every process still in its session is an orphan of
 * the pool: it gets SIGKILL.
 * <p>
 * Scanning {@code /proc} costs milliseconds (more with more processes on the machine), so it runs on
 * a thread of its own, never on the supervisor thread, and a little after the exit: a refork never
 * waits for it nor competes with it, and exits close together share one scan.
 */
final class SessionReaper implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(SessionReaper.class);

	private static final Path PROC = Path.of("/proc");

	/** Exits within this delay share one scan, which then does not compete with their reforks. */
	private static final long BATCH_MILLIS = 50;

	private final ScheduledThreadPoolExecutor executor;

	private final Set<Long> pending = new HashSet<>();

	SessionReaper() {
		this.executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "cfork-session-reaper");
			thread.setDaemon(true);
			return thread;
		});
		this.executor.setKeepAliveTime(10, TimeUnit.SECONDS);
		this.executor.allowCoreThreadTimeOut(true);
	}

	/**
	 * Kills, soon, every process left in the session of a worker that has exited.
	 * @param workerPid the exited worker's pid, which is its session's id
	 */
	void reap(long workerPid) {
		synchronized (this.pending) {
			if (this.pending.add(workerPid) && this.pending.size() == 1) {
				this.executor.schedule(this::reapPending, BATCH_MILLIS, TimeUnit.MILLISECONDS);
			}
		}
	}

	private void reapPending() {
		Set<Long> sessions;
		synchronized (this.pending) {
			sessions = Set.copyOf(this.pending);
			this.pending.clear();
		}
		if (!sessions.isEmpty()) {
			killSessions(sessions);
		}
	}

	/**
	 * Kills every process in the given sessions, but for a session whose id a live process holds as
	 * its pid (then the dead worker's pid was reused, and the session is someone else's).
	 * @param sessionIds the session ids
	 * @return how many processes were killed
	 */
	static int killSessions(Set<Long> sessionIds) {
		Set<Long> orphaned = new HashSet<>();
		for (Long sessionId : sessionIds) {
			if (ProcessHandle.of(sessionId).isEmpty()) {
				orphaned.add(sessionId);
			}
		}
		if (orphaned.isEmpty()) {
			return 0;
		}
		List<CompletableFuture<ProcessHandle>> exits = new ArrayList<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC, SessionReaper::isPid)) {
			for (Path entry : entries) {
				if (orphaned.contains(sessionOf(entry))) {
					ProcessHandle.of(Long.parseLong(entry.getFileName().toString()))
						.filter(ProcessHandle::destroyForcibly)
						.ifPresent((process) -> exits.add(process.onExit()));
				}
			}
		}
		catch (IOException ex) {
			logger.debug("Could not scan /proc for the sessions of workers {}", orphaned, ex);
		}
		// SIGKILL cannot be ignored: wait the moment it takes, so that a stopped pool leaves nothing.
		try {
			CompletableFuture.allOf(exits.toArray(CompletableFuture[]::new)).get(5, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			logger.debug("Processes left by workers {} are slow to die", orphaned, ex);
		}
		int killed = exits.size();
		if (killed > 0) {
			logger.warn("Killed {} process(es) left behind by worker(s) {}", killed, orphaned);
		}
		return killed;
	}

	/**
	 * The session id in {@code /proc/<pid>/stat}: the fourth field after the command name, which
	 * is in parentheses and may itself hold spaces and parentheses.
	 */
	private static long sessionOf(Path processDirectory) {
		try {
			String stat = new String(Files.readAllBytes(processDirectory.resolve("stat")), StandardCharsets.UTF_8);
			String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ", 5);
			return Long.parseLong(fields[3]);
		}
		catch (IOException | RuntimeException ex) {
			return -1;
		}
	}

	private static boolean isPid(Path entry) {
		String name = entry.getFileName().toString();
		return !name.isEmpty() && name.chars().allMatch(Character::isDigit);
	}

	/**
	 * Reaps what is pending at once, then stops the thread.
	 */
	@Override
	public void close() {
		this.executor.execute(this::reapPending);
		this.executor.shutdown();
		try {
			this.executor.awaitTermination(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

}
