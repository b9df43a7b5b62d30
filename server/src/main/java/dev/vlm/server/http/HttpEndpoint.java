package dev.vlm.server.http;

import dev.vlm.server.config.HttpSettings;
import dev.vlm.server.metrics.ServerMetrics;
import io.grpc.Channel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.file.FileSystemOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;

/**
 * The OpenAI-compatible HTTP API on Vert.x (Netty): {@code POST /v1/chat/completions}, {@code
 * POST /v1/completions}, {@code GET /v1/models[/{model}]}, {@code GET /health} and {@code GET
 * /metrics}.
 *
 * <p>It is a protocol translator and nothing else: every request becomes a call on the
 * server's own gRPC services through an in-process channel, with the HTTP {@code Authorization}
 * and {@code x-tenant} headers as call metadata. Validation, tenancy, authentication, queue
 * limits and cancellation are therefore the gRPC path's own, and gRPC statuses become OpenAI
 * errors in one place ({@code GrpcErrors}). Thread-safe.
 */
public final class HttpEndpoint implements AutoCloseable {
  private static final Logger log = Logger.getLogger(HttpEndpoint.class.getName());

  private final Vertx vertx;
  private final HttpServer server;
  private final Optional<RemoteImageFetcher> fetcher;

  private HttpEndpoint(Vertx vertx, HttpServer server, Optional<RemoteImageFetcher> fetcher) {
    this.vertx = vertx;
    this.server = server;
    this.fetcher = fetcher;
  }

  /**
   * Binds the port and starts serving.
   *
   * @param settings the port (0 picks a free one, see {@link #port()}) and remote-image rules
   * @param grpc a channel to the server's gRPC services (in-process)
   * @param metrics what {@code /metrics} serves
   * @param maxBodyBytes largest request body (room for the largest images a request may carry)
   * @param tls serve HTTPS with this certificate, or plain HTTP when empty
   * @throws IOException if the port cannot be bound
   */
  public static HttpEndpoint start(
      HttpSettings settings, Channel grpc, ServerMetrics metrics, long maxBodyBytes, Optional<HttpTls> tls)
      throws IOException {
    if (settings.port() < 0) {
      throw new IllegalArgumentException("the HTTP API is off (port " + settings.port() + ")");
    }
    Vertx vertx =
        Vertx.vertx(
            new VertxOptions()
                .setEventLoopPoolSize(Math.max(2, Runtime.getRuntime().availableProcessors()))
                // Workers parse bodies with megabytes of base64 and fetch remote images.
                .setMaxWorkerExecuteTime(5)
                .setMaxWorkerExecuteTimeUnit(TimeUnit.MINUTES)
                .setFileSystemOptions(new FileSystemOptions().setFileCachingEnabled(false)
                    .setClassPathResolvingEnabled(false)));
    Optional<RemoteImageFetcher> fetcher =
        settings.remoteImages().enabled() ? Optional.of(new RemoteImageFetcher(settings.remoteImages())) : Optional.empty();
    Clock clock = Clock.systemUTC();
    GenerationRoutes generation = new GenerationRoutes(vertx, grpc, new ImageUrls(fetcher), clock);
    CatalogRoutes catalog = new CatalogRoutes(vertx, grpc, clock.instant().getEpochSecond());

    Router router = Router.router(vertx);
    BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBodyBytes);
    router.post("/v1/chat/completions").handler(body).handler(generation::chat);
    router.post("/v1/completions").handler(body).handler(generation::completion);
    router.get("/v1/models").handler(catalog::list);
    router.get("/v1/models/:model").handler(catalog::get);
    router.get("/health").handler(catalog::health);
    router.get("/metrics").handler(rc -> metrics(rc, metrics));
    router.route().last().handler(rc -> fail(rc, 404, "not_found_error", "no route for " + rc.request().method() + " "
        + rc.request().path() + "; see /v1/chat/completions, /v1/completions, /v1/models, /health, /metrics"));
    router.errorHandler(413, rc -> fail(rc, 413, "invalid_request_error",
        "the request body is larger than this server's limit of " + maxBodyBytes + " bytes"));
    router.errorHandler(405, rc -> fail(rc, 405, "invalid_request_error",
        rc.request().method() + " is not allowed on " + rc.request().path()));
    router.errorHandler(500, rc -> fail(rc, 500, "internal_error", "internal error: " + rc.failure()));

    HttpServerOptions options = new HttpServerOptions().setPort(settings.port()).setCompressionSupported(false);
    tls.ifPresent(t -> options.setSsl(true).setKeyCertOptions(
        new PemKeyCertOptions().setCertPath(t.certificateChain().toString()).setKeyPath(t.privateKey().toString())));
    try {
      HttpServer server =
          vertx.createHttpServer(options).requestHandler(router).listen().toCompletionStage().toCompletableFuture()
              .get(30, TimeUnit.SECONDS);
      return new HttpEndpoint(vertx, server, fetcher);
    } catch (ExecutionException | TimeoutException e) {
      fetcher.ifPresent(RemoteImageFetcher::close);
      vertx.close();
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      throw new IOException("cannot serve HTTP on port " + settings.port() + ": " + cause.getMessage(), cause);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      vertx.close();
      throw new IOException("interrupted while binding the HTTP port", e);
    }
  }

  private static void metrics(RoutingContext rc, ServerMetrics metrics) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      metrics.writePrometheusText(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    rc.response().putHeader("content-type", ServerMetrics.prometheusTextContentType()).end(Buffer.buffer(out.toByteArray()));
  }

  private static void fail(RoutingContext rc, int status, String type, String message) {
    if (!rc.response().ended()) {
      rc.response().setStatusCode(status).putHeader("content-type", "application/json")
          .end(Exchange.toJson(new ApiError(status, type, message, null, null, OptionalLong.empty()).body()));
    }
  }

  /** The bound port. */
  public int port() {
    return server.actualPort();
  }

  /**
   * Stops accepting connections and closes open ones; calls in flight are cancelled, as a
   * closed gRPC connection would cancel them. Call after the gRPC side has drained.
   */
  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warning("the HTTP server did not stop cleanly: " + e);
    } finally {
      fetcher.ifPresent(RemoteImageFetcher::close);
    }
  }
}
