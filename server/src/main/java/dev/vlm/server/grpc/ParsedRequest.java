package dev.vlm.server.grpc;

import dev.vlm.server.generation.GenerationRequest;
import java.util.Objects;

/**
 * A validated request with what the scheduler needs besides the generation itself.
 *
 * @param request what to generate
 * @param tenant who asks (from the {@code x-tenant} header; "default" without one)
 * @param priority higher is served sooner; in [{@link RequestParser#MIN_PRIORITY},
 *     {@link RequestParser#MAX_PRIORITY}], 0 by default
 */
record ParsedRequest(GenerationRequest request, String tenant, int priority) {
  ParsedRequest {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(tenant, "tenant");
  }
}
