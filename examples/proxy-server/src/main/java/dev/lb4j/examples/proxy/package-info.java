/**
 * A standalone lb4j reverse proxy: {@link dev.lb4j.examples.proxy.ProxyServer}.
 */
@NullMarked
package dev.lb4j.examples.proxy;

import org.jspecify.annotations.NullMarked;
