package io.cfork.workers;

import io.cfork.worker.CforkWorker;

/**
 * A plain Java worker that tells its supervisor what it does through {@link CforkWorker}, feeds
 * the watchdog once if it has one, and says which of its messages were sent.
 */
public final class NotifyingWorker {

	private NotifyingWorker() {
	}

	public static void main(String[] args) {
		boolean sent = CforkWorker.status("warming up") & CforkWorker.ready();
		if (CforkWorker.watchdogTimeout().isPresent()) {
			sent &= CforkWorker.watchdog();
		}
		sent &= CforkWorker.stopping();
		System.out.println("worker=" + CforkWorker.isWorker() + " notifying=" + CforkWorker.isNotifying()
				+ " watchdog=" + CforkWorker.watchdogTimeout().orElse(null) + " sent=" + sent);
	}

}
