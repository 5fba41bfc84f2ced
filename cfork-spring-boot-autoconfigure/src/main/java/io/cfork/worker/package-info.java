/**
 * What a process running under a pool (or under systemd) tells its supervisor: systemd's sd_notify
 * protocol, from plain Java ({@link io.cfork.worker.CforkWorker}) with no Spring and no native
 * binary.
 */
@NullMarked
package io.cfork.worker;

import org.jspecify.annotations.NullMarked;
