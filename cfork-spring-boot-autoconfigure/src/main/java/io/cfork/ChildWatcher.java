package io.cfork;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;

import com.sun.jna.Memory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.cfork.LinuxLibc.EPOLLIN;
import static io.cfork.LinuxLibc.EPOLLONESHOT;
import static io.cfork.LinuxLibc.EPOLL_CTL_ADD;
import static io.cfork.LinuxLibc.EPOLL_CTL_DEL;
import static io.cfork.LinuxLibc.EPOLL_CTL_MOD;
import static io.cfork.LinuxLibc.EPOLL_EVENT_DATA;
import static io.cfork.LinuxLibc.EPOLL_EVENT_SIZE;

/**
 * Sees the exits of the {@link NativeLauncher}'s workers and reads their output, on one thread
 * however many workers there are (plus the {@link OutputRelay}'s, when output is captured).
 * <p>
 * Each worker is watched through a pidfd ({@code pidfd_open}, Linux ≥ 5.3), which becomes readable
 * when the worker has exited. The watcher then reaps exactly that child with
 * {@code waitpid(pid, WNOHANG)}, never {@code waitpid(-1)}, which would reap the application's
 * other children. Signals go through the pidfd too ({@code pidfd_send_signal}), so a worker's pid
 * that the kernel gave to another process after the reaping is never signalled.
 * <p>
 * Output pipes are registered one-shot: each readiness gives one read, then the pipe is armed again,
 * unless too many of its lines wait for the relay ({@link OutputPipe}). An exit is reported as soon
 * as the pidfd says so, whether or not a process the worker left behind still holds its pipes; a
 * pipe is closed once it reaches its end. Lines read in the same wake-up as an exit are taken first,
 * so the exit can quote the worker's last words on standard error.
 */
