/**
 * lb4j over {@code java.net.http}: {@link dev.lb4j.httpclient.LoadBalancedHttpClient}, an {@link
 * java.net.http.HttpClient} that sends each request to a backend chosen by a {@link
 * dev.lb4j.core.LoadBalancer}, retries safely and reports every outcome back; and {@link
 * dev.lb4j.httpclient.HttpProbe}, the HTTP health probe.
 *
 * @since 0.1.0
 */
@NullMarked
package dev.lb4j.httpclient;

import org.jspecify.annotations.NullMarked;
