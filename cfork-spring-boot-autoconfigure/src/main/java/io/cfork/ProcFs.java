package io.cfork;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * What Linux's {@code /proc} says about processes: their session, start time and environment.
 * Every read tolerates a process that is gone by the time it is read.
 */
final class ProcFs {

	static final Path PROC = Path.of("/proc");

	/**
	 * Clock ticks per second of {@code /proc/<pid>/stat}'s start time: {@code USER_HZ}, 100 on every
	 * architecture the JDK runs on under Linux.
	 */
	static final long TICKS_PER_SECOND = 100;

	private static final long NANOS_PER_TICK = 1_000_000_000L / TICKS_PER_SECOND;

	/** The auxiliary vector's entry for the page size. */
	private static final long AT_PAGESZ = 6;

	private static final long DEFAULT_PAGE_SIZE = 4096;

	/** The boot clock in ticks at {@link #baseNanos}, to turn {@code System.nanoTime()} into ticks. */
	private static final long baseTicks = uptimeTicks();

	private static final long baseNanos = System.nanoTime();

	private ProcFs() {
	}

	static boolean isAvailable() {
		return Files.isReadable(PROC.resolve("self/stat"));
	}

	/**
	 * The boot clock, in the ticks of a process's start time, at the given {@code System.nanoTime()}.
	 * @param nanos a {@code System.nanoTime()} reading
	 * @return the ticks since boot
	 */
	static long ticksAt(long nanos) {
		return baseTicks + Math.floorDiv(nanos - baseNanos, NANOS_PER_TICK);
	}

	/**
	 * Every process id, this process's own included.
	 * @return the pids
	 */
	static List<Long> pids() {
		List<Long> pids = new ArrayList<>();
		try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC)) {
			for (Path entry : entries) {
				String name = entry.getFileName().toString();
				if (!name.isEmpty() && name.chars().allMatch(Character::isDigit)) {
					pids.add(Long.parseLong(name));
				}
			}
		}
		catch (IOException ex) {
			// No /proc: nothing to tell.
		}
		return pids;
	}

	/**
	 * A process's name, state, parent, session and start time, from {@code /proc/<pid>/stat}.
	 * @param pid the process
	 * @return what it says, or {@code null} if the process is gone
	 */
	static @Nullable Stat stat(long pid) {
		try {
			String stat = new String(Files.readAllBytes(PROC.resolve(pid + "/stat")), StandardCharsets.UTF_8);
			// The command name is in parentheses and may itself hold spaces and parentheses.
			int close = stat.lastIndexOf(')');
			String[] fields = stat.substring(close + 2).split(" ", 21);
			return new Stat(stat.substring(stat.indexOf('(') + 1, close), fields[0].charAt(0),
					Long.parseLong(fields[1]), Long.parseLong(fields[3]), Long.parseLong(fields[19]));
		}
		catch (IOException | RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Whether a process's environment (as it was at exec) holds every one of the given entries.
	 * @param pid the process
	 * @param entries {@code NAME=value} entries
	 * @return whether it holds them all; {@code false} if it is gone or not readable
	 */
	static boolean environmentHolds(long pid, List<String> entries) {
		byte[] environ;
		try {
			environ = Files.readAllBytes(PROC.resolve(pid + "/environ"));
		}
		catch (IOException | RuntimeException ex) {
			return false;
		}
		String text = new String(environ, StandardCharsets.UTF_8);
		for (String entry : entries) {
			if (!text.startsWith(entry + "\0") && !text.contains("\0" + entry + "\0")) {
				return false;
			}
		}
		return true;
	}

	private static long uptimeTicks() {
		try {
			String uptime = Files.readString(PROC.resolve("uptime"));
			double seconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
			return (long) (seconds * TICKS_PER_SECOND);
		}
		catch (IOException | RuntimeException ex) {
			return 0;
		}
	}

	/**
	 * What {@code /proc/<pid>/stat} says.
	 *
	 * @param name its command name, as the kernel keeps it (at most 15 characters)
	 * @param state the state letter ({@code R}, {@code S}, {@code T} stopped, {@code Z} zombie, ...)
	 * @param parent its parent's pid
	 * @param session the session id
	 * @param startTicks when the process started, in ticks since boot
	 */
	record Stat(String name, char state, long parent, long session, long startTicks) {
	}

	/**
	 * The size of a page of {@code /proc/<pid>/statm}: the kernel's {@code AT_PAGESZ}, as it gave it
	 * to this process in {@code /proc/self/auxv} (the JDK has no public API for it).
	 * @return the page size in bytes; 4096 if it cannot be read
	 */
	static long pageSize() {
		try {
			ByteBuffer auxv = ByteBuffer.wrap(Files.readAllBytes(PROC.resolve("self/auxv")))
				.order(ByteOrder.nativeOrder());
			boolean wide = !"32".equals(System.getProperty("sun.arch.data.model"));
			int entry = wide ? 16 : 8;
			while (auxv.remaining() >= entry) {
				long type = wide ? auxv.getLong() : auxv.getInt();
				long value = wide ? auxv.getLong() : Integer.toUnsignedLong(auxv.getInt());
				if (type == AT_PAGESZ && value >= 1024 && Long.bitCount(value) == 1) {
					return value;
				}
				if (type == 0) {
					break;
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			// Not readable: the page size of every common Linux architecture.
		}
		return DEFAULT_PAGE_SIZE;
	}

}
