package io.cfork;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the lines natively launched workers print to the pool's {@link WorkerOutput}, on one thread
 * for all workers: the {@link ChildWatcher}'s thread, which also sees exits, never calls the
 * receiver (a log appender may block). Lines of one stream are handed on in order; streams take
 * turns, a few dozen lines at a time.
 */
final class OutputRelay {

	private static final Logger logger = LoggerFactory.getLogger(OutputRelay.class);

	private static final int QUOTA = 64;

	private final WorkerOutput output;

	private final Consumer<OutputPipe> resume;

	private final LinkedBlockingQueue<OutputPipe> scheduled = new LinkedBlockingQueue<>();

	/** Put after what is scheduled when the relay is closed. */
	private final OutputPipe end;

	private final Thread thread;

	/**
	 * Starts the relay's thread.
	 * @param output where lines go
	 * @param resume how to resume reading a pipe whose reading was paused
	 */
	OutputRelay(WorkerOutput output, Consumer<OutputPipe> resume) {
		this.output = output;
		this.resume = resume;
		this.end = new OutputPipe(-1, -1, -1, -1, WorkerOutput.Stream.STDOUT, this);
		this.thread = new Thread(null, this::run, "cfork-output", 256 * 1024);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	/**
	 * Schedules a pipe that has lines waiting.
	 */
	void schedule(OutputPipe pipe) {
		this.scheduled.add(pipe);
	}

	/**
	 * Resumes reading a pipe whose lines caught up.
	 */
	void resume(OutputPipe pipe) {
		this.resume.accept(pipe);
	}

	/**
	 * Hands on the lines already scheduled, then stops the thread.
	 */
	void close() {
		// No interrupt: it could break the receiver's I/O in the middle of a line.
		this.scheduled.add(this.end);
		try {
			this.thread.join(TimeUnit.SECONDS.toMillis(5));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void run() {
		while (true) {
			OutputPipe pipe;
			try {
				pipe = this.scheduled.take();
			}
			catch (InterruptedException ex) {
				continue;
			}
			if (pipe == this.end) {
				return;
			}
			try {
				if (pipe.deliver(this.output, QUOTA)) {
					this.scheduled.add(pipe);
				}
			}
			catch (RuntimeException | Error ex) {
				// The failed line is gone; the pipe's next lines are still to be handed on.
				logger.error("Unexpected failure while handing on workers' output", ex);
				this.scheduled.add(pipe);
			}
		}
	}

}
