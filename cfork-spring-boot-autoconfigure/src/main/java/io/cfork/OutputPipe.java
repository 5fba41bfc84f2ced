package io.cfork;

import java.nio.charset.Charset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.jspecify.annotations.Nullable;

/**
 * The master's end of one output stream of a natively launched worker: the {@link ChildWatcher}
 * reads it and splits what it reads into lines, which wait here until the {@link OutputRelay} hands
 * them on. Lines end at a line feed ({@code \r\n} is one end), or after {@value #MAX_LINE} bytes,
 * as {@link OutputPump} splits them.
 * <p>
 * A slow receiver of the lines (a blocked log appender) never delays the watcher, and so never the
 * report of an exit: once {@value #BUDGET} characters wait here, the watcher stops reading this pipe
 * until the relay has handed half of them on. The worker then fills the kernel's pipe buffer and
 * blocks in {@code write}: its output is throttled, not dropped, and no other worker is.
 */
final class OutputPipe {

	static final int MAX_LINE = 16 * 1024;

	/** Characters of lines waiting for the relay past which the pipe is not read. */
	static final int BUDGET = 64 * 1024;

	/** A line buffer grown past this is given back once its line is out. */
	private static final int KEPT_LINE_BUFFER = 1024;

	final int fd;

	final long token;

	private final int index;

	private final long pid;

	private final WorkerOutput.Stream stream;

	private final OutputRelay relay;

	private final Charset charset = Charset.defaultCharset();

	// Read and written by the watcher's thread only.
	private byte[] line = new byte[256];

	private int length;

	private final @Nullable ErrorLines errorLines;

	// Guarded by this.
	private final ArrayDeque<String> waiting = new ArrayDeque<>();

	private int waitingChars;

	private boolean scheduled;

	private boolean paused;

	private boolean closed;

	OutputPipe(int fd, long token, int index, long pid, WorkerOutput.Stream stream, OutputRelay relay) {
		this.fd = fd;
		this.token = token;
		this.index = index;
		this.pid = pid;
		this.stream = stream;
		this.relay = relay;
		this.errorLines = (stream == WorkerOutput.Stream.STDERR) ? new ErrorLines() : null;
	}

	/**
	 * Of the lines read so far from standard error, whether or not handed on yet, the one that best
	 * says why the worker died ({@link ErrorLines}).
	 * @return the line, or {@code null} if none was read or this pipe is standard output
	 */
	@Nullable String errorLine() {
		return (this.errorLines != null) ? this.errorLines.best() : null;
	}

	/**
	 * Takes bytes read from the pipe (the watcher's thread).
	 * @param bytes the bytes
	 * @param count how many of them were read
	 * @return whether to go on reading the pipe; {@code false} when too many lines wait, in which
	 * case the relay resumes the reading ({@link ChildWatcher#resume(OutputPipe)}) once it caught up
	 */
	boolean received(byte[] bytes, int count) {
		List<String> lines = null;
		for (int i = 0; i < count; i++) {
			byte b = bytes[i];
			if (b == '\n' || this.length == MAX_LINE) {
				if (lines == null) {
					lines = new ArrayList<>();
				}
				lines.add(takeLine());
				if (b == '\n') {
					continue;
				}
			}
			if (this.length == this.line.length) {
				this.line = Arrays.copyOf(this.line, Math.min(this.line.length * 2, MAX_LINE));
			}
			this.line[this.length++] = b;
		}
		return (lines == null) || queue(lines);
	}

	/**
	 * The pipe reached its end (the watcher's thread): what is left is the last line.
	 */
	void ended() {
		if (this.length > 0) {
			queue(List.of(takeLine()));
		}
	}

	/**
	 * Hands on waiting lines (the relay's thread), in order.
	 * @param output where they go
	 * @param quota how many at most, so that one chatty worker does not hold up the others
	 * @return whether lines are left, in which case the pipe is still scheduled with the relay
	 */
	boolean deliver(WorkerOutput output, int quota) {
		for (int i = 0; i < quota; i++) {
			String text;
			boolean resume = false;
			synchronized (this) {
				text = this.waiting.poll();
				if (text == null) {
					this.scheduled = false;
				}
				else {
					this.waitingChars -= text.length();
				}
				if (this.paused && this.waitingChars <= BUDGET / 2) {
					this.paused = false;
					resume = !this.closed;
				}
			}
			if (resume) {
				this.relay.resume(this);
			}
			if (text == null) {
				return false;
			}
			try {
				output.line(this.index, this.pid, this.stream, text);
			}
			catch (RuntimeException ex) {
				// A failing receiver must not stop the draining of the pipe.
			}
		}
		return true;
	}

	/**
	 * Runs an action on the pipe's descriptor unless the pipe was closed, with closing held off
	 * meanwhile (a closed descriptor's number may already belong to another file).
	 * @param action what to do with the descriptor
	 */
	synchronized void ifOpen(Runnable action) {
		if (!this.closed) {
			action.run();
		}
	}

	/**
	 * Marks the pipe closed and closes its descriptor, once.
	 * @param closer closes the descriptor
	 */
	synchronized void close(Runnable closer) {
		if (!this.closed) {
			this.closed = true;
			closer.run();
		}
	}

	private boolean queue(List<String> lines) {
		boolean schedule;
		boolean keepReading;
		synchronized (this) {
			for (String text : lines) {
				this.waiting.add(text);
				this.waitingChars += text.length();
			}
			schedule = !this.scheduled;
			this.scheduled = true;
			this.paused = this.waitingChars >= BUDGET;
			keepReading = !this.paused;
		}
		if (schedule) {
			this.relay.schedule(this);
		}
		return keepReading;
	}

	private String takeLine() {
		int end = (this.length > 0 && this.line[this.length - 1] == '\r') ? this.length - 1 : this.length;
		String text = new String(this.line, 0, end, this.charset);
		this.length = 0;
		if (this.line.length > KEPT_LINE_BUFFER) {
			this.line = new byte[256];
		}
		if (this.errorLines != null) {
			this.errorLines.add(text);
		}
		return text;
	}

}
