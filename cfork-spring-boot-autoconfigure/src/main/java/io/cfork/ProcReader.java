package io.cfork;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;

import org.jspecify.annotations.Nullable;

/**
 * Reads the two small {@code /proc} files the resource sampler needs for every process, every
 * interval: {@code /proc/<pid>/stat} and {@code /proc/<pid>/statm}. Into one reused buffer, parsed
 * in place with no string made: at 1000 workers and more a sample reads thousands of them, and
 * {@code Files.readAllBytes} with {@code String.split} cost twice the time and megabytes of
 * garbage a second. Not thread-safe: one per sampler thread.
 */
final class ProcReader {

	/** Both files are one line, well under this (a command name is at most 64 bytes). */
	private final ByteBuffer buffer = ByteBuffer.allocate(1024);

	/**
	 * A process's state, session, start time and CPU time, from {@code /proc/<pid>/stat}.
	 * @param pid the process
	 * @return what it says, or {@code null} if the process is gone
	 */
	@Nullable Usage usage(long pid) {
		int length = read(pid, "stat");
		byte[] line = this.buffer.array();
		// The command name is in parentheses and may itself hold spaces and parentheses.
		int close = length - 1;
		while (close >= 0 && line[close] != ')') {
			close--;
		}
		if (close < 0 || close + 2 >= length) {
			return null;
		}
		char state = (char) line[close + 2];
		long session = -1;
		long startTicks = -1;
		long cpuTicks = 0;
		int start = close + 2;
		// Fields after the command name, from 0: state, ppid, pgrp, session (3), ..., utime (11),
		// stime, cutime, cstime (14), ..., starttime (19).
		for (int field = 0; field <= 19 && start < length; field++) {
			int end = start;
			while (end < length && line[end] != ' ') {
				end++;
			}
			if (field == 3) {
				session = number(line, start, end);
			}
			else if (field >= 11 && field <= 14) {
				cpuTicks += Math.max(0, number(line, start, end));
			}
			else if (field == 19) {
				startTicks = number(line, start, end);
			}
			start = end + 1;
		}
		return (session >= 0 && startTicks >= 0) ? new Usage(state, session, startTicks, cpuTicks) : null;
	}

	/**
	 * A process's resident set, in pages, from {@code /proc/<pid>/statm} (its second field).
	 * @param pid the process
	 * @return the pages, or {@code -1} if the process is gone
	 */
	long residentPages(long pid) {
		int length = read(pid, "statm");
		byte[] line = this.buffer.array();
		int start = 0;
		while (start < length && line[start] != ' ') {
			start++;
		}
		int end = ++start;
		while (end < length && line[end] >= '0' && line[end] <= '9') {
			end++;
		}
		return (end > start) ? number(line, start, end) : -1;
	}

	/**
	 * Reads {@code /proc/<pid>/<file>} into the buffer.
	 * @return its length, 0 if it could not be read
	 */
	private int read(long pid, String file) {
		this.buffer.clear();
		try (FileChannel channel = FileChannel.open(ProcFs.PROC.resolve(Path.of(Long.toString(pid), file)))) {
			while (this.buffer.hasRemaining() && channel.read(this.buffer) > 0) {
				// Reads to the end: /proc answers a small file in one read.
			}
			return this.buffer.position();
		}
		catch (IOException | RuntimeException ex) {
			return 0;
		}
	}

	/** A non-negative decimal number, or -1 if the bytes are not one. */
	private static long number(byte[] bytes, int start, int end) {
		if (start >= end) {
			return -1;
		}
		long value = 0;
		for (int i = start; i < end; i++) {
			int digit = bytes[i] - '0';
			if (digit < 0 || digit > 9) {
				return -1;
			}
			value = value * 10 + digit;
		}
		return value;
	}

	/**
	 * What {@code /proc/<pid>/stat} says of a process's resources.
	 *
	 * @param state the state letter ({@code Z}: a zombie)
	 * @param session the session id
	 * @param startTicks when the process started, in ticks since boot
	 * @param cpuTicks the CPU time it used, user and system, with that of the children it reaped,
	 * in ticks ({@link ProcFs#TICKS_PER_SECOND})
	 */
	record Usage(char state, long session, long startTicks, long cpuTicks) {
	}

}
