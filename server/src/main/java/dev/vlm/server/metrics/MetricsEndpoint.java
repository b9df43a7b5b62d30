package dev.vlm.server.metrics;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import dev.vlm.server.config.TlsSettings;
import dev.vlm.server.tls.PemTls;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLParameters;

/**
 * Serves a {@link ServerMetrics} over HTTP for Prometheus and inference gateways: {@code
 * /metrics} in the format the scraper asks for (the Prometheus text format by default,
 * OpenMetrics or protobuf on request), and {@code /-/healthy}. Scrapes run on the endpoint's
 * own daemon threads and read the metrics as they are at that moment. Thread-safe.
 */
public final class MetricsEndpoint implements AutoCloseable {
  /** The path scrapers read. */
  public static final String PATH = "/metrics";

  private final HTTPServer server;

  private MetricsEndpoint(HTTPServer server) {
    this.server = server;
  }

  /**
   * Binds all interfaces and starts serving.
   *
   * @param port the port; 0 picks a free one (see {@link #port()})
   * @throws IOException if the port cannot be bound; the message names the address
   */
  public static MetricsEndpoint start(ServerMetrics metrics, int port) throws IOException {
    return start(metrics, new InetSocketAddress(port));
  }

  /**
   * Binds one address and starts serving.
   *
   * @param address where to listen; port 0 picks a free one (see {@link #port()})
   * @throws IOException if the address cannot be bound; the message names it
   */
  public static MetricsEndpoint start(ServerMetrics metrics, InetSocketAddress address) throws IOException {
    return start(metrics, address, Optional.empty());
  }

  /**
   * Binds one address and starts serving, over HTTPS when {@code tls} is given (requiring a
   * client certificate signed by its client CA, if it names one).
   *
   * @param address where to listen; port 0 picks a free one (see {@link #port()})
   * @throws IOException if the address cannot be bound; the message names it
   * @throws IllegalArgumentException if the TLS files cannot be used
   */
  public static MetricsEndpoint start(ServerMetrics metrics, InetSocketAddress address, Optional<TlsSettings> tls)
      throws IOException {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(address, "address");
    try {
      HTTPServer.Builder builder =
          HTTPServer.builder(metrics.properties())
              .registry(metrics.registry())
              .inetAddress(address.getAddress())
              .port(address.getPort())
              .metricsHandlerPath(PATH)
              .registerHealthHandler(true);
      if (tls.isPresent()) {
        builder.httpsConfigurator(https(tls.get()));
      }
      return new MetricsEndpoint(builder.buildAndStart());
    } catch (IOException e) {
      throw new IOException("cannot serve metrics on " + address + ": " + e.getMessage(), e);
    }
  }

  private static HttpsConfigurator https(TlsSettings tls) {
    boolean mutual = tls.mutual();
    return new HttpsConfigurator(PemTls.serverContext(tls)) {
      @Override
      public void configure(HttpsParameters params) {
        SSLParameters ssl = getSSLContext().getDefaultSSLParameters();
        ssl.setNeedClientAuth(mutual);
        params.setSSLParameters(ssl);
      }
    };
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** Stops serving at once and frees the port. Calling it again does nothing. */
  @Override
  public void close() {
    server.close();
  }
}
