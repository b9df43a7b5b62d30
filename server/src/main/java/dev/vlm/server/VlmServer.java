package dev.vlm.server;

import dev.vlm.server.auth.Security;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.hub.HubModels;
import dev.vlm.server.grpc.GrpcEndpoint;
import dev.vlm.server.http.HttpEndpoint;
import dev.vlm.server.http.HttpTls;
import dev.vlm.server.metrics.MetricsEndpoint;
import dev.vlm.server.metrics.ResidentModels;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.serving.DeviceMemory;
import dev.vlm.server.serving.MemoryBudget;
import dev.vlm.server.serving.ModelLocator;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ModelState;
import dev.vlm.server.serving.ModelStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * A running server: the configured models (loading in the background) behind the gRPC
 * endpoint, and the OpenAI-compatible HTTP API in front of it when configured. {@link #close()}
 * shuts down gracefully. Thread-safe.
 */
public final class VlmServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(VlmServer.class.getName());

  private final ServerConfig config;
  private final ModelRegistry registry;
  private final GrpcEndpoint endpoint;
  private final MetricsEndpoint metricsEndpoint;
  private final HttpEndpoint httpEndpoint;
  private final Security security;
  private boolean closed;

  private VlmServer(
      ServerConfig config, ModelRegistry registry, GrpcEndpoint endpoint, MetricsEndpoint metricsEndpoint,
      HttpEndpoint httpEndpoint, Security security) {
    this.config = config;
    this.registry = registry;
    this.endpoint = endpoint;
    this.metricsEndpoint = metricsEndpoint;
    this.httpEndpoint = httpEndpoint;
    this.security = security;
  }

  /**
   * Starts serving: binds the port, checks every model directory (a bad one is listed FAILED),
   * and loads the pinned models in the background. The others load on their first request or
   * {@code LoadModel}, within the memory budget.
   *
   * @throws IOException if the port cannot be bound
   * @throws IllegalArgumentException if the TLS files or the API keys file cannot be used (the
   *     message names the file and the problem)
   * @throws IllegalStateException if the runtime settings cannot be honoured (e.g. CUDA asked
   *     for on the CPU build of ONNX Runtime)
   */
  public static VlmServer start(ServerConfig config) throws IOException {
    // The HTTP port serves the same certificate as the gRPC port; client certificates are a gRPC feature.
    return start(config, config.tls().map(t -> new HttpTls(t.certChain(), t.privateKey())));
  }

  /**
   * Starts serving, with the HTTP API on TLS when {@code httpTls} is given.
   *
   * @throws IOException if a port cannot be bound
   * @throws IllegalStateException if the runtime settings cannot be honoured
   */
  public static VlmServer start(ServerConfig config, Optional<HttpTls> httpTls) throws IOException {
    OrtRuntime runtime = OrtRuntime.create(config.runtime());
    ModelLoader loader = new ModelLoader(ModelFamilies.builtIn(), runtime);
    ServerMetrics metrics = new ServerMetrics(config.tenants().names());
    long budgetBytes = config.residency().memoryBudgetBytes() > 0
        ? config.residency().memoryBudgetBytes()
        : DeviceMemory.defaultBudget(config.runtime().device(), config.runtime().cudaDeviceId());
    ModelRegistry registry =
        new ModelRegistry(config.models(), loader,
            new ModelLocator(new HubModels(config.hub()), config.residency().allowDownload()),
            config.limits(), config.batching(), metrics,
            new MemoryBudget(budgetBytes), config.residency(), config.shutdownGrace());
    metrics.residentModels(() -> residentModels(registry));
    Security security = Security.start(config.auth(), config.tenants());
    MetricsEndpoint metricsEndpoint = null;
    GrpcEndpoint endpoint;
    HttpEndpoint httpEndpoint = null;
    try {
      metricsEndpoint = config.metricsPort() >= 0
          ? MetricsEndpoint.start(metrics, address(config, config.metricsPort()), config.tls())
          : null;
      endpoint = GrpcEndpoint.start(address(config, config.port()), config.tls(), registry, config.limits(), security,
          metrics.tenants());
      try {
        if (config.http().port() >= 0) {
          httpEndpoint = HttpEndpoint.start(
              config.http(), endpoint.inProcessChannel(), metrics, maxHttpBody(config), httpTls);
        }
      } catch (IOException | RuntimeException e) {
        endpoint.stopAccepting();
        endpoint.awaitTermination(Duration.ZERO);
        throw e;
      }
    } catch (IOException | RuntimeException e) {
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      security.close();
      throw e;
    }
    HttpEndpoint http = httpEndpoint;
    MetricsEndpoint metricsShown = metricsEndpoint;
    String scheme = config.tls().map(t -> t.mutual() ? "mutual TLS" : "TLS").orElse("plaintext");
    log.info(() -> "serving on " + config.listenAddress().orElse("all interfaces") + " port " + endpoint.port()
        + " (" + scheme + ") with " + config.models().size()
        + " model(s) on " + config.runtime().device() + ", memory budget " + budgetBytes + " bytes"
        + (http != null ? "; OpenAI-compatible HTTP on port " + http.port() : "")
        + (metricsShown != null ? "; metrics on port " + metricsShown.port() + MetricsEndpoint.PATH : ""));
    registry.start();
    return new VlmServer(config, registry, endpoint, metricsEndpoint, httpEndpoint, security);
  }

  private static InetSocketAddress address(ServerConfig config, int port) {
    return config.listenAddress().map(host -> new InetSocketAddress(host, port)).orElseGet(() -> new InetSocketAddress(port));
  }

  /** Which models are in memory, for the gateway's model-affinity metric. */
  private static ResidentModels residentModels(ModelRegistry registry) {
    List<ModelStatus> models = registry.list();
    return new ResidentModels(
        models.stream().filter(m -> m.state() == ModelState.LOADED).map(ModelStatus::name).toList(),
        models.stream().filter(m -> m.state() == ModelState.LOADING).map(ModelStatus::name).toList(),
        models.size());
  }

  /** Room for the most images a request may carry, base64-encoded (4/3), plus the rest of the body. */
  private static long maxHttpBody(ServerConfig config) {
    return config.limits().maxImageBytes() * config.limits().maxImagesPerRequest() / 3 * 4 + (4 << 20);
  }

  /** Snapshots of the configured models, in name order. */
  public List<ModelStatus> models() {
    return registry.list();
  }

  /** The memory budget's limit, in bytes. */
  public long memoryBudgetBytes() {
    return registry.memoryLimitBytes();
  }

  /** The bound metrics port, or -1 when metrics are off. */
  public int metricsPort() {
    return metricsEndpoint == null ? -1 : metricsEndpoint.port();
  }

  /** The bound HTTP API port, or -1 when the HTTP API is off. */
  public int httpPort() {
    return httpEndpoint == null ? -1 : httpEndpoint.port();
  }

  /** The bound gRPC port. */
  public int port() {
    return endpoint.port();
  }

  /**
   * Graceful shutdown: health goes NOT_SERVING and new calls are refused, requests in flight
   * get the configured grace period to finish, the rest are cancelled, models are freed.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Duration grace = config.shutdownGrace();
    log.info(() -> "shutting down; in-flight requests get " + grace.toMillis() + " ms");
    endpoint.stopAccepting();
    registry.drainAndClose(grace);
    // Generation is over; what remains are responses in flight and idle watch streams.
    endpoint.awaitTermination(Duration.ofSeconds(1));
    // HTTP requests were answered from the in-process gRPC calls that just ended.
    if (httpEndpoint != null) {
      httpEndpoint.close();
    }
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    security.close();
    log.info("shut down");
  }
}
