package io.cfork;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.sun.jna.Memory;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.cfork.LinuxLibc.EPOLLIN;
import static io.cfork.LinuxLibc.EPOLL_CTL_ADD;
import static io.cfork.LinuxLibc.EPOLL_EVENT_DATA;
import static io.cfork.LinuxLibc.EPOLL_EVENT_SIZE;
import static io.cfork.LinuxLibc.O_CLOEXEC;
import static io.cfork.LinuxLibc.O_NONBLOCK;

/**
 * Receives what workers tell the master themselves, on one thread with an epoll of its own however
 * many workers run:
 * <ul>
 * <li>systemd's sd_notify protocol: each worker gets {@code NOTIFY_SOCKET}, the path of an
 * {@code AF_UNIX} datagram socket bound for it alone, in a directory only the master's user can
 * enter; {@code READY=1}, {@code STATUS=...}, {@code STOPPING=1} and {@code WATCHDOG=1} are
 * understood, the rest ignored;</li>
 * <li>Node's IPC channel: one end of a socket pair, which the launcher places in the worker
 * ({@code NODE_CHANNEL_FD}); {@code process.send('ready')} arrives as the JSON line
 * {@code "ready"}.</li>
 * </ul>
 * What changes a worker (ready, its status text, that it is stopping) goes to the {@link Receiver},
 * once per change; {@code WATCHDOG=1} only stamps the worker's channel, which the watchdog reads.
 */
