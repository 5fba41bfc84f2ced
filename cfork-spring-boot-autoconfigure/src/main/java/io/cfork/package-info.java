/**
 * The worker pool: a Spring-free core that forks worker processes, keeps a number of them alive
 * by reforking each one that exits (within a refork limit and a backoff), and stops them cleanly.
 * <p>
 * Start with {@link io.cfork.WorkerPoolManager} and {@link io.cfork.PoolOptions}. Everything the
 * pool reports is an immutable snapshot ({@link io.cfork.PoolSnapshot}) or a listener callback
 * ({@link io.cfork.WorkerPoolListener}).
 */
@NullMarked
package io.cfork;

import org.jspecify.annotations.NullMarked;
