package dev.vlm.e2e;

import dev.vlm.api.v1.GetModelRequest;
import dev.vlm.api.v1.LoadModelRequest;
import dev.vlm.api.v1.ModelInfo;
import dev.vlm.api.v1.ModelState;
import dev.vlm.api.v1.ModelsGrpc;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The real server on a free loopback port serving the tiny LLaVA fixture as {@value #MODEL},
 * started the way {@code Main} starts it, and ready once {@link #start()} returns.
 */
final class TinyLlavaServer implements AutoCloseable {
  static final String MODEL = "tiny-llava";
  private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(30);

  private final VlmServer server;

  private TinyLlavaServer(VlmServer server) {
    this.server = server;
  }

  /**
   * Starts the server and waits until the model is loaded.
   *
   * @throws IOException if no port can be bound
   * @throws IllegalStateException if the model fails to load or takes too long
   */
  static TinyLlavaServer start() throws IOException, InterruptedException {
    VlmServer server =
        VlmServer.start(ServerConfig.of(0, List.of(new ModelSpec(MODEL, TestData.tinyLlava(), Optional.empty()))));
    try {
      awaitLoaded(server.port());
    } catch (RuntimeException | InterruptedException e) {
      server.close();
      throw e;
    }
    return new TinyLlavaServer(server);
  }

  /** The bound port. */
  int port() {
    return server.port();
  }

  /** {@code 127.0.0.1:PORT}, the target every client is given. */
  String target() {
    return "127.0.0.1:" + port();
  }

  @Override
  public void close() {
    server.close();
  }

  // Loading runs in the background; polled with a bare stub so the client library under test
  // is not what decides when the tests start.
  private static void awaitLoaded(int port) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      var models = ModelsGrpc.newBlockingStub(channel);
      // Models load on demand; warm it so the tests see it LOADED.
      models.loadModel(LoadModelRequest.newBuilder().setName(MODEL).build());
      long deadline = System.nanoTime() + LOAD_TIMEOUT.toNanos();
      while (true) {
        ModelInfo info = models.getModel(GetModelRequest.newBuilder().setName(MODEL).build());
        if (info.getState() == ModelState.MODEL_STATE_LOADED) {
          return;
        }
        if (info.getState() == ModelState.MODEL_STATE_FAILED) {
          throw new IllegalStateException("model " + MODEL + " failed to load: " + info.getError());
        }
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("model " + MODEL + " still " + info.getState() + " after " + LOAD_TIMEOUT);
        }
        Thread.sleep(20);
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
