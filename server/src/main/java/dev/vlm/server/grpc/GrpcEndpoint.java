package dev.vlm.server.grpc;

import dev.vlm.api.v1.InferenceGrpc;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.auth.Security;
import dev.vlm.server.config.RequestLimits;
import dev.vlm.server.config.TlsSettings;
import dev.vlm.server.image.ImageDecoder;
import dev.vlm.server.metrics.ServerMetrics;
import dev.vlm.server.metrics.TenantMetrics;
import dev.vlm.server.serving.ModelRegistry;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import dev.vlm.server.tls.PemTls;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.TlsServerCredentials;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The server's gRPC face: the vlm.v1 services behind the {@link AuthInterceptor}, standard
 * health checking and server reflection (v1 and v1alpha, open to all) on one Netty port, in
 * plaintext or TLS (optionally mutual). The same services, with the same interceptors, are also
 * served in-process ({@link #inProcessChannel()}), so the HTTP API goes through exactly the
 * checks a gRPC call does. Thread-safe.
 */
public final class GrpcEndpoint {
  // Encoded images arrive inside requests; allow them plus room for the rest of the message.
  private static final int OVERHEAD_BYTES = 4 << 20;

  private final Server server;
  private final Server inProcess;
  private final ManagedChannel inProcessChannel;
  private final HealthStatusManager health;
  private final ExecutorService handlers;

  private GrpcEndpoint(
      Server server, Server inProcess, ManagedChannel inProcessChannel, HealthStatusManager health,
      ExecutorService handlers) {
    this.server = server;
    this.inProcess = inProcess;
    this.inProcessChannel = inProcessChannel;
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
    return start(new InetSocketAddress(port), Optional.empty(), registry, limits, Security.developmentMode(),
        new ServerMetrics().tenants());
  }

  /**
   * Binds the address and starts serving.
   *
   * @param address where to listen; port 0 picks a free one (see {@link #port()})
   * @param tls TLS settings, or empty for plaintext
   * @param security who may call, what it may use and how much
   * @param tenantMetrics per-tenant request metrics
   * @throws IOException if the address cannot be bound
   * @throws IllegalArgumentException if the TLS files cannot be used (the message names the file)
   */
  public static GrpcEndpoint start(
      InetSocketAddress address, Optional<TlsSettings> tls, ModelRegistry registry, RequestLimits limits,
      Security security, TenantMetrics tenantMetrics) throws IOException {
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
    AuthInterceptor auth = new AuthInterceptor(security.authenticator(), tenantMetrics);
    CallLogInterceptor callLog = new CallLogInterceptor();
    List<ServerServiceDefinition> services =
        List.of(
            // Bytes that do not parse as the request message are the caller's: INVALID_ARGUMENT.
            MalformedMessageGuard.guard(ServerInterceptors.intercept(
                new InferenceService(registry, parser, limits.maxPendingStreamMessages(), handlers, security,
                    tenantMetrics),
                callLog, auth)),
            MalformedMessageGuard.guard(ServerInterceptors.intercept(new ModelsService(registry, security.access()), auth)),
            health.getHealthService().bindService(),
            ProtoReflectionServiceV1.newInstance().bindService(),
            ProtoReflectionService.newInstance().bindService());
    ServerCredentials credentials =
        tls.map(GrpcEndpoint::tlsCredentials).orElse(InsecureServerCredentials.create());
    NettyServerBuilder network =
        NettyServerBuilder.forAddress(address, credentials)
            .executor(handlers)
            .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, maxMessage));
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder local = InProcessServerBuilder.forName(name).executor(handlers);
    services.forEach(network::addService);
    services.forEach(local::addService);
    Server server;
    try {
      server = network.build().start();
    } catch (IOException e) {
      handlers.shutdownNow();
      throw new IOException("cannot serve gRPC on " + address + ": " + e.getMessage(), e);
    }
    Server inProcess = local.build().start();
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(InferenceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(ModelsGrpc.SERVICE_NAME, ServingStatus.SERVING);
    // Responses are only handed on to the HTTP layer's own threads, so no executor hop is needed.
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    return new GrpcEndpoint(server, inProcess, channel, health, handlers);
  }

  /**
   * A channel to the same services in this process, without a socket: calls on it pass the
   * same interceptors (tenant, and any authentication) and limits as network calls.
   */
  public Channel inProcessChannel() {
    return inProcessChannel;
  }

  /** TLS from the PEM files; with a client CA, clients must present a certificate it signed. */
  private static ServerCredentials tlsCredentials(TlsSettings tls) {
    TlsServerCredentials.Builder builder = TlsServerCredentials.newBuilder().keyManager(PemTls.keyManagers(tls));
    PemTls.clientTrustManagers(tls).ifPresent(trust ->
        builder.trustManager(trust).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE));
    return builder.build();
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
    inProcess.shutdown();
  }

  /** Waits up to {@code timeout} for calls to end, then cuts the rest and frees the threads. */
  public void awaitTermination(Duration timeout) {
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (Server s : List.of(server, inProcess)) {
        if (!s.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          s.shutdownNow();
          s.awaitTermination(5, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      server.shutdownNow();
      inProcess.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      inProcessChannel.shutdownNow();
      handlers.shutdownNow();
    }
  }
}
