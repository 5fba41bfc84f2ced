package io.cfork.autoconfigure.worker;

import io.cfork.worker.SdNotify;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;
import org.springframework.context.ApplicationEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.SmartApplicationListener;

/**
 * Tells the pool when the application serves and when it stops: {@code READY=1} each time its
 * readiness state becomes {@link ReadinessState#ACCEPTING_TRAFFIC} (Spring Boot publishes it once
 * the application has started and its runners have run), {@code STOPPING=1} as soon as its context
 * starts closing.
 */
class WorkerAvailabilityNotifier implements SmartApplicationListener, ApplicationContextAware {

	private final SdNotify notify;

	private @Nullable ApplicationContext context;

	WorkerAvailabilityNotifier(SdNotify notify) {
		this.notify = notify;
	}

	@Override
	public void setApplicationContext(ApplicationContext context) {
		this.context = context;
	}

	@Override
	public boolean supportsEventType(Class<? extends ApplicationEvent> eventType) {
		return AvailabilityChangeEvent.class.isAssignableFrom(eventType)
				|| ContextClosedEvent.class.isAssignableFrom(eventType);
	}

	@Override
	public void onApplicationEvent(ApplicationEvent event) {
		if (event instanceof AvailabilityChangeEvent<?> change && change.getState() == ReadinessState.ACCEPTING_TRAFFIC) {
			this.notify.ready();
		}
		// A child context (a management server on its own port) closes too: only this one counts.
		else if (event instanceof ContextClosedEvent closed && closed.getApplicationContext() == this.context) {
			this.notify.stopping();
		}
	}

}
