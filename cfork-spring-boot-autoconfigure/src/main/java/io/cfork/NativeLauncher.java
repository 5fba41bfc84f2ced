package io.cfork;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.StringArray;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.cfork.LinuxLibc.O_CLOEXEC;
import static io.cfork.LinuxLibc.O_NONBLOCK;
import static io.cfork.LinuxLibc.O_RDONLY;
import static io.cfork.LinuxLibc.O_WRONLY;
import static io.cfork.LinuxLibc.OPAQUE_SIZE;

/**
 * Starts workers with glibc's {@code posix_spawn}, called through JNA on the pool's supervisor
 * thread, and hands them to a {@link ChildWatcher} that sees their exits and reads their output on a
 * fixed number of threads.
 * <p>
 * Each worker is spawned with:
 * <ul>
 * <li>{@code POSIX_SPAWN_SETSID}: it leads a session of its own (no {@code setsid} exec);</li>
 * <li>{@code POSIX_SPAWN_SETSIGDEF} for every signal and an empty {@code POSIX_SPAWN_SETSIGMASK}:
 * it starts with default signal handling, whatever the JVM ignores or blocks;</li>
 * <li>file actions: standard input from {@code /dev/null}, standard output and error to pipes (or
 * {@code /dev/null} when output is discarded), and every other descriptor closed, including the
 * many the JVM holds without close-on-exec ({@code posix_spawn_file_actions_addclosefrom_np} where
 * glibc ≥ 2.34 has it, else one {@code addclose} per descriptor listed in {@code /proc/self/fd},
 * which misses one opened by another thread while the worker is being spawned);</li>
 * <li>the working directory set by {@code posix_spawn_file_actions_addchdir_np} (glibc ≥ 2.29).</li>
 * </ul>
 * What it execs is util-linux's {@code setpriv --pdeathsig KILL -- <command>}, which sets the
 * parent-death signal ({@code posix_spawn} cannot) and execs the command in place: the worker dies
 * with the master, even by SIGKILL. The signal fires when the <em>thread</em> that spawned the worker
 * ends, so workers are spawned only from the pool's long-lived supervisor thread.
 * <p>
 * A fork therefore costs two execs ({@code setpriv}, then the command), where {@link JdkLauncher}
 * needs four ({@code jspawnhelper}, {@code setpriv}, {@code setsid}, the command).
 */
final class NativeLauncher implements WorkerLauncher {

	private static final Logger logger = LoggerFactory.getLogger(NativeLauncher.class);

	private static final short FLAGS = (short) (LinuxLibc.POSIX_SPAWN_SETSID | LinuxLibc.POSIX_SPAWN_SETSIGDEF
			| LinuxLibc.POSIX_SPAWN_SETSIGMASK);

	private static final String ADDCHDIR = "posix_spawn_file_actions_addchdir_np";

	private static final String ADDCLOSEFROM = "posix_spawn_file_actions_addclosefrom_np";

	private static final Path SELF_FD = Path.of("/proc/self/fd");

	/** systemd's socket activation: the first socket is descriptor 3. */
	private static final int FIRST_SOCKET = 3;

	/** Node reads its IPC channel's descriptor from this variable. */
	static final String NODE_CHANNEL_FD = "NODE_CHANNEL_FD";

	private final String program;

	private final Memory programPath;

	/** No {@code setpriv}: the command itself is spawned, looked up on the master's PATH. */
	private final boolean searchPath;

	private final StringArray argv;

	private final PoolOptions options;

	/** The master's listening sockets, handed to each worker from descriptor 3 on. */
	private final int[] sockets;

	private final @Nullable String socketNames;

	private final String poolId;

	private final long masterPid = ProcessHandle.current().pid();

	private final @Nullable Path directory;

	private final @Nullable Memory directoryPath;

	private final boolean captureOutput;

	private final Memory devNull = LinuxLibc.cString("/dev/null");

	private final Memory attributes = new Memory(OPAQUE_SIZE);

	private final Function addChdir;

	private final @Nullable Function addClosefrom;

	private final ChildWatcher watcher;

	private final NativeEnvironment sharedEnvironment;

