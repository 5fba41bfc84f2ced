/**
 * Auto-configuration of a Spring Boot application running as a worker of a pool: it tells the
 * master its availability (sd_notify) and accepts on the socket the master handed it.
 */
@NullMarked
package io.cfork.autoconfigure.worker;

import org.jspecify.annotations.NullMarked;
