package dev.vlm.server.generation;

import java.util.Objects;

/**
 * One validated request for one model.
 *
 * @param requestId the client's id for logs and responses ("" if none)
 * @param prompt what to continue
 * @param sampling how to pick tokens and when to stop
 */
public record GenerationRequest(String requestId, Prompt prompt, SamplingRequest sampling) {
  public GenerationRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(sampling, "sampling");
  }
}
