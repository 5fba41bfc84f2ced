package io.cfork;

import java.time.Duration;

/**
 * A worker became ready: its readiness check passed (with none: it lived {@code min-uptime}).
 *
 * @param worker the slot after the worker became ready
 * @param readyTime from the worker's fork to its being ready
 */
public record WorkerReady(WorkerSnapshot worker, Duration readyTime) {
}
