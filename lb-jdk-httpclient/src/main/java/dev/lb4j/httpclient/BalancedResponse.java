package dev.lb4j.httpclient;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import javax.net.ssl.SSLSession;

/**
 * A backend's response with a body or headers other than the ones the JDK client produced: the
 * policies' response header edits applied, or a body decoded from bytes kept aside for a retry that
 * did not happen.
 */
final class BalancedResponse<T> implements HttpResponse<T> {

  private final HttpResponse<?> response;
  private final HttpHeaders headers;
  private final T body;
  private final Optional<HttpResponse<T>> previous;

  BalancedResponse(
      HttpResponse<?> response, HttpHeaders headers, T body, Optional<HttpResponse<T>> previous) {
    this.response = response;
    this.headers = headers;
    this.body = body;
    this.previous = previous;
  }

  @Override
  public int statusCode() {
    return response.statusCode();
  }

  @Override
  public HttpRequest request() {
    return response.request();
  }

  @Override
  public Optional<HttpResponse<T>> previousResponse() {
    return previous;
  }

  @Override
  public HttpHeaders headers() {
    return headers;
  }

  @Override
  public T body() {
    return body;
  }

  @Override
  public Optional<SSLSession> sslSession() {
    return response.sslSession();
  }

  @Override
  public URI uri() {
    return response.uri();
  }

  @Override
  public HttpClient.Version version() {
    return response.version();
  }

  @Override
  public String toString() {
    return "(" + request().method() + " " + uri() + ") " + statusCode();
  }
}
