/**
 * The worker pool in Spring Boot's actuator: the {@code cfork} endpoint, the {@code cfork} health
 * contributor, and Micrometer meters.
 */
@NullMarked
package io.cfork.actuate;

import org.jspecify.annotations.NullMarked;
