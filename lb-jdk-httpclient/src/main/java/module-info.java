/**
 * lb4j over {@code java.net.http}: a load-balanced {@link java.net.http.HttpClient} ({@link
 * dev.lb4j.httpclient.LoadBalancedHttpClient}) and the HTTP health probe ({@link
 * dev.lb4j.httpclient.HttpProbe}).
 *
 * @provides dev.lb4j.api.HealthProbeProvider the {@code http} probe
 * @since 0.1.0
 */
module dev.lb4j.httpclient {
  requires transitive dev.lb4j.core;
  requires transitive java.net.http;
  requires org.slf4j;

  exports dev.lb4j.httpclient;

  provides dev.lb4j.api.HealthProbeProvider with
      dev.lb4j.httpclient.HttpProbeProvider;
}
