package io.cfork;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * Reads one of a worker's output streams on a thread of its own and hands it on line by line. It
 * drains the pipe so the worker never blocks on a full pipe, and it is never waited for: a
 * grandchild that keeps the pipe open cannot hold up the handling of the worker's exit. Of standard
 * error it remembers the line that best says why the worker died ({@link ErrorLines}), so the exit
 * of a worker that died young can quote it without waiting.
 */
final class OutputPump implements Runnable {

	private static final int MAX_LINE = 16 * 1024;

	private final InputStream in;

	private final int index;

	private final long pid;

	private final WorkerOutput.Stream stream;

	private final WorkerOutput output;

	private final Charset charset = Charset.defaultCharset();

	private final @Nullable ErrorLines errorLines;

	private final CompletableFuture<Void> finished = new CompletableFuture<>();

	private OutputPump(InputStream in, int index, long pid, WorkerOutput.Stream stream, WorkerOutput output) {
		this.in = in;
		this.index = index;
		this.pid = pid;
		this.stream = stream;
		this.output = output;
		this.errorLines = (stream == WorkerOutput.Stream.STDERR) ? new ErrorLines() : null;
	}

	/**
	 * Starts pumping one stream of a process.
	 * @param in the stream
	 * @param index the worker's slot index
	 * @param pid the worker's pid
	 * @param stream which stream it is
	 * @param output where its lines go
	 * @return the pump
	 */
	static OutputPump start(InputStream in, int index, long pid, WorkerOutput.Stream stream, WorkerOutput output) {
		OutputPump pump = new OutputPump(in, index, pid, stream, output);
		String name = "cfork-" + stream.name().toLowerCase(Locale.ROOT) + "-" + index + "-" + pid;
		Thread thread = new Thread(null, pump, name, 256 * 1024);
		thread.setDaemon(true);
		thread.start();
		return pump;
	}

	/**
	 * Of the lines read so far from standard error, the one that best says why the worker died.
	 * @return the line, or {@code null} if none was read or this pump reads standard output
	 */
	@Nullable String errorLine() {
		return (this.errorLines != null) ? this.errorLines.best() : null;
	}

	@Override
	public void run() {
		byte[] buffer = new byte[1024];
		byte[] line = new byte[256];
		int length = 0;
		try (InputStream in = this.in) {
			int read;
			while ((read = in.read(buffer)) != -1) {
				for (int i = 0; i < read; i++) {
					byte b = buffer[i];
					if (b == '\n' || length == MAX_LINE) {
						emit(line, length);
						length = 0;
						if (b == '\n') {
							continue;
						}
					}
					if (length == line.length) {
						line = Arrays.copyOf(line, Math.min(line.length * 2, MAX_LINE));
					}
					line[length++] = b;
				}
			}
		}
		catch (IOException ex) {
			// The stream was closed under us: nothing more to read.
		}
		if (length > 0) {
			emit(line, length);
		}
		this.finished.complete(null);
	}

	/**
	 * Completes once the stream is read to its end (every process holding the pipe has closed
	 * it).
	 * @return a copy of the completion, safe to time out
	 */
	CompletableFuture<Void> finished() {
		return this.finished.copy();
	}

	private void emit(byte[] line, int length) {
		int end = (length > 0 && line[length - 1] == '\r') ? length - 1 : length;
		String text = new String(line, 0, end, this.charset);
		if (this.errorLines != null) {
			this.errorLines.add(text);
		}
		try {
			this.output.line(this.index, this.pid, this.stream, text);
		}
		catch (RuntimeException ex) {
			// A failing receiver must not stop the draining of the pipe.
		}
	}

}
