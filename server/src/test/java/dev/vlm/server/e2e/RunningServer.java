package dev.vlm.server.e2e;

import dev.vlm.server.TestData;
import dev.vlm.server.VlmServer;
import dev.vlm.server.config.ModelSpec;
import dev.vlm.server.config.ServerConfig;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A real server on a free loopback port, and a plaintext channel to it, for tests. */
final class RunningServer implements AutoCloseable {
  final VlmServer server;
  final ManagedChannel channel;

  private RunningServer(VlmServer server) {
    this.server = server;
    this.channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  /** Serves the tiny LLaVA fixture as "tiny-llava" with default settings. */
  static RunningServer tinyLlava() {
    return start(tinyLlavaConfig());
  }

  static ServerConfig tinyLlavaConfig() {
    return ServerConfig.of(0, List.of(new ModelSpec("tiny-llava", TestData.tinyLlava(), Optional.empty())));
  }

  /** Serves the named fixtures of {@code testdata/models} under their own names, default settings. */
  static RunningServer serving(List<String> fixtures) {
    return start(ServerConfig.of(0, fixtures(fixtures)));
  }

  /** Specs for the named fixtures of {@code testdata/models}, each served under its own name. */
  static List<ModelSpec> fixtures(List<String> names) {
    return names.stream()
        .map(name -> new ModelSpec(name, TestData.root().resolve("models").resolve(name), Optional.empty()))
        .toList();
  }

  static RunningServer start(ServerConfig config) {
    try {
      return new RunningServer(VlmServer.start(config));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }
}
