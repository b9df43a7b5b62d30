package dev.vlm.server;

import dev.vlm.server.config.ServerConfig;
import dev.vlm.server.engine.OrtRuntime;
import dev.vlm.server.generation.ModelLoader;
import dev.vlm.server.hub.HubModels;
import dev.vlm.server.grpc.GrpcEndpoint;
import dev.vlm.server.metrics.MetricsEndpoint;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.model.ModelFamilies;
import dev.vlm.server.serving.DeviceMemory;
import dev.vlm.server.serving.MemoryBudget;
import dev.vlm.server.serving.ModelLocator;
import dev.vlm.server.serving.ModelRegistry;
import dev.vlm.server.serving.ModelStatus;
import java.io.IOException;
import java.util.List;
import java.time.Duration;
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
  private boolean closed;

  private VlmServer(ServerConfig config, ModelRegistry registry, GrpcEndpoint endpoint, MetricsEndpoint metricsEndpoint) {
    this.config = config;
    this.registry = registry;
    this.endpoint = endpoint;
    this.metricsEndpoint = metricsEndpoint;
  }

  /**
   * Starts serving: binds the port, checks every model directory (a bad one is listed FAILED),
   * and loads the pinned models in the background. The others load on their first request or
   * {@code LoadModel}, within the memory budget.
   *
   * @throws IOException if the port cannot be bound
   * @throws IllegalStateException if the runtime settings cannot be honoured (e.g. CUDA asked
   *     for on the CPU build of ONNX Runtime)
   */
  public static VlmServer start(ServerConfig config) throws IOException {
    OrtRuntime runtime = OrtRuntime.create(config.runtime());
    ModelLoader loader = new ModelLoader(ModelFamilies.builtIn(), runtime);
    ServerMetrics metrics = new ServerMetrics();
    long budgetBytes = config.residency().memoryBudgetBytes() > 0
        ? config.residency().memoryBudgetBytes()
        : DeviceMemory.defaultBudget(config.runtime().device(), config.runtime().cudaDeviceId());
    ModelRegistry registry =
        new ModelRegistry(config.models(), loader,
            new ModelLocator(new HubModels(config.hub()), config.residency().allowDownload()),
            config.limits(), config.batching(), metrics,
            new MemoryBudget(budgetBytes), config.residency(), config.shutdownGrace());
    MetricsEndpoint metricsEndpoint =
        config.metricsPort() >= 0 ? MetricsEndpoint.start(metrics, config.metricsPort()) : null;
    GrpcEndpoint endpoint;
    try {
      endpoint = GrpcEndpoint.start(config.port(), registry, config.limits());
    } catch (IOException | RuntimeException e) {
      if (metricsEndpoint != null) {
        metricsEndpoint.close();
      }
      throw e;
    }
    log.info(() -> "serving on port " + endpoint.port() + " with " + config.models().size()
        + " model(s) on " + config.runtime().device() + ", memory budget " + budgetBytes + " bytes"
        + (metricsEndpoint != null ? "; metrics on port " + metricsEndpoint.port() + MetricsEndpoint.PATH : ""));
    registry.start();
    return new VlmServer(config, registry, endpoint, metricsEndpoint);
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
    log.info("shut down");
  }
}