	/**
	 * Prepares what every spawn shares and starts the watcher's threads.
	 * @throws UncheckedIOException if the watcher's descriptors cannot be created
	 */
	NativeLauncher(PoolOptions options, @Nullable WorkerOutput output, String poolId,
			@Nullable MasterSockets sockets) {
		this.options = options;
		this.poolId = poolId;
		this.sockets = (sockets != null) ? sockets.fds() : new int[0];
		this.socketNames = (sockets != null)
				? String.join(":", sockets.addresses().stream().map(ListenAddress::fdName).toList()) : null;
		List<String> line = new ArrayList<>();
		String setpriv = JdkLauncher.findTool("setpriv");
		if (setpriv != null) {
			line.addAll(List.of(setpriv, "--pdeathsig", "KILL", "--"));
		}
		else {
			logger.warn("setpriv (util-linux) not found: workers will outlive the master if it is killed");
		}
		boolean watchdog = options.liveness().type() == LivenessCheck.Type.WATCHDOG;
		if (this.sockets.length > 0 || watchdog) {
			// LISTEN_PID and WATCHDOG_PID are the worker's own pid, which exists only once it is spawned:
			// a shell sets them and execs in place. It also closes setpriv's window: a worker whose
			// master died before the parent-death signal was set sees another parent, and goes.
			line.addAll(WorkerEnvironment.ownPidStep(this.sockets.length > 0, watchdog, true));
		}
		line.addAll(options.command().commandLine());
		this.program = line.get(0);
		this.programPath = LinuxLibc.cString(this.program);
		this.searchPath = setpriv == null;
		this.argv = new StringArray(line.toArray(String[]::new), LinuxLibc.NATIVE_CHARSET.name());
		this.directory = options.workingDirectory();
		this.directoryPath = (this.directory != null) ? LinuxLibc.cString(this.directory.toString()) : null;
		this.captureOutput = output != null;
		this.sharedEnvironment = sharedEnvironment(options, this.masterPid, poolId);
		this.addChdir = required(ADDCHDIR);
		this.addClosefrom = LinuxLibc.optionalFunction(ADDCLOSEFROM);
		Memory signals = new Memory(OPAQUE_SIZE);
		check(LinuxLibc.posix_spawnattr_init(this.attributes), "posix_spawnattr_init");
		check(LinuxLibc.posix_spawnattr_setflags(this.attributes, FLAGS), "posix_spawnattr_setflags");
		check(LinuxLibc.sigfillset(signals), "sigfillset");
		check(LinuxLibc.posix_spawnattr_setsigdefault(this.attributes, signals), "posix_spawnattr_setsigdefault");
		check(LinuxLibc.sigemptyset(signals), "sigemptyset");
		check(LinuxLibc.posix_spawnattr_setsigmask(this.attributes, signals), "posix_spawnattr_setsigmask");
		try {
			this.watcher = new ChildWatcher(output);
		}
		catch (IOException ex) {
			LinuxLibc.posix_spawnattr_destroy(this.attributes);
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * Checks that the native launcher can work here: the C library has what it needs and the kernel
	 * answers {@code pidfd_open} and {@code pidfd_send_signal}. Throws rather than returns a problem,
	 * so that a JNA that cannot load (a {@link LinkageError}) is reported the same way by the caller.
	 * @return what it found, for the log ({@code glibc 2.36})
	 * @throws UnsupportedOperationException naming what is missing
	 */
	static String check() {
		String glibc = "glibc " + LinuxLibc.gnu_get_libc_version();
		if (LinuxLibc.optionalFunction(ADDCHDIR) == null) {
			throw new UnsupportedOperationException(glibc + " has no " + ADDCHDIR + " (glibc 2.29 or later has)");
		}
		Memory attributes = new Memory(OPAQUE_SIZE);
		LinuxLibc.posix_spawnattr_init(attributes);
		int flags = LinuxLibc.posix_spawnattr_setflags(attributes, FLAGS);
		LinuxLibc.posix_spawnattr_destroy(attributes);
		if (flags != 0) {
			throw new UnsupportedOperationException(glibc + " refuses POSIX_SPAWN_SETSID (glibc 2.26 or later has it)");
		}
		int pidfd = (int) LinuxLibc.syscall(LinuxLibc.SYS_PIDFD_OPEN, LinuxLibc.getpid(), 0, 0, 0);
		if (pidfd < 0) {
			int errno = LinuxLibc.errno();
			throw new UnsupportedOperationException((errno == LinuxLibc.ENOSYS)
					? "the kernel has no pidfd_open (Linux 5.3 or later has)"
					: "pidfd_open fails: " + LinuxLibc.describe(errno) + " (a seccomp filter?)");
		}
		try {
			if (LinuxLibc.syscall(LinuxLibc.SYS_PIDFD_SEND_SIGNAL, pidfd, 0, 0, 0) != 0) {
				throw new UnsupportedOperationException(
						"pidfd_send_signal fails: " + LinuxLibc.describe(LinuxLibc.errno()));
			}
		}
		finally {
			LinuxLibc.close(pidfd);
		}
		return glibc + ((LinuxLibc.optionalFunction(ADDCLOSEFROM) != null) ? ""
				: " (before 2.34: the master's descriptors are closed in a worker one by one)");
	}

	@Override
	public WorkerProcess launch(int index, long id, int count, WorkerMessages.@Nullable Channel channel)
			throws IOException {
		int ipcFd = (channel != null) ? channel.workerIpcFd() : -1;
		Memory envp = environment(index, id, count, channel, ipcFd >= 0);
		Memory actions = new Memory(OPAQUE_SIZE);
		check(LinuxLibc.posix_spawn_file_actions_init(actions), "posix_spawn_file_actions_init");
		int[] stdout = null;
		int[] stderr = null;
		int pid;
		try {
			if (this.sockets.length > 0 && this.options.listenStdin()) {
				check(LinuxLibc.posix_spawn_file_actions_adddup2(actions, this.sockets[0], 0), "adddup2");
			}
			else {
				addOpen(actions, 0, O_RDONLY);
			}
			for (int i = 0; i < this.sockets.length; i++) {
				check(LinuxLibc.posix_spawn_file_actions_adddup2(actions, this.sockets[i], FIRST_SOCKET + i), "adddup2");
			}
			if (ipcFd >= 0) {
				check(LinuxLibc.posix_spawn_file_actions_adddup2(actions, ipcFd, ipcDescriptor()), "adddup2");
			}
			if (this.captureOutput) {
				stdout = pipe();
				stderr = pipe();
				check(LinuxLibc.posix_spawn_file_actions_adddup2(actions, stdout[1], 1), "adddup2");
				check(LinuxLibc.posix_spawn_file_actions_adddup2(actions, stderr[1], 2), "adddup2");
			}
			else {
				addOpen(actions, 1, O_WRONLY);
				addOpen(actions, 2, O_WRONLY);
			}
			closeOtherDescriptors(actions, ipcDescriptor() + ((ipcFd >= 0) ? 1 : 0));
			if (this.directoryPath != null) {
				check(this.addChdir.invokeInt(new Object[] { actions, this.directoryPath }), ADDCHDIR);
			}
			int[] spawned = new int[1];
			int error = this.searchPath
					? LinuxLibc.posix_spawnp(spawned, this.programPath, actions, this.attributes, this.argv, envp)
					: LinuxLibc.posix_spawn(spawned, this.programPath, actions, this.attributes, this.argv, envp);
			if (error != 0) {
				String message = "Cannot run program \"" + this.program + "\""
						+ ((this.directory != null) ? " (in directory \"" + this.directory + "\")" : "") + ": "
						+ LinuxLibc.describe(error);
				throw isLimit(error) ? new ProcessLimitException(message) : new IOException(message);
			}
			pid = spawned[0];
		}
		catch (IOException | RuntimeException ex) {
			closeEnd(stdout, 0);
			closeEnd(stderr, 0);
			throw ex;
		}
		finally {
			LinuxLibc.posix_spawn_file_actions_destroy(actions);
			actions.close();
			envp.close();
			// The worker has its own copies; the master keeps only the read ends.
			closeEnd(stdout, 1);
			closeEnd(stderr, 1);
		}
		return this.watcher.watch(pid, index, (stdout != null) ? stdout[0] : -1, (stderr != null) ? stderr[0] : -1);
	}

	@Override
	public boolean ownSession() {
		return true;
	}

	/**
	 * One: the worker's process. Its exit and output are watched on the watcher's fixed threads,
	 * and the steps before the command ({@code setpriv}, the {@code LISTEN_PID} shell) exec in place.
	 */
	@Override
	public int pidsPerWorker() {
		return 1;
	}

	@Override
	public String name() {
		return "native";
	}

	/**
	 * Whether an error number says a limit was reached: processes or memory ({@code EAGAIN},
	 * {@code ENOMEM}), descriptors ({@code EMFILE}, {@code ENFILE}).
	 */
	private static boolean isLimit(int errno) {
		return errno == LinuxLibc.EAGAIN || errno == LinuxLibc.ENOMEM || errno == LinuxLibc.EMFILE
				|| errno == LinuxLibc.ENFILE;
	}

	@Override
	public void close() {
		this.watcher.close();
		LinuxLibc.posix_spawnattr_destroy(this.attributes);
	}

	/**
	 * Where a worker finds Node's IPC channel: right after the master's sockets.
	 */
	private int ipcDescriptor() {
		return FIRST_SOCKET + this.sockets.length;
	}

	private void addOpen(Memory actions, int fd, int flags) {
		check(LinuxLibc.posix_spawn_file_actions_addopen(actions, fd, this.devNull, flags, 0), "addopen");
	}

	/**
	 * Closes in the worker every descriptor but 0, 1 and 2. The JVM opens many without
	 * close-on-exec (sockets, jar files, other workers' pipes), and what a worker inherits it keeps,
	 * with whatever it execs.
	 */
	private void closeOtherDescriptors(Memory actions, int first) throws IOException {
		if (this.addClosefrom != null) {
			check(this.addClosefrom.invokeInt(new Object[] { actions, first }), ADDCLOSEFROM);
			return;
		}
		try (DirectoryStream<Path> fds = Files.newDirectoryStream(SELF_FD)) {
			for (Path fd : fds) {
				int number = Integer.parseInt(fd.getFileName().toString());
				if (number >= first) {
					// Fails only for a number out of range, which a listed descriptor is not.
					LinuxLibc.posix_spawn_file_actions_addclose(actions, number);
				}
			}
		}
	}

	/**
	 * A pipe whose both ends are close-on-exec (no other child of the JVM inherits them) and whose
	 * read end, the master's, is non-blocking. The worker's copy of the write end, made by
	 * {@code dup2}, is neither.
	 */
	private static int[] pipe() throws IOException {
		int[] fds = new int[2];
		if (LinuxLibc.pipe2(fds, O_CLOEXEC) != 0) {
			int errno = LinuxLibc.errno();
			String message = "Cannot create a pipe: " + LinuxLibc.describe(errno);
			throw isLimit(errno) ? new ProcessLimitException(message) : new IOException(message);
		}
		if (LinuxLibc.fcntl(fds[0], LinuxLibc.F_SETFL, O_NONBLOCK) != 0) {
			int errno = LinuxLibc.errno();
			LinuxLibc.close(fds[0]);
			LinuxLibc.close(fds[1]);
			throw new IOException("Cannot make a pipe non-blocking: " + LinuxLibc.describe(errno));
		}
		return fds;
	}

	private static void closeEnd(int @Nullable [] pipe, int end) {
		if (pipe != null && pipe[end] >= 0) {
			LinuxLibc.close(pipe[end]);
			pipe[end] = -1;
		}
	}

	/**
	 * The environment as {@link JdkLauncher} builds it ({@link WorkerEnvironment#build}): what
	 * depends on the worker over what all share, encoded once in the constructor.
	 */
	private Memory environment(int index, long id, int count, WorkerMessages.@Nullable Channel channel,
			boolean ipc) {
		Map<String, String> own = new LinkedHashMap<>();
		WorkerEnvironment.build(own, this.options.incrementEnv().isEmpty() ? Map.of() : this.options.env(index),
				new WorkerEnvironment(index, id, count, this.masterPid, this.poolId));
		if (this.socketNames != null) {
			own.put("LISTEN_FDS", Integer.toString(this.sockets.length));
			own.put("LISTEN_FDNAMES", this.socketNames);
		}
		if (channel != null) {
			own.putAll(channel.environment());
		}
		if (ipc) {
			own.put(NODE_CHANNEL_FD, Integer.toString(ipcDescriptor()));
			own.put("NODE_CHANNEL_SERIALIZATION_MODE", "json");
		}
		return this.sharedEnvironment.block(own);
	}

	/**
	 * What every worker's environment shares: the master's, less what it got from systemd, with
	 * the pool's extra variables; what {@link #environment} adds for a worker replaces these.
	 */
	private static NativeEnvironment sharedEnvironment(PoolOptions options, long masterPid, String poolId) {
		Map<String, String> shared = new LinkedHashMap<>(System.getenv());
		WorkerEnvironment.build(shared, options.env(), new WorkerEnvironment(0, 0, 0, masterPid, poolId));
		return new NativeEnvironment(shared);
	}

	private static Function required(String name) {
		Function function = LinuxLibc.optionalFunction(name);
		if (function == null) {
			throw new IllegalStateException("The C library has no " + name);
		}
		return function;
	}

	/**
	 * Checks the result of a function that returns an error number (the {@code posix_spawn} family).
	 */
	private static void check(int error, String function) {
		if (error != 0) {
			throw new IllegalStateException(function + " failed: " + LinuxLibc.describe(error));
		}
	}

}
