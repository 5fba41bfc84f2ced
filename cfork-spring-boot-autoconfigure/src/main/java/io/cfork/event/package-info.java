/**
 * Spring {@code ApplicationEvent}s for what happens in the worker pool, for
 * {@code @EventListener} methods.
 */
@NullMarked
package io.cfork.event;

import org.jspecify.annotations.NullMarked;
