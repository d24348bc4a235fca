/**
 * lb4j over {@code java.net.http}: the HTTP health probe ({@link dev.lb4j.httpclient.HttpProbe}).
 *
 * @since 0.1.0
 */
module dev.lb4j.httpclient {
  requires transitive dev.lb4j.core;
  requires transitive java.net.http;

  exports dev.lb4j.httpclient;
}