final class ChildWatcher implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(ChildWatcher.class);

	private static final int MAX_EVENTS = 256;

	private static final int READ_SIZE = 32 * 1024;

	/** At most this many reads drain a dead worker's stderr before its exit is reported. */
	private static final int DRAIN_READS = 4;

	private static final long WAKE_TOKEN = 0;

	/** How often a child whose pidfd fired but which could not be reaped yet is tried again. */
	private static final int RETRY_MILLIS = 10;

	private static final Path PROC = Path.of("/proc");

	private final int epoll;

	private final int wake;

	private final Map<Long, Object> watched = new ConcurrentHashMap<>();

	private final Set<NativeWorker> children = ConcurrentHashMap.newKeySet();

	private final AtomicLong tokens = new AtomicLong(WAKE_TOKEN);

	private final @Nullable OutputRelay relay;

	/** The {@code struct epoll_event} handed to {@code epoll_ctl}, from any thread. */
	private final Memory control = new Memory(EPOLL_EVENT_SIZE);

	private final Thread thread;

	private volatile boolean closing;

	/** Whether {@link #release()} closed the descriptors; guarded by {@link #control}. */
	private boolean released;

	/** Children whose pidfd fired before they could be reaped (the watcher's thread only). */
	private final List<NativeWorker> unreaped = new ArrayList<>();

	/**
	 * Creates the epoll instance and starts the watcher's thread, and the relay's if output is
	 * captured.
	 * @param output where lines go, or {@code null} if output is not captured
	 * @throws IOException if the descriptors cannot be created
	 */
	ChildWatcher(@Nullable WorkerOutput output) throws IOException {
		this.epoll = LinuxLibc.epoll_create1(LinuxLibc.O_CLOEXEC);
		if (this.epoll < 0) {
			throw new IOException("epoll_create1 failed: " + LinuxLibc.describe(LinuxLibc.errno()));
		}
		this.wake = LinuxLibc.eventfd(0, LinuxLibc.O_CLOEXEC | LinuxLibc.O_NONBLOCK);
		if (this.wake < 0 || !control(EPOLL_CTL_ADD, this.wake, EPOLLIN, WAKE_TOKEN)) {
			int errno = LinuxLibc.errno();
			closeDescriptor(this.wake);
			LinuxLibc.close(this.epoll);
			throw new IOException("eventfd failed: " + LinuxLibc.describe(errno));
		}
		this.relay = (output != null) ? new OutputRelay(output, this::resume) : null;
		this.thread = new Thread(null, this::run, "cfork-watcher", 256 * 1024);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	/**
	 * Watches a child that was just spawned and is not reaped yet.
	 * @param pid its pid
	 * @param index its slot index, for its output
	 * @param stdout the master's end of its standard output, or {@code -1} if not captured
	 * @param stderr the master's end of its standard error, or {@code -1} if not captured
	 * @return the worker
	 * @throws IOException if it cannot be watched: it is then killed and reaped
	 */
	WorkerProcess watch(int pid, int index, int stdout, int stderr) throws IOException {
		int pidfd = (int) LinuxLibc.syscall(LinuxLibc.SYS_PIDFD_OPEN, pid, 0, 0, 0);
		if (pidfd < 0) {
			String error = "pidfd_open: " + LinuxLibc.describe(LinuxLibc.errno());
			closeDescriptor(stdout);
			closeDescriptor(stderr);
			// Not reaped yet, so the pid is still the child's own.
			LinuxLibc.kill(pid, LinuxLibc.SIGKILL);
			reapNow(pid);
			throw new IOException("Cannot watch worker (pid " + pid + "), killed: " + error);
		}
		OutputPipe out = pipe(stdout, index, pid, WorkerOutput.Stream.STDOUT);
		OutputPipe err = pipe(stderr, index, pid, WorkerOutput.Stream.STDERR);
		NativeWorker worker = new NativeWorker(pid, pidfd, this.tokens.incrementAndGet(), err);
		for (OutputPipe pipe : new OutputPipe[] { out, err }) {
			if (pipe != null) {
				this.watched.put(pipe.token, pipe);
				if (!control(EPOLL_CTL_ADD, pipe.fd, EPOLLIN | EPOLLONESHOT, pipe.token)) {
					abandon(worker, "epoll_ctl: " + LinuxLibc.describe(LinuxLibc.errno()), out, err);
				}
			}
		}
		this.children.add(worker);
		this.watched.put(worker.token, worker);
		if (!control(EPOLL_CTL_ADD, pidfd, EPOLLIN, worker.token)) {
			abandon(worker, "epoll_ctl: " + LinuxLibc.describe(LinuxLibc.errno()), out, err);
		}
		return worker;
	}

	/**
	 * Stops the thread once every child it watches has been reaped (at once, when the pool has
	 * stopped them all), and closes what it holds; pipes a leftover process of a worker still holds
	 * are closed. Lines already read are handed on first.
	 */
	@Override
	public void close() {
		this.closing = true;
		wakeUp();
		if (!this.children.isEmpty()) {
			logger.debug("{} workers still run: their exits are watched until they are reaped", this.children.size());
			return;
		}
		try {
			this.thread.join(TimeUnit.SECONDS.toMillis(5));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Arms a pipe for its next read: on the watcher's thread after a read, on the relay's once the
	 * lines of a paused pipe caught up.
	 */
	void resume(OutputPipe pipe) {
		pipe.ifOpen(() -> control(EPOLL_CTL_MOD, pipe.fd, EPOLLIN | EPOLLONESHOT, pipe.token));
	}

	private @Nullable OutputPipe pipe(int fd, int index, int pid, WorkerOutput.Stream stream) {
		if (fd < 0 || this.relay == null) {
			return null;
		}
		return new OutputPipe(fd, this.tokens.incrementAndGet(), index, pid, stream, this.relay);
	}

	private void run() {
		Memory events = new Memory((long) MAX_EVENTS * EPOLL_EVENT_SIZE);
		Memory buffer = new Memory(READ_SIZE);
		byte[] bytes = new byte[READ_SIZE];
		List<NativeWorker> exited = new ArrayList<>();
		try {
			while (!this.closing || !this.children.isEmpty()) {
				int timeout = this.unreaped.isEmpty() ? -1 : RETRY_MILLIS;
				int count = LinuxLibc.epoll_wait(this.epoll, events, MAX_EVENTS, timeout);
				if (count < 0) {
					int errno = LinuxLibc.errno();
					if (errno == LinuxLibc.EINTR) {
						continue;
					}
					logger.error("epoll_wait failed: {}; workers' exits are no longer seen", LinuxLibc.describe(errno));
					return;
				}
				for (int i = 0; i < count; i++) {
					long token = events.getLong((long) i * EPOLL_EVENT_SIZE + EPOLL_EVENT_DATA);
					Object target = (token != WAKE_TOKEN) ? this.watched.get(token) : null;
					if (target instanceof OutputPipe pipe) {
						guarded(() -> read(pipe, buffer, bytes));
					}
					else if (target instanceof NativeWorker worker) {
						exited.add(worker);
					}
					else if (token == WAKE_TOKEN) {
						LinuxLibc.read(this.wake, buffer, 8);
					}
				}
				for (NativeWorker worker : exited) {
					guarded(() -> reap(worker, buffer, bytes));
				}
				exited.clear();
				for (NativeWorker worker : new ArrayList<>(this.unreaped)) {
					guarded(() -> reap(worker, buffer, bytes));
				}
			}
		}
		catch (RuntimeException | Error ex) {
			logger.error("Unexpected failure while watching workers; their exits are no longer seen", ex);
		}
		finally {
			release();
		}
	}

	/**
	 * Runs one event's work: a failure there is logged and costs that event only.
	 */
	private static void guarded(Runnable work) {
		try {
			work.run();
		}
		catch (RuntimeException ex) {
			logger.error("Unexpected failure while watching workers", ex);
		}
	}

	private void read(OutputPipe pipe, Memory buffer, byte[] bytes) {
		long read = LinuxLibc.read(pipe.fd, buffer, READ_SIZE);
		if (read > 0) {
			buffer.read(0, bytes, 0, (int) read);
			if (pipe.received(bytes, (int) read)) {
				resume(pipe);
			}
			return;
		}
		int errno = (read < 0) ? LinuxLibc.errno() : 0;
		if (errno == LinuxLibc.EAGAIN || errno == LinuxLibc.EINTR) {
			resume(pipe);
			return;
		}
		// End of the stream (every writer closed it), or an error that will not go away.
		pipe.ended();
		closePipe(pipe);
	}

	private void reap(NativeWorker worker, Memory buffer, byte[] bytes) {
		int[] status = new int[1];
		int reaped = LinuxLibc.waitpid(worker.pid, status, LinuxLibc.WNOHANG);
		if (reaped == 0 || (reaped < 0 && LinuxLibc.errno() == LinuxLibc.EINTR)) {
			// Its pidfd fired but it cannot be reaped yet: try again shortly, and stop the
			// level-triggered event from firing meanwhile.
			if (!this.unreaped.contains(worker)) {
				this.unreaped.add(worker);
				worker.ifWatched((pidfd) -> control(EPOLL_CTL_DEL, pidfd, 0, 0));
			}
			return;
		}
		int code;
		if (reaped == worker.pid) {
			code = exitCode(status[0]);
		}
		else {
			logger.warn("Worker (pid {}) was reaped by another part of this JVM (a waitpid(-1)?): its exit code "
					+ "is lost and reported as 0", worker.pid);
			code = 0;
		}
		this.unreaped.remove(worker);
		this.watched.remove(worker.token);
		this.children.remove(worker);
		// What the worker printed on stderr before it died is in the pipe: read it first, so that
		// its exit can quote why it died. A grandchild holding the pipe cannot stall this: the
		// pipe is non-blocking and only what is there is read.
		if (worker.stderr != null && this.watched.containsKey(worker.stderr.token)) {
			drain(worker.stderr, buffer, bytes);
		}
		worker.exited(code);
	}

	/**
	 * Reads what a pipe holds now, up to a bound, without waiting for more.
	 */
	private void drain(OutputPipe pipe, Memory buffer, byte[] bytes) {
		for (int reads = 0; reads < DRAIN_READS && this.watched.containsKey(pipe.token); reads++) {
			long read = LinuxLibc.read(pipe.fd, buffer, READ_SIZE);
			if (read > 0) {
				buffer.read(0, bytes, 0, (int) read);
				if (!pipe.received(bytes, (int) read)) {
					return;
				}
			}
			else if (read == 0) {
				pipe.ended();
				closePipe(pipe);
			}
			else {
				return;
			}
		}
	}

	/**
	 * The exit code as the JDK reports it: the exit status, or 128 + the signal that killed it.
	 */
	static int exitCode(int status) {
		int signal = status & 0x7f;
		return (signal == 0) ? (status >> 8) & 0xff : 128 + signal;
	}

	/**
	 * A child that could not be registered: killed and reaped at once, and reported as not started.
	 */
	private void abandon(NativeWorker worker, String error, @Nullable OutputPipe out, @Nullable OutputPipe err)
			throws IOException {
		worker.kill();
		reapNow(worker.pid);
		this.watched.remove(worker.token);
		this.children.remove(worker);
		worker.exited(LinuxLibc.SIGKILL + 128);
		for (OutputPipe pipe : new OutputPipe[] { out, err }) {
			if (pipe != null) {
				closePipe(pipe);
			}
		}
		throw new IOException("Cannot watch worker (pid " + worker.pid + "), killed: " + error);
	}

	private static void reapNow(int pid) {
		int[] status = new int[1];
		while (LinuxLibc.waitpid(pid, status, 0) < 0 && LinuxLibc.errno() == LinuxLibc.EINTR) {
			// again
		}
	}

	private void closePipe(OutputPipe pipe) {
		this.watched.remove(pipe.token);
		// Closing the descriptor also takes it out of the epoll set.
		pipe.close(() -> LinuxLibc.close(pipe.fd));
	}

	private void release() {
		for (Object target : this.watched.values()) {
			if (target instanceof OutputPipe pipe) {
				closePipe(pipe);
			}
		}
		if (this.relay != null) {
			this.relay.close();
		}
		synchronized (this.control) {
			this.released = true;
			LinuxLibc.close(this.wake);
			LinuxLibc.close(this.epoll);
		}
	}

	private void wakeUp() {
		Memory one = new Memory(8);
		one.setLong(0, 1);
		synchronized (this.control) {
			if (!this.released) {
				LinuxLibc.write(this.wake, one, 8);
			}
		}
	}

	private boolean control(int operation, int fd, int events, long token) {
		synchronized (this.control) {
			if (this.released) {
				return false;
			}
			this.control.setInt(0, events);
			this.control.setLong(EPOLL_EVENT_DATA, token);
			return LinuxLibc.epoll_ctl(this.epoll, operation, fd, this.control) == 0;
		}
	}

	private static void closeDescriptor(int fd) {
		if (fd >= 0) {
			LinuxLibc.close(fd);
		}
	}

	/**
	 * A natively launched worker, seen by the pool as a {@link WorkerProcess}.
	 */
	static final class NativeWorker implements WorkerProcess {

		private final int pid;

		private final long token;

		private final @Nullable OutputPipe stderr;

		// Guarded by this: -1 once the worker is reaped and the pidfd closed.
		private int pidfd;

		private boolean exited;

		private int exitCode;

		private @Nullable IntConsumer onExit;

		NativeWorker(int pid, int pidfd, long token, @Nullable OutputPipe stderr) {
			this.pid = pid;
			this.pidfd = pidfd;
			this.token = token;
			this.stderr = stderr;
		}

		@Override
		public long pid() {
			return this.pid;
		}

		@Override
		public void onExit(IntConsumer exitCode) {
			int code;
			synchronized (this) {
				if (!this.exited) {
					this.onExit = exitCode;
					return;
				}
				code = this.exitCode;
			}
			exitCode.accept(code);
		}

		@Override
		public void terminate() {
			signal(LinuxLibc.SIGTERM);
		}

		/**
		 * Kills the worker, then the processes of its session (what it started and left there).
		 * They are found before, while the worker, not yet reaped, keeps its pid, and so its
		 * session id, from being reused; and the worker goes first, so that it cannot exit on its
		 * own when they die, and its exit reads as SIGKILL.
		 */
		@Override
		public void kill() {
			List<Integer> members = sessionMembers(this.pid);
			synchronized (this) {
				if (this.pidfd < 0) {
					return;
				}
				LinuxLibc.syscall(LinuxLibc.SYS_PIDFD_SEND_SIGNAL, this.pidfd, LinuxLibc.SIGKILL, 0, 0);
				for (int member : members) {
					LinuxLibc.kill(member, LinuxLibc.SIGKILL);
				}
			}
		}

		@Override
		public void quit() {
			signal(LinuxLibc.SIGQUIT);
		}

		@Override
		public @Nullable String lastErrorLine() {
			return (this.stderr != null) ? this.stderr.errorLine() : null;
		}

		private synchronized void signal(int signal) {
			if (this.pidfd >= 0) {
				// Fails only if it has exited meanwhile (ESRCH): then there is nothing to stop.
				LinuxLibc.syscall(LinuxLibc.SYS_PIDFD_SEND_SIGNAL, this.pidfd, signal, 0, 0);
			}
		}

		synchronized void ifWatched(IntConsumer action) {
			if (this.pidfd >= 0) {
				action.accept(this.pidfd);
			}
		}

		/**
		 * Records the exit of the reaped worker, closes its pidfd and tells the pool.
		 */
		void exited(int code) {
			IntConsumer consumer;
			synchronized (this) {
				if (this.exited) {
					return;
				}
				LinuxLibc.close(this.pidfd);
				this.pidfd = -1;
				this.exited = true;
				this.exitCode = code;
				consumer = this.onExit;
				this.onExit = null;
			}
			if (consumer != null) {
				consumer.accept(code);
			}
		}

		/**
		 * The processes in the session a worker leads, but itself.
		 */
		private static List<Integer> sessionMembers(int sessionId) {
			List<Integer> members = new ArrayList<>();
			try (DirectoryStream<Path> entries = Files.newDirectoryStream(PROC,
					(entry) -> entry.getFileName().toString().chars().allMatch(Character::isDigit))) {
				for (Path entry : entries) {
					int pid = Integer.parseInt(entry.getFileName().toString());
					if (pid != sessionId && sessionOf(entry) == sessionId) {
						members.add(pid);
					}
				}
			}
			catch (IOException ex) {
				logger.debug("Could not scan /proc for the session of worker (pid {})", sessionId, ex);
			}
			return members;
		}

		private static long sessionOf(Path processDirectory) {
			try {
				String stat = new String(Files.readAllBytes(processDirectory.resolve("stat")), StandardCharsets.UTF_8);
				return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ", 5)[3]);
			}
			catch (IOException | RuntimeException ex) {
				return -1;
			}
		}

	}

}
