/** The engine's implementation; not exported, not API. */
@NullMarked
package dev.lb4j.core.internal;

import org.jspecify.annotations.NullMarked;
