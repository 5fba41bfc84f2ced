package io.cfork;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts workers with the JDK's {@link ProcessBuilder}. On Linux each worker is started through util-linux's {@code setpriv
 * --pdeathsig KILL} and {@code setsid}, which both exec in place (the worker keeps their pid):
 * <ul>
 * <li>the parent-death signal kills the worker if the master dies, even by SIGKILL. It fires when
 * the <em>thread</em> that forked the worker ends, so workers are forked only from the pool's
 * long-lived supervisor thread;</li>
 * <li>a session of its own keeps a terminal's Ctrl-C (SIGINT to the foreground process group)
 * away from workers: the master stops them itself, in order.</li>
 * </ul>
 */
final class JdkLauncher implements WorkerLauncher {

	private static final Logger logger = LoggerFactory.getLogger(JdkLauncher.class);

	/** How long an exit waits at most for the worker's stderr to be read to its end. */
	private static final long STDERR_DRAIN_MILLIS = 50;

	private static final File DEV_NULL = new File(isWindows() ? "NUL" : "/dev/null");

	/** How often the exit sweep looks for a worker that was reaped with its exit not handed on. */
	private static final long EXIT_SWEEP_MILLIS = 1000;

	private final List<String> commandLine;

	private final @Nullable File directory;

	private final PoolOptions options;

	private final @Nullable WorkerOutput output;

	private final boolean ownSession;

	private final long masterPid = ProcessHandle.current().pid();

	private final String poolId;

	/** What a worker's process is called by the kernel at each exec of its launch. */
	private final Set<String> processNames;

	/** The workers whose exit has not been handed on yet, for the exit sweep. */
	private final Set<JdkWorkerProcess> running = ConcurrentHashMap.newKeySet();

	/**
	 * Hands on the exits that {@link Process#onExit()} lost. The JDK's reaper thread records an
	 * exit, but completes {@code onExit()} through an asynchronous step on a thread pool (the
	 * common {@code ForkJoinPool} on JDK 25): at a limit on threads that pool cannot start a
	 * thread, and the step fails before the JDK has recorded the exit, or waits, unrun, until
	 * something else is submitted to it. The stop would then wait for ever for a worker already
	 * reaped. Its thread is started here, while threads can be had, and kept.
	 */
	private final ScheduledThreadPoolExecutor exitSweep;

