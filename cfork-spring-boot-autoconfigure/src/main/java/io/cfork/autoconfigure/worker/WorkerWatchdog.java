package io.cfork.autoconfigure.worker;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.cfork.worker.SdNotify;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.LivenessState;
import org.springframework.context.SmartLifecycle;

/**
 * Feeds the pool's watchdog ({@code WATCHDOG=1}) every half of its timeout, as libsystemd advises,
 * while the application's {@link LivenessState} is {@link LivenessState#CORRECT}: once the
 * application publishes {@link LivenessState#BROKEN}, the watchdog starves and the master replaces
 * the worker. One daemon thread, started before the web server and stopped after it, so a worker
 * that shuts down gracefully is not taken for a hung one.
 */
class WorkerWatchdog implements SmartLifecycle {

	/** Before the web server starts ({@code DEFAULT_PHASE - 2048}), after it stops. */
	static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

	private static final Logger logger = LoggerFactory.getLogger(WorkerWatchdog.class);

	private final SdNotify notify;

	private final ObjectProvider<ApplicationAvailability> availability;

	private @Nullable ScheduledExecutorService scheduler;

	private volatile boolean fed;

	WorkerWatchdog(SdNotify notify, ObjectProvider<ApplicationAvailability> availability) {
		this.notify = notify;
		this.availability = availability;
	}

	@Override
	public void start() {
		Duration timeout = this.notify.watchdogTimeout().orElse(null);
		if (timeout == null) {
			logger.debug("No watchdog for this process (WATCHDOG_USEC is not for its pid)");
			return;
		}
		long period = Math.max(1, timeout.toMillis() / 2);
		ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor((task) -> {
			Thread thread = new Thread(task, "cfork-watchdog");
			thread.setDaemon(true);
			return thread;
		});
		scheduler.scheduleAtFixedRate(this::feed, 0, period, TimeUnit.MILLISECONDS);
		this.scheduler = scheduler;
	}

	private void feed() {
		ApplicationAvailability availability = this.availability.getIfAvailable();
		LivenessState liveness = (availability != null) ? availability.getLivenessState() : LivenessState.CORRECT;
		if (liveness == LivenessState.CORRECT) {
			this.fed = this.notify.watchdog();
		}
		else if (this.fed) {
			this.fed = false;
			logger.warn("Liveness state is {}: no longer feeding the pool's watchdog, the master will replace "
					+ "this worker", liveness);
		}
	}

	@Override
	public void stop() {
		ScheduledExecutorService scheduler = this.scheduler;
		if (scheduler != null) {
			scheduler.shutdownNow();
			this.scheduler = null;
		}
	}

	@Override
	public boolean isRunning() {
		return this.scheduler != null;
	}

	@Override
	public int getPhase() {
		return PHASE;
	}

}
