package io.cfork;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link WorkerOutput} to the SLF4J logger {@code cfork.worker}.
 */
final class Slf4jWorkerOutput implements WorkerOutput {

	static final Slf4jWorkerOutput INSTANCE = new Slf4jWorkerOutput();

	private static final Logger logger = LoggerFactory.getLogger("cfork.worker");

	@Override
	public void line(int index, long pid, String line) {
		logger.info("[worker {} pid {}] {}", index, pid, line);
	}

}
