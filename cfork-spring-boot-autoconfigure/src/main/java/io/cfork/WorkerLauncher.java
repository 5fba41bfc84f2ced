package io.cfork;

import java.io.IOException;

import org.jspecify.annotations.Nullable;

/**
 * Starts worker processes. Every process it starts carries the pool's environment
 * ({@link WorkerEnvironment}), and, where the platform allows, dies with the master and leads a
 * session of its own.
 * <p>
 * Called only on the pool's supervisor thread: the Linux parent-death signal fires when the thread
 * that forked a child ends, so the forking thread must live as long as the pool.
 */
interface WorkerLauncher extends AutoCloseable {

	/**
	 * Starts a worker.
	 * @param index its slot index
	 * @param id its fork id
	 * @param count the pool's desired count
	 * @param channel the worker's channels to the master ({@link WorkerMessages}), whose variables
	 * (and IPC descriptor) the worker gets, or {@code null}
	 * @return the started process
	 * @throws IOException if the process could not be started
	 */
	WorkerProcess launch(int index, long id, int count, WorkerMessages.@Nullable Channel channel) throws IOException;

	/**
	 * Whether each worker leads a session of its own, whose id is the worker's pid.
	 * @return whether workers get their own session
	 */
	boolean ownSession();

	/**
	 * What each worker costs in pids, the unit of the limits on processes ({@code pids.max},
	 * {@code RLIMIT_NPROC}, {@code threads-max}, which count threads): its process, and the threads
	 * the master runs for it. What the worker itself starts is not known in advance.
	 * @return pids per worker
	 */
	int pidsPerWorker();

	/**
	 * The launcher's name, as {@code cfork.launcher} spells it.
	 * @return the name
	 */
	String name();

	/**
	 * Releases what the launcher holds (threads, descriptors). Processes it started are not
	 * touched: the pool stops them first.
	 */
	@Override
	void close();

}
