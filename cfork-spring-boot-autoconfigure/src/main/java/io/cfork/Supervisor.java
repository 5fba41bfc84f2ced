package io.cfork;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pool's event loop: one long-lived thread that runs every task touching the pool's state
 * (process exits, timers, operator commands), one at a time. After each task it runs the
 * {@code afterEachTask} hook (the pool publishes its snapshot there), then what the task asked to
 * run once that is published (listener callbacks, completing callers' futures).
 * <p>
 * Not a daemon thread: like a server's threads, the pool keeps the master's JVM alive.
 */
final class Supervisor {

	private static final Logger logger = LoggerFactory.getLogger(Supervisor.class);

	private final ScheduledThreadPoolExecutor executor;

	private final List<Runnable> afterPublish = new ArrayList<>();

	private final Runnable afterEachTask;

	private volatile @Nullable Thread thread;

	Supervisor(String name, Runnable afterEachTask) {
		this.afterEachTask = afterEachTask;
		this.executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread created = new Thread(task, name);
			created.setDaemon(false);
			this.thread = created;
			return created;
		});
		this.executor.setRemoveOnCancelPolicy(true);
		this.executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
	}

	/**
	 * Runs a task on the supervisor thread.
	 * @param task the task
	 * @return whether it was accepted (the supervisor is not shut down)
	 */
	boolean execute(Runnable task) {
		try {
			this.executor.execute(() -> run(task));
			return true;
		}
		catch (RejectedExecutionException ex) {
			return false;
		}
	}

	/**
	 * Runs a task on the supervisor thread after a delay.
	 * @param task the task
	 * @param delay the delay
	 * @return the scheduled task, or {@code null} if the supervisor is shut down
	 */
	@Nullable ScheduledFuture<?> schedule(Runnable task, Duration delay) {
		try {
			return this.executor.schedule(() -> run(task), delay.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (RejectedExecutionException ex) {
			return null;
		}
	}

	/**
	 * Runs an action once the current task is done and its result published. Only from the
	 * supervisor thread.
	 * @param action the action
	 */
	void afterPublish(Runnable action) {
		this.afterPublish.add(action);
	}

	/**
	 * Whether the calling thread is the supervisor thread.
	 * @return whether it is
	 */
	boolean isCurrentThread() {
		return Thread.currentThread() == this.thread;
	}

	/**
	 * Drops pending tasks and timers and waits for the thread to end.
	 */
	void shutdown() {
		this.executor.shutdownNow();
		try {
			this.executor.awaitTermination(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private void run(Runnable task) {
		try {
			task.run();
		}
		catch (RuntimeException | Error ex) {
			logger.error("Unexpected failure in the pool's supervisor", ex);
		}
		this.afterEachTask.run();
		List<Runnable> pending = new ArrayList<>(this.afterPublish);
		this.afterPublish.clear();
		for (Runnable action : pending) {
			try {
				action.run();
			}
			catch (RuntimeException ex) {
				logger.error("Unexpected failure in the pool's supervisor", ex);
			}
		}
	}

}
