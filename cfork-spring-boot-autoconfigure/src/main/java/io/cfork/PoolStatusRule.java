package io.cfork;

/**
 * The pool's status as a pure function of what the supervisor counts, as the contract's table
 * says: {@code STARTING} until every worker of the first start is ready (unless one fails first),
 * {@code RUNNING} while all desired workers are ready, {@code DEGRADED} (or {@code GAVE_UP} past
 * the refork limit) while fewer are.
 */
final class PoolStatusRule {

	private PoolStatusRule() {
	}

	/**
	 * The status of a running pool.
	 * @param desired how many workers the pool keeps
	 * @param ready how many are ready
	 * @param firstStart whether the first start is still under way and no slot has failed yet
	 * @param gaveUp whether the refork limit was reached
	 * @return the status
	 */
	static PoolStatus running(int desired, int ready, boolean firstStart, boolean gaveUp) {
		if (gaveUp) {
			return PoolStatus.GAVE_UP;
		}
		if (ready >= desired) {
			return PoolStatus.RUNNING;
		}
		return firstStart ? PoolStatus.STARTING : PoolStatus.DEGRADED;
	}

}
