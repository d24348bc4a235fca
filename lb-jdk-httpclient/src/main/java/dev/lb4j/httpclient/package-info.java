/**
 * lb4j over {@code java.net.http}: the HTTP health probe. The balanced client comes in a later
 * version.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.httpclient;

import org.jspecify.annotations.NullMarked;
