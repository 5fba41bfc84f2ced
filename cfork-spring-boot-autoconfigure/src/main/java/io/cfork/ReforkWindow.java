package io.cfork;

/**
 * The refork limit as a sliding window: at most {@code limit} reforks within {@code duration}.
 * A pure function of the times it was asked at (nanosecond ticks), so it is tested without
 * processes. Confined to the supervisor thread.
 */
final class ReforkWindow {

	private final long[] times;

	private final long durationNanos;

	private int next;

	private int size;

	ReforkWindow(int limit, long durationNanos) {
		this.times = new long[limit];
		this.durationNanos = durationNanos;
	}

	/**
	 * Whether a refork at {@code now} would be within the limit.
	 * @param now the current tick in nanoseconds
	 * @return whether fewer than {@code limit} reforks happened within the window ending at
	 * {@code now}
	 */
	boolean hasRoom(long now) {
		return this.size < this.times.length || now - this.times[this.next] >= this.durationNanos;
	}

	/**
	 * Records a refork at {@code now}.
	 * @param now the current tick in nanoseconds
	 */
	void record(long now) {
		this.times[this.next] = now;
		this.next = (this.next + 1) % this.times.length;
		this.size = Math.min(this.size + 1, this.times.length);
	}

	/**
	 * Forgets every recorded refork.
	 */
	void reset() {
		this.size = 0;
		this.next = 0;
	}

}
