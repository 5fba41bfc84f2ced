package io.cfork.actuate;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import io.cfork.PoolOptions;
import io.cfork.WorkerCommand;
import io.cfork.WorkerPoolManager;

/**
 * Pools of real {@code sleep 3600} workers for the endpoint's unit tests; the caller stops them.
 */
final class TestPools {

	private TestPools() {
	}

	/**
	 * A pool of {@code count} sleeping workers with a secret in its environment, not started.
	 */
	static WorkerPoolManager sleeping(int count) {
		return new WorkerPoolManager(PoolOptions.builder(WorkerCommand.exec("sleep", List.of("3600")))
			.count(count)
			.env(Map.of("API_TOKEN", "s3cr3t"))
			.minUptime(Duration.ZERO)
			.shutdownTimeout(Duration.ofSeconds(3))
			.output(null)
			.build());
	}

}
