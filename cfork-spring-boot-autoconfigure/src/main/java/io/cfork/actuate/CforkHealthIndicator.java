package io.cfork.actuate;

import java.util.function.Supplier;

import io.cfork.PoolSnapshot;
import io.cfork.WorkerPoolManager;

import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/**
 * Health of the worker pool: {@code UP} while some workers serve (ready), with details that say
 * what is missing when fewer than desired do; {@code DOWN} when none is ready after the first
 * start (or once a slot failed during it); {@code OUT_OF_SERVICE} while stopping or stopped.
 * <p>
 * Details: {@code status}, {@code desired}, {@code alive}, {@code ready}, {@code reforks},
 * {@code crashLooping} (slots in a crash loop), and {@code reason} unless all desired workers are
 * ready.
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
			.withDetail("ready", pool.ready())
			.withDetail("reforks", pool.reforks())
			.withDetail("crashLooping", pool.crashLooping());
		switch (pool.status()) {
			case STOPPING, STOPPED -> builder.outOfService();
			case STARTING, RUNNING -> builder.up();
			case DEGRADED, GAVE_UP -> {
				if (pool.ready() > 0) {
					builder.up();
				}
				else {
					builder.down();
				}
				builder.withDetail("reason", reason(pool));
			}
		}
	}

	/**
	 * Why fewer workers than desired serve: {@code "1 of 2 workers ready; 1 crash-looping; refork
	 * limit reached (60 reforks within PT1M)..."}.
	 */
	private static String reason(PoolSnapshot pool) {
		StringBuilder reason = new StringBuilder();
		reason.append(pool.ready()).append(" of ").append(pool.desired()).append(" workers ready");
		if (pool.crashLooping() > 0) {
			reason.append("; ").append(pool.crashLooping()).append(" crash-looping");
		}
		if (pool.limit().reached()) {
			reason.append("; refork limit reached (").append(pool.limit().limit()).append(" reforks within ")
				.append(pool.limit().duration()).append("), no worker is reforked until one is ")
				.append("restarted or the pool is scaled");
		}
		return reason.toString();
	}

}
