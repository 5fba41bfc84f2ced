package io.cfork;

import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills what a pool leaves if its master dies, even by SIGKILL. The parent-death signal takes the
 * workers themselves with the master, but not what they started: a {@code sh -c} worker's children,
 * daemons. One small {@code sh} process per pool, in a session of its own, holds the read end of a
 * pipe from the master; when the master dies the kernel closes the write end, the watchdog reads
 * end-of-file, kills every process carrying the pool's mark ({@code CFORK_POOL_ID}), and exits. On
 * a normal stop the master closes the pipe itself, after its own sweep, and reaps the watchdog.
 * <p>
 * The watchdog is a shell script, not a binary to build or ship: {@code grep -lxz} lists the
 * marked processes in one pass over {@code /proc/*\/environ}; each is killed only if its start time
 * is the same before and after its mark is read again, so a pid reused in between is spared.
 */
final class PoolWatchdog implements AutoCloseable {

	private static final Logger logger = LoggerFactory.getLogger(PoolWatchdog.class);

	// $1: the pool's mark. Two passes: a marked process may fork while the first one runs.
	private static final String SCRIPT = """
			read -r _
			me=$$
			start() { s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1; set -- ${s##*) }; echo "${20}"; }
			for pass in 1 2; do
			  for environ in $(grep -lxzs "CFORK_POOL_ID=$1" /proc/[0-9]*/environ); do
			    pid=${environ#/proc/}; pid=${pid%/environ}
			    [ "$pid" = "$me" ] && continue
			    before=$(start "$pid") || continue
			    grep -qxzs "CFORK_POOL_ID=$1" "$environ" || continue
			    [ "$(start "$pid")" = "$before" ] && kill -9 "$pid" 2>/dev/null
			  done
			done
			""";

	private final Process process;

	private PoolWatchdog(Process process) {
		this.process = process;
	}

	/**
	 * Starts the watchdog of a pool.
	 * @param poolId the pool's mark
	 * @return the watchdog, or {@code null} where it cannot run (no {@code sh} or {@code setsid})
	 */
	static @Nullable PoolWatchdog start(String poolId) {
		if (!Files.isExecutable(Path.of("/bin/sh")) || !Files.isExecutable(Path.of("/usr/bin/setsid"))) {
			logger.warn("/bin/sh or setsid not found: what workers start is not killed if the master is SIGKILLed");
			return null;
		}
		// In a session of its own: Ctrl-C in a terminal must not kill it before the master is gone.
		ProcessBuilder builder = new ProcessBuilder("/usr/bin/setsid", "/bin/sh", "-c", SCRIPT, "cfork-watchdog",
				poolId)
			.redirectOutput(Redirect.DISCARD)
			.redirectError(Redirect.DISCARD);
		Map<String, String> environment = builder.environment();
		// It must not carry the mark it sweeps for.
		environment.keySet().removeIf((name) -> name.startsWith("CFORK_"));
		try {
			return new PoolWatchdog(builder.start());
		}
		catch (IOException ex) {
			logger.warn("Could not start the pool's watchdog: what workers start is not killed if the master is "
					+ "SIGKILLed ({})", ex.getMessage());
			return null;
		}
	}

	/**
	 * Lets the watchdog sweep (the master has swept already: it finds nothing) and reaps it.
	 */
	@Override
	public void close() {
		try {
			this.process.getOutputStream().close();
			if (!this.process.waitFor(10, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor();
			}
		}
		catch (IOException ex) {
			this.process.destroyForcibly();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
	}

}
