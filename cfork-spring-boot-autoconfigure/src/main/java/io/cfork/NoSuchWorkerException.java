package io.cfork;

/**
 * An operation named a slot index the pool does not have.
 */
public class NoSuchWorkerException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	private final int index;

	/**
	 * Creates an exception.
	 * @param index the index asked for
	 * @param count how many slots the pool has
	 */
	public NoSuchWorkerException(int index, int count) {
		super("No worker at index " + index + ": the pool has " + count + " (0.." + (count - 1) + ")");
		this.index = index;
	}

	/**
	 * The index asked for.
	 * @return the index
	 */
	public int getIndex() {
		return this.index;
	}

}
