package io.cfork;

/**
 * A scale, or the first start, stopped part-way: the master ran into a limit on processes or
 * threads. The pool keeps the workers it forked and its desired count is set to them.
 */
public class ScaleIncompleteException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	private final int requested;

	private final int desired;

	/**
	 * Creates an exception.
	 * @param message what happened and why
	 * @param requested the count asked for
	 * @param desired the count the pool keeps
	 */
	public ScaleIncompleteException(String message, int requested, int desired) {
		super(message);
		this.requested = requested;
		this.desired = desired;
	}

	/**
	 * The count asked for.
	 * @return the count
	 */
	public int getRequested() {
		return this.requested;
	}

	/**
	 * The count the pool keeps: the workers it forked.
	 * @return the desired count
	 */
	public int getDesired() {
		return this.desired;
	}

}
