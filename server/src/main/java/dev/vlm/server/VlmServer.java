package dev.vlm.server;

import dev.vlm.server.auth.Security;
import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.grpc.GrpcEndpoint;
import dev.vlm.server.metrics.MetricsEndpoint;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.serving.DeviceMemory;
import dev.vlm.server.serving.MemoryBudget;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ModelStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.logging.Logger;

/**
 * A running server: the configured models (loading in the background) behind the gRPC
 * endpoint. {@link #close()} shuts down gracefully. Thread-safe.
 */
public final class VlmServer implements AutoCloseable {
  private static final Logger log = Logger.getLogger(VlmServer.class.getName());

  private final ServerConfig config;
  private final ModelRegistry registry;
  private final GrpcEndpoint endpoint;
  private final MetricsEndpoint metricsEndpoint;
  private final Security security;
  private boolean closed;

  private VlmServer(
      ServerConfig config, ModelRegistry registry, GrpcEndpoint endpoint, MetricsEndpoint metricsEndpoint,
      Security security) {
    this.config = config;
    this.registry = registry;
    this.endpoint = endpoint;
    this.metricsEndpoint = metricsEndpoint;
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
    OrtRuntime runtime = OrtRuntime.create(config.runtime());
    ModelLoader loader = new ModelLoader(ModelFamilies.builtIn(), runtime);
    ServerMetrics metrics = new ServerMetrics(config.tenants().names());
    long budgetBytes = config.residency().memoryBudgetBytes() > 0
        ? config.residency().memoryBudgetBytes()
        : DeviceMemory.defaultBudget(config.runtime().device(), config.runtime().cudaDeviceId());
    ModelRegistry registry =
        new ModelRegistry(config.models(), loader, config.limits(), config.batching(), metrics,
            new MemoryBudget(budgetBytes), config.residency(), config.shutdownGrace());
    Security security = Security.start(config.auth(), config.tenants());
    MetricsEndpoint metricsEndpoint = null;
    GrpcEndpoint endpoint;
    try {
      metricsEndpoint = config.metricsPort() >= 0
          ? MetricsEndpoint.start(metrics, address(config, config.metricsPort()), config.tls())
          : null;
      endpoint = GrpcEndpoint.start(address(config, config.port()), config.tls(), registry, config.limits(), security,
          metrics.tenants());
    } catch (IOException | RuntimeException e) {
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      security.close();
      throw e;
    }
    MetricsEndpoint metricsShown = metricsEndpoint;
    String scheme = config.tls().map(t -> t.mutual() ? "mutual TLS" : "TLS").orElse("plaintext");
    log.info(() -> "serving on " + config.listenAddress().orElse("all interfaces") + " port " + endpoint.port()
        + " (" + scheme + ") with " + config.models().size()
        + " model(s) on " + config.runtime().device() + ", memory budget " + budgetBytes + " bytes"
        + (metricsShown != null ? "; metrics on port " + metricsShown.port() + MetricsEndpoint.PATH : ""));
    registry.start();
    return new VlmServer(config, registry, endpoint, metricsEndpoint, security);
  }

  private static InetSocketAddress address(ServerConfig config, int port) {
    return config.listenAddress().map(host -> new InetSocketAddress(host, port)).orElseGet(() -> new InetSocketAddress(port));
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
    if (metricsEndpoint != null) {
      metricsEndpoint.close();
    }
    security.close();
    log.info("shut down");
  }
}
