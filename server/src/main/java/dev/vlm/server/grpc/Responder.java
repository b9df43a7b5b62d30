package dev.vlm.server.grpc;

import dev.vlm.server.generation.GenerationSink;

/**
 * Relays one request's output to its gRPC call and tells the model when to stop. The sink
 * callbacks come from the model's thread and never block.
 */
interface Responder extends GenerationSink {
  /**
   * Whether generation should stop: the client cancelled, its deadline passed, or it cannot
   * keep up. Polled by the model between steps; any thread may call it.
   */
  boolean isCancelled();
}
