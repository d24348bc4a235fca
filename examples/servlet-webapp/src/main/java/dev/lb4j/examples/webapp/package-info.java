/**
 * A web application that uses lb4j through its {@code web.xml} only, and a runner that deploys it
 * in embedded Jetty in front of demo backends: {@link dev.lb4j.examples.webapp.WebappDemo}.
 */
@NullMarked
package dev.lb4j.examples.webapp;

import org.jspecify.annotations.NullMarked;
