package io.cfork;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * What a worker learns from its environment: the variables the pool sets in each worker.
 * <p>
 * {@code CFORK_WORKER_INDEX} and {@code CFORK_WORKER_COUNT} are the names Node's cfork sets, so
 * Node workers written for cfork run unchanged.
 *
 * @param index the worker's slot index ({@code CFORK_WORKER_INDEX})
 * @param id the fork's id, unique in the master's life ({@code CFORK_WORKER_ID})
 * @param count the number of workers the pool keeps ({@code CFORK_WORKER_COUNT})
 * @param masterPid the master's process id ({@code CFORK_MASTER_PID})
 * @param poolId the pool's mark ({@code CFORK_POOL_ID}), or {@code null} from a master that set none
 */
public record WorkerEnvironment(int index, long id, int count, long masterPid, @Nullable String poolId) {

	/** The slot index, {@code 0..count-1}, stable across reforks. */
	public static final String WORKER_INDEX = "CFORK_WORKER_INDEX";

	/** This fork's id, unique in the master's life. */
	public static final String WORKER_ID = "CFORK_WORKER_ID";

	/** The number of workers the pool keeps alive. */
	public static final String WORKER_COUNT = "CFORK_WORKER_COUNT";

	/** The master's process id; its presence marks a process as a worker. */
	public static final String MASTER_PID = "CFORK_MASTER_PID";

	/**
	 * The pool's mark: random, unique to the pool, inherited by every process a worker starts, so
	 * that what a worker or the master leaves behind is found and killed.
	 */
	public static final String POOL_ID = "CFORK_POOL_ID";

	/** The names of the variables the pool sets. */
	static final List<String> NAMES = List.of(WORKER_INDEX, WORKER_ID, WORKER_COUNT, MASTER_PID, POOL_ID);

	/**
	 * Variables a master running under systemd may have inherited (sd_notify, socket activation,
	 * watchdog), which speak of the master and must not reach a worker.
	 */
	private static final List<String> NOT_INHERITED = List.of("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID",
			"LISTEN_FDNAMES", "WATCHDOG_USEC", "WATCHDOG_PID");
	/**
	 * The environment of this process, if it was forked by a pool.
	 * @return the worker's environment, or empty in a process that is not a worker
	 */
	public static Optional<WorkerEnvironment> current() {
		return from(System.getenv());
	}

	/**
	 * Reads a worker's environment from the given variables.
	 * @param env the environment variables
	 * @return the worker's environment, or empty if {@code CFORK_MASTER_PID} is absent or any
	 * variable is malformed
	 */
	public static Optional<WorkerEnvironment> from(Map<String, String> env) {
		String masterPid = env.get(MASTER_PID);
		if (masterPid == null) {
			return Optional.empty();
		}
		try {
			return Optional.of(new WorkerEnvironment(Integer.parseInt(env.getOrDefault(WORKER_INDEX, "0")),
					Long.parseLong(env.getOrDefault(WORKER_ID, "0")),
					Integer.parseInt(env.getOrDefault(WORKER_COUNT, "1")), Long.parseLong(masterPid),
					env.get(POOL_ID)));
		}
		catch (NumberFormatException ex) {
			return Optional.empty();
		}
	}

	/**
	 * Whether this process was forked by a pool ({@code CFORK_MASTER_PID} is set).
	 * @return whether this process is a worker
	 */
	public static boolean isWorker() {
		return System.getenv(MASTER_PID) != null;
	}

	/**
	 * Builds a worker's environment over the master's own: the master's variables but those it got
	 * from systemd, then the pool's extra variables, then the pool's mark.
	 * @param environment the master's environment, changed in place
	 * @param extra the pool's extra variables ({@code cfork.env})
	 * @param worker what the worker learns
	 */
	static void build(Map<String, String> environment, Map<String, String> extra, WorkerEnvironment worker) {
		NOT_INHERITED.forEach(environment::remove);
		environment.putAll(extra);
		environment.put(WORKER_INDEX, Integer.toString(worker.index()));
		environment.put(WORKER_ID, Long.toString(worker.id()));
		environment.put(WORKER_COUNT, Integer.toString(worker.count()));
		environment.put(MASTER_PID, Long.toString(worker.masterPid()));
		if (worker.poolId() != null) {
			environment.put(POOL_ID, worker.poolId());
		}
	}

	/**
	 * The exec-in-place step that sets variables holding the worker's own pid: {@code sh -c} with
	 * {@code $$}, which {@code exec}s the command with the shell's pid.
	 * @param listenPid whether to set {@code LISTEN_PID}
	 * @param watchdogPid whether to set {@code WATCHDOG_PID}
	 * @param checkParent whether the worker exits at once unless the master is its parent
	 * @return the arguments to put before the command
	 */
	static List<String> ownPidStep(boolean listenPid, boolean watchdogPid, boolean checkParent) {
		StringBuilder script = new StringBuilder();
		if (checkParent) {
			script.append("[ \"$PPID\" = \"$CFORK_MASTER_PID\" ] || exit 1; ");
		}
		if (listenPid) {
			script.append("LISTEN_PID=$$; export LISTEN_PID; ");
		}
		if (watchdogPid) {
			script.append("WATCHDOG_PID=$$; export WATCHDOG_PID; ");
		}
		return List.of("/bin/sh", "-c", script.append("exec \"$@\"").toString(), "sh");
	}

}
