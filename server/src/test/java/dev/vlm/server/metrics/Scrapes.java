package dev.vlm.server.metrics;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Scrapes metrics the way Prometheus does: over HTTP from a running endpoint. */
final class Scrapes {
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private Scrapes() {}

  static MetricsEndpoint startOnLoopback(ServerMetrics metrics) throws IOException {
    return MetricsEndpoint.start(metrics, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  /** One scrape of a running endpoint. */
  static Exposition scrape(MetricsEndpoint endpoint) throws IOException, InterruptedException {
    HttpResponse<String> response = get(endpoint.port(), MetricsEndpoint.PATH);
    if (response.statusCode() != 200) {
      throw new AssertionError("scrape answered " + response.statusCode() + ": " + response.body());
    }
    return Exposition.parse(response.body());
  }

  /** Starts an endpoint for the metrics, scrapes it once and closes it. */
  static Exposition scrape(ServerMetrics metrics) throws IOException, InterruptedException {
    try (MetricsEndpoint endpoint = startOnLoopback(metrics)) {
      return scrape(endpoint);
    }
  }

  static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(10)).build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }
}
