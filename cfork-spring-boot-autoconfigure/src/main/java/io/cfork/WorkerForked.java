package io.cfork;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * A worker process was forked.
 *
 * @param worker the slot after the fork
 * @param cause why it was forked
 * @param reforkLatency for a refork, the time from the previous process's exit being seen to this
 * process having started, less any backoff delay; otherwise {@code null}
 */
public record WorkerForked(WorkerSnapshot worker, ForkCause cause, @Nullable Duration reforkLatency) {
}
