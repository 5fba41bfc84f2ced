package io.cfork;

import java.io.File;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts worker processes. On Linux each worker is started through util-linux's {@code setpriv
 * --pdeathsig KILL} and {@code setsid}, which both exec in place (the worker keeps their pid):
 * <ul>
 * <li>the parent-death signal kills the worker if the master dies, even by SIGKILL. It fires when
 * the <em>thread</em> that forked the worker ends, so workers are forked only from the pool's
 * long-lived supervisor thread;</li>
 * <li>a session of its own keeps a terminal's Ctrl-C (SIGINT to the foreground process group)
 * away from workers: the master stops them itself, in order.</li>
 * </ul>
 */
final class ProcessLauncher {

	private static final Logger logger = LoggerFactory.getLogger(ProcessLauncher.class);

	private static final File DEV_NULL = new File(isWindows() ? "NUL" : "/dev/null");

	private final List<String> commandLine;

	private final @Nullable File directory;

	private final Map<String, String> env;

	private final boolean captureOutput;

	private final boolean ownSession;

	private final String masterPid = Long.toString(ProcessHandle.current().pid());

	ProcessLauncher(PoolOptions options) {
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
		if (setpriv != null) {
			line.addAll(List.of(setpriv, "--pdeathsig", "KILL", "--"));
		}
		if (setsid != null) {
			line.add(setsid);
		}
		line.addAll(options.command().commandLine());
		this.commandLine = List.copyOf(line);
		this.ownSession = setsid != null;
		this.directory = (options.workingDirectory() != null) ? options.workingDirectory().toFile() : null;
		this.env = options.env();
		this.captureOutput = options.output() != null;
	}

	/**
	 * Starts a worker.
	 * @param index its slot index
	 * @param id its fork id
	 * @param count the pool's desired count
	 * @return the started process
	 * @throws IOException if the process could not be started
	 */
	Process launch(int index, long id, int count) throws IOException {
		ProcessBuilder builder = new ProcessBuilder(this.commandLine);
		if (this.directory != null) {
			builder.directory(this.directory);
		}
		Map<String, String> environment = builder.environment();
		environment.putAll(this.env);
		environment.put(WorkerEnvironment.WORKER_INDEX, Integer.toString(index));
		environment.put(WorkerEnvironment.WORKER_ID, Long.toString(id));
		environment.put(WorkerEnvironment.WORKER_COUNT, Integer.toString(count));
		environment.put(WorkerEnvironment.MASTER_PID, this.masterPid);
		builder.redirectInput(Redirect.from(DEV_NULL));
		if (this.captureOutput) {
			builder.redirectErrorStream(true);
		}
		else {
			builder.redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD);
		}
		return builder.start();
	}

	/**
	 * Whether each worker leads a session of its own, whose id is the worker's pid.
	 * @return whether workers get their own session
	 */
	boolean ownSession() {
		return this.ownSession;
	}

	private static @Nullable String findTool(String name) {
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

	private static boolean isWindows() {
		return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
	}

}
