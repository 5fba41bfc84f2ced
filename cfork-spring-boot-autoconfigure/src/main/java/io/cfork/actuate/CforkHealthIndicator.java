package io.cfork.actuate;

import java.util.function.Supplier;

import io.cfork.PoolSnapshot;
import io.cfork.PoolStatus;
import io.cfork.WorkerPoolManager;
import io.cfork.WorkerState;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the worker pool: {@code UP} while it keeps its workers alive (also while it reforks
 * some), {@code DOWN} once it gave up reforking (refork limit reached) or when no worker is alive
 * and none will be forked, {@code OUT_OF_SERVICE} while stopping or stopped.
 * <p>
 * A {@code DOWN} component turns {@code /actuator/health} into 503: point a liveness probe at a
 * group without it (see the README).
 */
public class CforkHealthIndicator extends AbstractHealthIndicator {

	private final Supplier<PoolSnapshot> pool;

	/**
	 * Creates the indicator.
	 * @param pool the pool
	 */
	public CforkHealthIndicator(WorkerPoolManager pool) {
		this(pool::snapshot);
	}

	/**
	 * Creates the indicator from where the pool's snapshots come from.
	 * @param pool supplies the pool's latest snapshot
	 */
	CforkHealthIndicator(Supplier<PoolSnapshot> pool) {
		super("Worker pool health check failed");
		this.pool = pool;
	}

	@Override
	protected void doHealthCheck(Health.Builder builder) {
		describe(this.pool.get(), builder);
	}

	/**
	 * The health of the pool at one moment: a function of its snapshot alone.
	 */
	private static void describe(PoolSnapshot pool, Health.Builder builder) {
		builder.withDetail("status", pool.status())
			.withDetail("desired", pool.desired())
			.withDetail("alive", pool.alive())
			.withDetail("reforks", pool.reforks());
		if (pool.status() == PoolStatus.GAVE_UP) {
			builder.down().withDetail("reason", "refork limit reached: " + pool.limit().limit() + " reforks within "
					+ pool.limit().duration());
		}
		else if (pool.status() == PoolStatus.STOPPING || pool.status() == PoolStatus.STOPPED) {
			builder.outOfService();
		}
		else if (pool.alive() == 0 && pool.count(WorkerState.BACKOFF) == 0) {
			builder.down().withDetail("reason", "no worker is alive and none will be forked");
		}
		else {
			builder.up();
		}
	}

}
