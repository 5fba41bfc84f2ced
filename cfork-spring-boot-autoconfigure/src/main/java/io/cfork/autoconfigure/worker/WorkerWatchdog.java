package io.cfork.autoconfigure.worker;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.cfork.worker.SdNotify;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.context.ApplicationListener;
import org.springframework.context.SmartLifecycle;

/**
 * Feeds the pool's watchdog ({@code WATCHDOG=1}) every half of its timeout, as libsystemd advises,
 * while the application's {@link LivenessState} is {@link LivenessState#CORRECT}: once the
 * application publishes {@link LivenessState#BROKEN}, the watchdog starves and the master replaces
 * the worker. It is fed at once when the application becomes live, so the first {@code WATCHDOG=1}
 * does not wait for the next period. One daemon thread, started before the web server and stopped
 * after it, so a worker that shuts down gracefully is not taken for a hung one.
 */
class WorkerWatchdog implements SmartLifecycle, ApplicationListener<AvailabilityChangeEvent<LivenessState>> {

	/** Before the web server starts ({@code DEFAULT_PHASE - 2048}), after it stops. */
	static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 4096;

	private static final Logger logger = LoggerFactory.getLogger(WorkerWatchdog.class);

	private final SdNotify notify;

	private final ObjectProvider<ApplicationAvailability> availability;

	private volatile @Nullable ScheduledExecutorService scheduler;

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

	@Override
	public void onApplicationEvent(AvailabilityChangeEvent<LivenessState> event) {
		ScheduledExecutorService scheduler = this.scheduler;
		if (scheduler == null) {
			return;
		}
		if (event.getState() == LivenessState.CORRECT) {
			try {
				// The event's own state: the availability bean may hear of it after this listener.
				scheduler.execute(this.notify::watchdog);
			}
			catch (RejectedExecutionException ex) {
				// Stopped meanwhile.
			}
		}
		else {
			logger.warn("Liveness state is {}: the pool's watchdog is no longer fed, the master will replace "
					+ "this worker", event.getState());
		}
	}

	private void feed() {
		ApplicationAvailability availability = this.availability.getIfAvailable();
		if (availability == null || availability.getLivenessState() == LivenessState.CORRECT) {
			this.notify.watchdog();
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
