package io.cfork;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What {@code /proc} says about processes, for assertions on real workers.
 */
final class Proc {

	private Proc() {
	}

	/** Live (or zombie) processes whose environment names the given master. */
	static List<Long> workersOf(long masterPid) {
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

	static Map<String, String> environment(long pid) {
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
	static String[] stat(long pid) {
		try {
			String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
			return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		}
		catch (IOException ex) {
			return new String[0];
		}
	}

	static long parent(long pid) {
		return Long.parseLong(stat(pid)[1]);
	}

	/** This JVM's children that are zombies (exited, not reaped). */
	static List<Long> zombieChildren() {
		return ProcessHandle.current()
			.children()
			.map(ProcessHandle::pid)
			.filter((pid) -> stat(pid).length > 0 && "Z".equals(stat(pid)[0]))
			.toList();
	}

	static int openFileDescriptors() {
		try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
			return (int) fds.count();
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** Live threads of this JVM, without the JDK's process reaper threads, which linger 60 s. */
	static int threadsWithoutReapers() {
		return (int) Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> !thread.getName().startsWith("process reaper"))
			.count();
	}

}