	JdkLauncher(PoolOptions options, @Nullable WorkerOutput output, String poolId) {
		this.poolId = poolId;
		String setpriv = isLinux() ? findTool("setpriv") : null;
		String setsid = isLinux() ? findTool("setsid") : null;
		if (isLinux() && setpriv == null) {
			logger.warn("setpriv (util-linux) not found: workers will outlive the master if it is killed");
		}
		if (isLinux() && setsid == null) {
			logger.warn("setsid (util-linux) not found: Ctrl-C in a terminal reaches workers directly, and "
					+ "what a worker leaves behind when it exits is not killed");
		}
		List<String> line = new ArrayList<>();
		Set<String> names = new HashSet<>();
		if (setpriv != null) {
			line.addAll(List.of(setpriv, "--pdeathsig", "KILL", "--"));
			names.add(processName(setpriv));
		}
		if (setsid != null) {
			line.add(setsid);
			names.add(processName(setsid));
		}
		if (options.liveness().type() == LivenessCheck.Type.WATCHDOG) {
			// WATCHDOG_PID is the worker's own pid, which exists only once it is spawned.
			List<String> step = WorkerEnvironment.ownPidStep(false, true, false);
			line.addAll(step);
			names.add(processName(step.get(0)));
		}
		line.addAll(options.command().commandLine());
		names.add(processName(options.command().commandLine().get(0)));
		this.commandLine = List.copyOf(line);
		this.processNames = Set.copyOf(names);
		this.ownSession = setsid != null;
		this.directory = (options.workingDirectory() != null) ? options.workingDirectory().toFile() : null;
		this.options = options;
		this.output = output;
		this.exitSweep = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "cfork-exit-sweep");
			thread.setDaemon(true);
			return thread;
		});
		this.exitSweep.prestartCoreThread();
		this.exitSweep.scheduleWithFixedDelay(this::sweepExits, EXIT_SWEEP_MILLIS, EXIT_SWEEP_MILLIS,
				TimeUnit.MILLISECONDS);
		warmUpJna();
	}

	@Override
	public WorkerProcess launch(int index, long id, int count, WorkerMessages.@Nullable Channel channel)
			throws IOException {
		ProcessBuilder builder = new ProcessBuilder(this.commandLine);
		if (this.directory != null) {
			builder.directory(this.directory);
		}
		WorkerEnvironment.build(builder.environment(), this.options.env(index),
				new WorkerEnvironment(index, id, count, this.masterPid, this.poolId));
		if (channel != null) {
			builder.environment().putAll(channel.environment());
		}
		builder.redirectInput(Redirect.from(DEV_NULL));
		if (this.output == null) {
			builder.redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD);
		}
		Process process = start(builder, id);
		if (this.output == null) {
			return new JdkWorkerProcess(process, null, this.running);
		}
		try {
			OutputPump.start(process.getInputStream(), index, process.pid(), WorkerOutput.Stream.STDOUT, this.output);
			OutputPump stderr = OutputPump.start(process.getErrorStream(), index, process.pid(),
					WorkerOutput.Stream.STDERR, this.output);
			return new JdkWorkerProcess(process, stderr, this.running);
		}
		catch (OutOfMemoryError ex) {
			// No thread for its output: the JDK's reaper, which did start, reaps it once killed.
			process.destroyForcibly();
			throw new ProcessLimitException("Cannot start a thread for the output of worker pid " + process.pid()
					+ " (killed): " + ex.getMessage(), ex);
		}
	}

	/**
	 * Starts the process. {@link ProcessBuilder#start()} may fail after the process was spawned: a
	 * reaper thread that cannot be created throws {@link OutOfMemoryError} with the process running
	 * and its pid lost. That process is found by its mark, killed and reaped here, or reaped if it
	 * has died already.
	 */
	private Process start(ProcessBuilder builder, long id) throws IOException {
		long started = System.nanoTime();
		try {
			return builder.start();
		}
		catch (IOException ex) {
			if (ProcessLimitException.isLimit(ex)) {
				throw ProcessLimitException.of(ex);
			}
			throw ex;
		}
		catch (OutOfMemoryError ex) {
			Set<Long> known = new HashSet<>();
			this.running.forEach((process) -> known.add(process.pid()));
			String lost;
			try {
				lost = LostProcesses.killAndReap(this.poolId, id, ProcFs.ticksAt(started) - 1, known,
						this.processNames);
			}
			catch (RuntimeException | LinkageError | OutOfMemoryError looking) {
				lost = "could not look for the process it had spawned: " + looking;
			}
			throw new ProcessLimitException("ProcessBuilder.start failed: " + ex.getMessage()
					+ ((lost != null) ? "; " + lost : ""), ex);
		}
	}

	/**
	 * The process, a reaper thread in the master while it runs and, when its output is logged, a
	 * thread for each of its stdout and stderr.
	 */
	@Override
	public int pidsPerWorker() {
		return (this.output != null) ? 4 : 2;
	}

	@Override
	public String name() {
		return "jdk";
	}

	@Override
	public boolean ownSession() {
		return this.ownSession;
	}

	@Override
	public void close() {
		// Each process's reaper and output threads end with the process and its pipes.
		this.exitSweep.shutdownNow();
	}

	/**
	 * Hands on the exit of each worker found reaped on two sweeps in a row, which
	 * {@link Process#onExit()} would have handed on by then had its thread pool run.
	 */
	private void sweepExits() {
		for (JdkWorkerProcess process : this.running) {
			try {
				process.sweep();
			}
			catch (RuntimeException ex) {
				// A scheduled task that throws is never run again: log it, sweep on.
				logger.warn("Could not hand on the exit of worker pid {}", process.pid(), ex);
			}
		}
	}

	/**
	 * Loads JNA now, if it is on the class path, for {@link LostProcesses} to reap with: loading it
	 * starts a thread, which is refused at the limit that makes a launch fail after its spawn.
	 */
	private static void warmUpJna() {
		if (!ProcFs.isAvailable()) {
			return; // LostProcesses looks for nothing without /proc
		}
		try {
			LinuxLibc.getpid();
		}
		catch (LinkageError ex) {
			// No JNA: a lost process is still killed by its mark, and reaped when the master exits.
		}
	}

	/**
	 * The name the kernel gives a process that execs this program: its file name, cut to 15
	 * characters ({@code /proc/<pid>/stat}'s {@code comm}).
	 */
	private static String processName(String program) {
		String name = Path.of(program).getFileName().toString();
		return (name.length() > 15) ? name.substring(0, 15) : name;
	}

	static @Nullable String findTool(String name) {
		for (String dir : List.of("/usr/bin", "/bin", "/usr/sbin", "/sbin")) {
			Path tool = Path.of(dir, name);
			if (Files.isExecutable(tool)) {
				return tool.toString();
			}
		}
		return null;
	}

	private static boolean isLinux() {
		return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux");
	}

	/**
	 * A {@link Process} seen as a {@link WorkerProcess}. Its exit is handed on once, by
	 * {@link Process#onExit()} or, where that was lost, by the launcher's exit sweep.
	 */
	private static final class JdkWorkerProcess implements WorkerProcess {

		private final Process process;

		private final @Nullable OutputPump stderr;

		private final Set<JdkWorkerProcess> running;

		private final AtomicReference<@Nullable IntConsumer> exitCode = new AtomicReference<>();

		/** Whether the last sweep found it reaped (the sweep's thread only). */
		private boolean seenReaped;

		JdkWorkerProcess(Process process, @Nullable OutputPump stderr, Set<JdkWorkerProcess> running) {
			this.process = process;
			this.stderr = stderr;
			this.running = running;
		}

		@Override
		public long pid() {
			return this.process.pid();
		}

		@Override
		public void onExit(IntConsumer exitCode) {
			this.exitCode.set(exitCode);
			this.running.add(this);
			// The JDK completes onExit() from its reaper thread: only hand the code on from there. What
			// the worker printed on stderr before it died is in the pipe: give the pump a moment to
			// read it, so the exit can quote why the worker died, but never wait on a pipe that a
			// grandchild keeps open.
			OutputPump stderr = this.stderr;
			CompletableFuture<?> exited = this.process.onExit();
			if (stderr != null) {
				exited = exited.thenCompose((ignored) -> stderr.finished()
					.completeOnTimeout(null, STDERR_DRAIN_MILLIS, TimeUnit.MILLISECONDS));
			}
			exited.whenComplete((ignored, ex) -> exited());
		}

		void sweep() {
			boolean reaped = !this.process.isAlive();
			if (reaped && this.seenReaped) {
				exited();
			}
			this.seenReaped = reaped;
		}

		private void exited() {
			if (this.process.isAlive()) {
				// onExit() failed without running (its thread pool could not take the step): the
				// JDK records the exit only after this, and the sweep hands it on.
				return;
			}
			IntConsumer exitCode = this.exitCode.getAndSet(null);
			if (exitCode != null) {
				this.running.remove(this);
				exitCode.accept(this.process.exitValue());
			}
		}

		@Override
		public void terminate() {
			this.process.destroy();
		}

		@Override
		public void kill() {
			this.process.descendants().forEach(ProcessHandle::destroyForcibly);
			this.process.destroyForcibly();
		}

		@Override
		public void quit() {
			// The JDK sends only SIGTERM and SIGKILL: kill(1) sends the rest. Not waited for (this runs
			// on the supervisor thread); the JDK reaps it.
			try {
				new ProcessBuilder("kill", "-QUIT", Long.toString(this.process.pid())).start();
			}
			catch (IOException ex) {
				logger.warn("Could not send SIGQUIT to worker pid {}: {}", this.process.pid(), ex.getMessage());
			}
		}

		@Override
		public @Nullable String lastErrorLine() {
			return (this.stderr != null) ? this.stderr.errorLine() : null;
		}

	}

	private static boolean isWindows() {
		return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
	}

}
