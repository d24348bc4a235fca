/** A backend's health as an immutable value with pure transitions. Not exported. */
@NullMarked
package dev.lb4j.core.internal.health;

import org.jspecify.annotations.NullMarked;
