/**
 * lb4j example: client-side balancing with {@code LoadBalancedHttpClient}. Run {@code
 * dev.lb4j.examples.client.ClientSideDemo}.
 */
module dev.lb4j.examples.client {
  requires dev.lb4j.httpclient;
  requires jdk.httpserver; // the demo backends
}