final class WorkerMessages implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(WorkerMessages.class);

	/** {@code sun_path} holds 108 bytes, its terminating NUL included. */
	static final int MAX_SOCKET_PATH = 107;

	/** Longest status text shown; a longer one is cut. */
	static final int MAX_STATUS = 200;

	/** Longest IPC line kept; the rest of a longer one is skipped. */
	private static final int MAX_LINE = 64 * 1024;

	/** Datagrams read from one socket per wake-up, so that a chatty worker cannot starve the others. */
	private static final int READS_PER_EVENT = 64;

	private static final int READ_SIZE = 64 * 1024;

	private static final int MAX_EVENTS = 64;

	private static final long WAKE_TOKEN = 0;

	private static final String READY_MESSAGE = "\"ready\"";

	private final Receiver receiver;

	private final @Nullable Duration watchdogTimeout;

	private final boolean notify;

	private final boolean ipc;

	/** The directory of the workers' sockets, or {@code null} without sd_notify. */
	private final @Nullable Path directory;

	private final int epoll;

	private final int wake;

	/** Channels by token: twice the fork id for the datagram socket, plus one for the IPC channel. */
	private final Map<Long, Channel> tokens = new ConcurrentHashMap<>();

	private final Memory control = new Memory(EPOLL_EVENT_SIZE);

	private final Thread thread;

	private volatile boolean closing;

	/**
	 * Creates the sockets' directory and starts the thread.
	 * @param notify whether workers get a {@code NOTIFY_SOCKET}
	 * @param ipc whether workers get Node's IPC channel
	 * @param watchdogTimeout what workers are told as {@code WATCHDOG_USEC}, or {@code null}
	 * @param receiver what hears of workers' changes, on this class's thread
	 * @param threadName the thread's name
	 * @throws IOException if the directory or the epoll instance cannot be created
	 */
	WorkerMessages(boolean notify, boolean ipc, @Nullable Duration watchdogTimeout, Receiver receiver,
			String threadName) throws IOException {
		this.notify = notify;
		this.ipc = ipc;
		this.watchdogTimeout = watchdogTimeout;
		this.receiver = receiver;
		this.directory = notify ? createDirectory() : null;
		this.epoll = LinuxLibc.epoll_create1(O_CLOEXEC);
		this.wake = (this.epoll >= 0) ? LinuxLibc.eventfd(0, O_CLOEXEC | O_NONBLOCK) : -1;
		if (this.wake < 0 || !register(this.wake, WAKE_TOKEN)) {
			int errno = LinuxLibc.errno();
			closeDescriptor(this.wake);
			closeDescriptor(this.epoll);
			deleteDirectory();
			throw new IOException("Cannot create an epoll instance: " + LinuxLibc.describe(errno));
		}
		this.thread = new Thread(null, this::run, threadName, 256 * 1024);
		this.thread.setDaemon(true);
		this.thread.start();
	}

	/**
	 * Opens a worker's channels, before it is spawned.
	 * @param index the worker's slot index
	 * @param id its fork id
	 * @return the channel
	 * @throws IOException if a socket cannot be created
	 */
	Channel open(int index, long id) throws IOException {
		Channel channel = new Channel(index, id);
		try {
			if (this.notify) {
				channel.openNotifySocket(this.directory.resolve(Long.toString(id)));
				this.tokens.put(2 * id, channel);
				if (!register(channel.notifyFd, 2 * id)) {
					throw new IOException("epoll_ctl: " + LinuxLibc.describe(LinuxLibc.errno()));
				}
			}
			if (this.ipc) {
				channel.openIpc();
				this.tokens.put(2 * id + 1, channel);
				if (!register(channel.ipcFd, 2 * id + 1)) {
					throw new IOException("epoll_ctl: " + LinuxLibc.describe(LinuxLibc.errno()));
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			close(channel);
			throw ex;
		}
		return channel;
	}

	/**
	 * Closes a worker's channels and removes its socket: it exited, or could not be spawned.
	 */
	void close(Channel channel) {
		this.tokens.remove(2 * channel.id);
		this.tokens.remove(2 * channel.id + 1);
		channel.close();
	}

	/**
	 * Stops the thread, closes every channel and removes the sockets' directory.
	 */
	@Override
	public void close() {
		this.closing = true;
		Memory one = new Memory(8);
		one.setLong(0, 1);
		LinuxLibc.write(this.wake, one, 8);
		try {
			this.thread.join(TimeUnit.SECONDS.toMillis(5));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * The directory of the workers' sockets.
	 * @return the directory, or {@code null} without sd_notify
	 */
	@Nullable Path directory() {
		return this.directory;
	}

	private void run() {
		Memory events = new Memory((long) MAX_EVENTS * EPOLL_EVENT_SIZE);
		Memory buffer = new Memory(READ_SIZE);
		byte[] bytes = new byte[READ_SIZE];
		try {
			while (!this.closing) {
				int count = LinuxLibc.epoll_wait(this.epoll, events, MAX_EVENTS, -1);
				if (count < 0) {
					int errno = LinuxLibc.errno();
					if (errno == LinuxLibc.EINTR) {
						continue;
					}
					logger.error("epoll_wait failed: {}; workers' messages are no longer read",
							LinuxLibc.describe(errno));
					return;
				}
				for (int i = 0; i < count && !this.closing; i++) {
					long token = events.getLong((long) i * EPOLL_EVENT_SIZE + EPOLL_EVENT_DATA);
					Channel channel = (token != WAKE_TOKEN) ? this.tokens.get(token) : null;
					if (channel == null) {
						continue;
					}
					try {
						if (token % 2 == 0) {
							readDatagrams(channel, buffer, bytes);
						}
						else {
							readIpc(channel, buffer, bytes);
						}
					}
					catch (RuntimeException ex) {
						logger.error("Unexpected failure while reading worker {}'s messages", channel.index, ex);
					}
				}
			}
		}
		catch (RuntimeException | Error ex) {
			logger.error("Unexpected failure while reading workers' messages; they are no longer read", ex);
		}
		finally {
			release();
		}
	}

	private void readDatagrams(Channel channel, Memory buffer, byte[] bytes) {
		for (int reads = 0; reads < READS_PER_EVENT; reads++) {
			String datagram;
			synchronized (channel) {
				if (channel.notifyFd < 0) {
					return;
				}
				// read(2) takes one datagram and no ancillary data: descriptors sent along (systemd-notify's
				// barrier) are closed by the kernel, which is what their sender waits for.
				long read = LinuxLibc.read(channel.notifyFd, buffer, READ_SIZE);
				if (read < 0) {
					return;
				}
				buffer.read(0, bytes, 0, (int) read);
				datagram = new String(bytes, 0, (int) read, StandardCharsets.UTF_8);
			}
			for (String line : datagram.split("\n")) {
				received(channel, line);
			}
		}
	}

	private void received(Channel channel, String line) {
		int equals = line.indexOf('=');
		if (equals < 0) {
			return;
		}
		String value = line.substring(equals + 1);
		switch (line.substring(0, equals)) {
			case "READY" -> {
				if ("1".equals(value)) {
					ready(channel);
				}
			}
			case "WATCHDOG" -> {
				if ("1".equals(value)) {
					channel.lastWatchdog = System.nanoTime();
				}
			}
			case "STOPPING" -> {
				if ("1".equals(value) && !channel.stopping) {
					channel.stopping = true;
					this.receiver.stopping(channel.index, channel.id);
				}
			}
			case "STATUS" -> {
				String status = status(value);
				if (!status.equals(channel.status)) {
					channel.status = status;
					this.receiver.status(channel.index, channel.id, status);
				}
			}
			default -> {
			}
		}
	}

	private void ready(Channel channel) {
		if (!channel.ready) {
			channel.ready = true;
			this.receiver.ready(channel.index, channel.id);
		}
	}

	/**
	 * A status text as shown: control characters escaped, cut to {@value #MAX_STATUS} characters.
	 */
	static String status(String text) {
		String escaped = ControlCharacters.escape(text);
		return (escaped.length() <= MAX_STATUS) ? escaped : escaped.substring(0, MAX_STATUS - 1) + "…";
	}

	private void readIpc(Channel channel, Memory buffer, byte[] bytes) {
		int length;
		synchronized (channel) {
			if (channel.ipcFd < 0) {
				return;
			}
			long read = LinuxLibc.read(channel.ipcFd, buffer, READ_SIZE);
			int errno = (read < 0) ? LinuxLibc.errno() : 0;
			if (errno == LinuxLibc.EAGAIN || errno == LinuxLibc.EINTR) {
				return;
			}
			if (read <= 0) {
				// The worker closed its end (it exited, or disconnected): nothing more comes.
				this.tokens.remove(2 * channel.id + 1);
				LinuxLibc.close(channel.ipcFd);
				channel.ipcFd = -1;
				return;
			}
			length = (int) read;
			buffer.read(0, bytes, 0, length);
		}
		channel.lines(bytes, length, (line) -> {
			if (READY_MESSAGE.equals(line.strip())) {
				ready(channel);
			}
		});
	}

	private boolean register(int fd, long token) {
		synchronized (this.control) {
			this.control.setInt(0, EPOLLIN);
			this.control.setLong(EPOLL_EVENT_DATA, token);
			return LinuxLibc.epoll_ctl(this.epoll, EPOLL_CTL_ADD, fd, this.control) == 0;
		}
	}

	private void release() {
		for (Channel channel : this.tokens.values()) {
			close(channel);
		}
		synchronized (this.control) {
			LinuxLibc.close(this.wake);
			LinuxLibc.close(this.epoll);
		}
		deleteDirectory();
	}

	/**
	 * A directory of the master's user alone (0700), with a path short enough for {@code sun_path}:
	 * under {@code $XDG_RUNTIME_DIR} where it is set, else {@code /tmp}.
	 */
	private static Path createDirectory() throws IOException {
		String runtime = System.getenv("XDG_RUNTIME_DIR");
		Path base = (runtime != null && runtime.startsWith("/") && runtime.length() < 60
				&& Files.isWritable(Path.of(runtime))) ? Path.of(runtime) : Path.of("/tmp");
		return Files.createTempDirectory(base, "cfork-",
				PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
	}

	private void deleteDirectory() {
		if (this.directory == null) {
			return;
		}
		try (var entries = Files.list(this.directory)) {
			for (Path entry : (Iterable<Path>) entries::iterator) {
				Files.deleteIfExists(entry);
			}
			Files.deleteIfExists(this.directory);
		}
		catch (IOException ex) {
			logger.warn("Could not remove {}: {}", this.directory, ex.toString());
		}
	}

	private static void closeDescriptor(int fd) {
		if (fd >= 0) {
			LinuxLibc.close(fd);
		}
	}

	/**
	 * Hears what changes a worker; on the messages' thread, so it must only hand the change on.
	 */
	interface Receiver {

		/** The worker said {@code READY=1}, or sent {@code "ready"} over IPC. */
		void ready(int index, long id);

		/** The worker's {@code STATUS=} text changed (escaped and cut). */
		void status(int index, long id, String status);

		/** The worker said {@code STOPPING=1}. */
		void stopping(int index, long id);

	}

	/**
	 * One worker's channels to the master.
	 */
	final class Channel {

		final int index;

		final long id;

		/** The master's datagram socket, or -1; guarded by this. */
		private int notifyFd = -1;

		private @Nullable Path socketPath;

		/** The master's end of the IPC channel, or -1; guarded by this. */
		private int ipcFd = -1;

		/** The worker's end of the IPC channel until it is spawned, or -1; guarded by this. */
		private int workerIpcFd = -1;

		/** When the worker last said {@code WATCHDOG=1} ({@link System#nanoTime()}), or 0. */
		private volatile long lastWatchdog;

		// The messages' thread only.
		private boolean ready;

		private boolean stopping;

		private @Nullable String status;

		private final ByteArrayOutputStream line = new ByteArrayOutputStream();

		private boolean skipping;

		private Channel(int index, long id) {
			this.index = index;
			this.id = id;
		}

		/**
		 * What the worker's environment gets: {@code NOTIFY_SOCKET} and {@code WATCHDOG_USEC}.
		 * {@code NODE_CHANNEL_FD} is the launcher's to set, where it places {@link #workerIpcFd()}.
		 */
		Map<String, String> environment() {
			Map<String, String> env = new LinkedHashMap<>();
			if (this.socketPath != null) {
				env.put("NOTIFY_SOCKET", this.socketPath.toString());
			}
			Duration watchdog = WorkerMessages.this.watchdogTimeout;
			if (watchdog != null) {
				env.put("WATCHDOG_USEC", Long.toString(TimeUnit.NANOSECONDS.toMicros(watchdog.toNanos())));
			}
			return env;
		}

		/**
		 * The worker's end of Node's IPC channel, for the launcher to place.
		 * @return the descriptor, or -1 without IPC
		 */
		synchronized int workerIpcFd() {
			return this.workerIpcFd;
		}

		/**
		 * The worker was spawned, or could not be: the master's copy of its IPC end is closed.
		 */
		synchronized void spawned() {
			closeDescriptor(this.workerIpcFd);
			this.workerIpcFd = -1;
		}

		/**
		 * When the worker last said {@code WATCHDOG=1}.
		 * @return {@link System#nanoTime()} then, or 0 if it never did
		 */
		long lastWatchdog() {
			return this.lastWatchdog;
		}

		private synchronized void openNotifySocket(Path path) throws IOException {
			byte[] name = path.toString().getBytes(LinuxLibc.NATIVE_CHARSET);
			if (name.length > MAX_SOCKET_PATH) {
				throw new IOException("Socket path " + path + " is longer than " + MAX_SOCKET_PATH + " bytes");
			}
			int fd = LinuxLibc.socket(LinuxLibc.AF_UNIX, LinuxLibc.SOCK_DGRAM | O_CLOEXEC | O_NONBLOCK, 0);
			if (fd < 0) {
				throw new IOException("Cannot create a datagram socket: " + LinuxLibc.describe(LinuxLibc.errno()));
			}
			Memory address = new Memory(2 + MAX_SOCKET_PATH + 1);
			address.clear();
			address.setShort(0, (short) LinuxLibc.AF_UNIX);
			address.write(2, name, 0, name.length);
			if (LinuxLibc.bind(fd, address, 2 + name.length + 1) != 0) {
				int errno = LinuxLibc.errno();
				LinuxLibc.close(fd);
				throw new IOException("Cannot bind " + path + ": " + LinuxLibc.describe(errno));
			}
			this.notifyFd = fd;
			this.socketPath = path;
		}

		private synchronized void openIpc() throws IOException {
			int[] pair = new int[2];
			if (LinuxLibc.socketpair(LinuxLibc.AF_UNIX, LinuxLibc.SOCK_STREAM | O_CLOEXEC, 0, pair) != 0) {
				throw new IOException("Cannot create a socket pair: " + LinuxLibc.describe(LinuxLibc.errno()));
			}
			if (LinuxLibc.fcntl(pair[0], LinuxLibc.F_SETFL, O_NONBLOCK) != 0) {
				int errno = LinuxLibc.errno();
				LinuxLibc.close(pair[0]);
				LinuxLibc.close(pair[1]);
				throw new IOException("Cannot make a socket non-blocking: " + LinuxLibc.describe(errno));
			}
			this.ipcFd = pair[0];
			this.workerIpcFd = pair[1];
		}

		/**
		 * Splits what was read from the IPC channel into lines; the messages' thread only.
		 */
		private void lines(byte[] bytes, int length, java.util.function.Consumer<String> action) {
			int start = 0;
			for (int i = 0; i < length; i++) {
				if (bytes[i] != '\n') {
					continue;
				}
				if (!this.skipping) {
					this.line.write(bytes, start, i - start);
					action.accept(this.line.toString(StandardCharsets.UTF_8));
				}
				this.line.reset();
				this.skipping = false;
				start = i + 1;
			}
			if (!this.skipping) {
				this.line.write(bytes, start, length - start);
				if (this.line.size() > MAX_LINE) {
					this.line.reset();
					this.skipping = true;
				}
			}
		}

		private synchronized void close() {
			closeDescriptor(this.notifyFd);
			this.notifyFd = -1;
			closeDescriptor(this.ipcFd);
			this.ipcFd = -1;
			closeDescriptor(this.workerIpcFd);
			this.workerIpcFd = -1;
			if (this.socketPath != null) {
				try {
					Files.deleteIfExists(this.socketPath);
				}
				catch (IOException ex) {
					logger.debug("Could not remove {}", this.socketPath, ex);
				}
			}
		}

	}

}
