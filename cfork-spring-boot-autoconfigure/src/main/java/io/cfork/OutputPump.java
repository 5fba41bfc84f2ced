package io.cfork;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.util.Arrays;

/**
 * Reads a worker's merged output on a thread of its own and hands it on line by line. It drains
 * the pipe so the worker never blocks on a full pipe, and it is never waited for: a grandchild
 * that keeps the pipe open cannot hold up the handling of the worker's exit.
 */
final class OutputPump implements Runnable {

	private static final int MAX_LINE = 16 * 1024;

	private final InputStream in;

	private final int index;

	private final long pid;

	private final WorkerOutput output;

	private final Charset charset = Charset.defaultCharset();

	private OutputPump(InputStream in, int index, long pid, WorkerOutput output) {
		this.in = in;
		this.index = index;
		this.pid = pid;
		this.output = output;
	}

	static void start(Process process, int index, WorkerOutput output) {
		OutputPump pump = new OutputPump(process.getInputStream(), index, process.pid(), output);
		Thread thread = new Thread(null, pump, "cfork-output-" + index + "-" + process.pid(), 256 * 1024);
		thread.setDaemon(true);
		thread.start();
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
	}

	private void emit(byte[] line, int length) {
		int end = (length > 0 && line[length - 1] == '\r') ? length - 1 : length;
		try {
			this.output.line(this.index, this.pid, new String(line, 0, end, this.charset));
		}
		catch (RuntimeException ex) {
			// A failing receiver must not stop the draining of the pipe.
		}
	}

}
