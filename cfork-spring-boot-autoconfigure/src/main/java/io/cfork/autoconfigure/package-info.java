/**
 * Auto-configuration of the worker pool from {@code cfork.*} properties.
 */
@NullMarked
package io.cfork.autoconfigure;

import org.jspecify.annotations.NullMarked;
