package dev.vlm.server.grpc;

import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.serving.ModelRegistry;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The server's gRPC face: the vlm.v1 services (with the caller's tenant read from the
 * {@code x-tenant} header), standard health checking and server reflection (v1 and v1alpha) on
 * one Netty port. Thread-safe.
 */
public final class GrpcEndpoint {
  // Encoded images arrive inside requests; allow them plus room for the rest of the message.
  private static final int OVERHEAD_BYTES = 4 << 20;

  private final Server server;
  private final HealthStatusManager health;
  private final ExecutorService handlers;

  private GrpcEndpoint(Server server, HealthStatusManager health, ExecutorService handlers) {
    this.server = server;
    this.health = health;
    this.handlers = handlers;
  }

  /**
   * Binds the port and starts serving.
   *
   * @param port the port; 0 picks a free one (see {@link #port()})
   * @throws IOException if the port cannot be bound
   */
  public static GrpcEndpoint start(int port, ModelRegistry registry, RequestLimits limits) throws IOException {
    HealthStatusManager health = new HealthStatusManager();
    RequestParser parser =
        new RequestParser(new ImageDecoder(limits.maxImageBytes(), limits.maxImagePixels()), limits.maxImagesPerRequest());
    long maxMessage = limits.maxImageBytes() * limits.maxImagesPerRequest() + OVERHEAD_BYTES;
    // Handlers validate and decode images, then hand off; a bounded pool keeps a burst of
    // large images from starting unbounded threads.
    ExecutorService handlers =
        Executors.newFixedThreadPool(
            Math.max(4, Runtime.getRuntime().availableProcessors() * 2),
            Thread.ofPlatform().name("grpc-handler-", 0).daemon().factory());
    TenantInterceptor tenants = new TenantInterceptor();
    Server server =
        NettyServerBuilder.forAddress(new InetSocketAddress(port))
            .executor(handlers)
            .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, maxMessage))
            .addService(MalformedMessageGuard.guard(
                ServerInterceptors.intercept(
                    new InferenceService(registry, parser, limits.maxPendingStreamMessages(), handlers), tenants)))
            .addService(MalformedMessageGuard.guard(ServerInterceptors.intercept(new ModelsService(registry), tenants)))
            .addService(health.getHealthService())
            .addService(ProtoReflectionServiceV1.newInstance())
            .addService(ProtoReflectionService.newInstance())
            .build()
            .start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(InferenceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(ModelsGrpc.SERVICE_NAME, ServingStatus.SERVING);
    return new GrpcEndpoint(server, health, handlers);
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /**
   * Health turns NOT_SERVING and new calls are refused; calls in progress go on. Load
   * balancers see the change before the port closes.
   */
  public void stopAccepting() {
    health.enterTerminalState();
    server.shutdown();
  }

  /** Waits up to {@code timeout} for calls to end, then cuts the rest and frees the threads. */
  public void awaitTermination(Duration timeout) {
    try {
      if (!server.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        server.shutdownNow();
        server.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      handlers.shutdownNow();
    }
  }
}
