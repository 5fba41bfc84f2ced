package io.cfork;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.cfork.worker.SdNotify;
import org.jspecify.annotations.Nullable;

/**
 * Tells systemd about the master when the master runs as a {@code Type=notify} service (its own
 * {@code NOTIFY_SOCKET} is set): {@code READY=1} once the pool is first ready (every desired worker
 * ready), {@code STOPPING=1} when it stops. Sent on a thread of its own, created only then: a
 * datagram to a supervisor that does not read may block, the supervisor thread must not.
 */
final class ServiceNotifier {

	private final SdNotify notify;

	private final ExecutorService sender;

	private boolean readySent;

	private ServiceNotifier(SdNotify notify, String threadName) {
		this.notify = notify;
		this.sender = new ThreadPoolExecutor(0, 1, 1, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), (task) -> {
			Thread thread = new Thread(task, threadName);
			thread.setDaemon(true);
			return thread;
		});
	}

	/**
	 * The notifier of this master, if it runs under systemd with {@code Type=notify}.
	 * @return the notifier, or {@code null} when {@code NOTIFY_SOCKET} is not set or JNA is missing
	 */
	static @Nullable ServiceNotifier fromEnvironment(String threadName) {
		if (System.getenv(SdNotify.NOTIFY_SOCKET) == null || Launchers.messagesUnavailable() != null) {
			return null;
		}
		SdNotify notify = SdNotify.fromSystemEnvironment();
		return notify.isEnabled() ? new ServiceNotifier(notify, threadName) : null;
	}

	/**
	 * The pool published a snapshot: the first one that shows it {@code RUNNING} sends
	 * {@code READY=1}. On the supervisor thread.
	 */
	void published(PoolSnapshot pool) {
		if (!this.readySent && pool.status() == PoolStatus.RUNNING) {
			this.readySent = true;
			String status = "STATUS=" + pool.ready() + " of " + pool.desired() + " workers ready";
			this.sender.execute(() -> this.notify.notify("READY=1\n" + status));
		}
	}

	/**
	 * The pool stops: {@code STOPPING=1}, sent before the thread ends.
	 */
	void stopping() {
		this.sender.execute(this.notify::stopping);
		this.sender.shutdown();
	}

}
