package dev.vlm.server.generation;

import java.util.Objects;
import java.util.OptionalLong;

/**
 * One validated request for one model.
 *
 * @param requestId the client's id for logs and responses ("" if none)
 * @param prompt what to continue
 * @param sampling how to pick tokens and when to stop
 * @param tenant who asked, for fair share between tenants
 * @param priority higher is served sooner
 * @param deadlineNanos when the request must be done, on {@link System#nanoTime()}'s clock
 */
public record GenerationRequest(
    String requestId, Prompt prompt, SamplingRequest sampling, String tenant, int priority, OptionalLong deadlineNanos) {
  /** The tenant of requests that name none. */
  public static final String DEFAULT_TENANT = "default";

  public GenerationRequest {
    Objects.requireNonNull(requestId, "requestId");
    Objects.requireNonNull(prompt, "prompt");
    Objects.requireNonNull(sampling, "sampling");
    Objects.requireNonNull(tenant, "tenant");
    Objects.requireNonNull(deadlineNanos, "deadlineNanos");
  }

  /** A request of the default tenant and priority, without deadline. */
  public GenerationRequest(String requestId, Prompt prompt, SamplingRequest sampling) {
    this(requestId, prompt, sampling, DEFAULT_TENANT, 0, OptionalLong.empty());
  }

  /** The same request at another priority. */
  public GenerationRequest withPriority(int newPriority) {
    return new GenerationRequest(requestId, prompt, sampling, tenant, newPriority, deadlineNanos);
  }

  /** The same request with a deadline. */
  public GenerationRequest withDeadlineNanos(long deadline) {
    return new GenerationRequest(requestId, prompt, sampling, tenant, priority, OptionalLong.of(deadline));
  }
}
