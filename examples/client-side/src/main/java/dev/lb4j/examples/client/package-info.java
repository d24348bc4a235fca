/**
 * A runnable client-side balancing demo: {@link dev.lb4j.examples.client.ClientSideDemo}.
 */
@NullMarked
package dev.lb4j.examples.client;

import org.jspecify.annotations.NullMarked;
