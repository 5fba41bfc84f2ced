package io.cfork;

import org.jspecify.annotations.Nullable;

/**
 * A reload or a scale was asked for while a reload is in progress, or a restart of a slot that is
 * being replaced.
 */
public class ReloadInProgressException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	private final transient @Nullable ReloadSnapshot reload;

	/**
	 * Creates an exception.
	 * @param message what was refused
	 * @param reload the reload in progress, or {@code null} for a slot being replaced by a restart
	 */
	public ReloadInProgressException(String message, @Nullable ReloadSnapshot reload) {
		super(message);
		this.reload = reload;
	}

	/**
	 * The reload in progress.
	 * @return the reload, or {@code null} when a single slot is being replaced
	 */
	public @Nullable ReloadSnapshot getReload() {
		return this.reload;
	}

}
