package io.cfork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What {@code /proc} says about processes, for assertions on real workers.
 */
public final class Proc {

	private Proc() {
	}

	/** Live (or zombie) processes whose environment names the given master. */
	public static List<Long> workersOf(long masterPid) {
		String marker = Long.toString(masterPid);
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			return entries.filter((entry) -> entry.getFileName().toString().matches("\\d+"))
				.map((entry) -> Long.parseLong(entry.getFileName().toString()))
				.filter((pid) -> marker.equals(environment(pid).get(WorkerEnvironment.MASTER_PID)))
				.toList();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	public static Map<String, String> environment(long pid) {
		Map<String, String> env = new HashMap<>();
		try {
			for (String entry : Files.readString(Path.of("/proc/" + pid + "/environ")).split("\0")) {
				int equals = entry.indexOf('=');
				if (equals > 0) {
					env.put(entry.substring(0, equals), entry.substring(equals + 1));
				}
			}
		}
		catch (IOException ex) {
			// gone
		}
		return env;
	}

	/** The fields of /proc/pid/stat after the command name: state, ppid, pgrp, session, ... */
	public static String[] stat(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
			return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		}
		catch (IOException ex) {
			return new String[0];
		}
	}

	public static long session(long pid) {
		String[] stat = stat(pid);
		return (stat.length > 3) ? Long.parseLong(stat[3]) : -1;
	}

	/** Live processes of the machine whose session is one of the given ones. */
	public static List<Long> sessionMembers(List<Long> sessions) {
		try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
			return entries.filter((entry) -> entry.getFileName().toString().matches("\\d+"))
				.map((entry) -> Long.parseLong(entry.getFileName().toString()))
				.filter((pid) -> sessions.contains(session(pid)))
				.toList();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Children of this JVM forked by a pool (they carry CFORK_MASTER_PID). */
	public static List<Long> workerChildren() {
		return ProcessHandle.current()
			.children()
			.map(ProcessHandle::pid)
			.filter((pid) -> environment(pid).containsKey(WorkerEnvironment.MASTER_PID))
			.toList();
	}

	/** The process's command name ({@code /proc/<pid>/comm}), or {@code null} if it is gone. */
	public static String command(long pid) {
		try {
			return Files.readString(Path.of("/proc/" + pid + "/comm")).strip();
		}
		catch (IOException ex) {
			return null;
		}
	}

	public static long parent(long pid) {
		return Long.parseLong(stat(pid)[1]);
	}

	/** This JVM's children that are zombies (exited, not reaped). */
	public static List<Long> zombieChildren() {
		return ProcessHandle.current()
			.children()
			.map(ProcessHandle::pid)
			.filter((pid) -> stat(pid).length > 0 && "Z".equals(stat(pid)[0]))
			.toList();
	}

	public static int openFileDescriptors() {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return (int) fds.count();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Threads of this process, as the kernel counts them (the JVM's own included). */
	public static int threads() {
		try {
			return Files.readAllLines(Path.of("/proc/self/status"))
				.stream()
				.filter((line) -> line.startsWith("Threads:"))
				.mapToInt((line) -> Integer.parseInt(line.substring(8).trim()))
				.findFirst()
				.orElseThrow();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Live threads of this JVM, without the JDK's process reaper threads, which linger 60 s. */
	public static int threadsWithoutReapers() {
		return (int) Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> !thread.getName().startsWith("process reaper"))
			.count();
	}

	/**
	 * Stops a pool (if any) and checks that it left nothing: its workers, anything carrying its
	 * mark, no zombie child.
	 */
	public static void stopAndCheckReaped(WorkerPoolManager pool) {
		if (pool != null) {
			List<Long> pids = pool.snapshot().workers().stream().map(WorkerSnapshot::pid)
				.filter((pid) -> pid != null).toList();
			pool.stop();
			org.assertj.core.api.Assertions.assertThat(pids)
				.allSatisfy((pid) -> org.assertj.core.api.Assertions.assertThat(Path.of("/proc/" + pid)).doesNotExist());
			org.assertj.core.api.Assertions.assertThat(workersOf(ProcessHandle.current().pid()))
				.as("processes carrying this master's mark").isEmpty();
		}
		org.assertj.core.api.Assertions.assertThat(zombieChildren()).as("zombie children").isEmpty();
	}

	/** Inodes of the sockets listening on the TCP port, whoever holds them. */
	public static Set<String> listeningSockets(int port) {
		return ListeningSockets.listeningInodes(port);
	}

	/** Inodes of the TCP sockets in the listening state that the process holds, on any port. */
	public static Set<String> listeningSocketsOf(long pid) {
		Set<String> listening = new HashSet<>();
		for (String table : List.of("tcp", "tcp6")) {
			try {
				for (String line : Files.readAllLines(Path.of("/proc/net/" + table))) {
					String[] fields = line.trim().split("\\s+");
					if (fields.length > 9 && "0A".equals(fields[3])) {
						listening.add(fields[9]);
					}
				}
			}
			catch (IOException ex) {
				// no such table
			}
		}
		listening.retainAll(socketInodes(pid).values());
		return listening;
	}

	/** The sockets a process holds: descriptor → inode. */
	public static Map<Integer, String> socketInodes(long pid) {
		Map<Integer, String> sockets = new HashMap<>();
		try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
			fds.forEach((fd) -> {
				try {
					String target = Files.readSymbolicLink(fd).toString();
					if (target.startsWith("socket:[")) {
						sockets.put(Integer.parseInt(fd.getFileName().toString()),
								target.substring(8, target.length() - 1));
					}
				}
				catch (IOException ex) {
					// closed meanwhile
				}
			});
		}
		catch (IOException ex) {
			// gone
		}
		return sockets;
	}

	/**
	 * Waits, a bounded time, for every one of the given processes to be gone.
	 */
	public static void awaitGone(List<Long> pids) {
		org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
			.untilAsserted(() -> org.assertj.core.api.Assertions.assertThat(pids)
				.allSatisfy((pid) -> org.assertj.core.api.Assertions.assertThat(Path.of("/proc/" + pid))
					.as("process %d", pid)
					.doesNotExist()));
	}

}
