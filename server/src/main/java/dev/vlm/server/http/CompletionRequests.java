package dev.vlm.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.api.v1.GenerateRequest;
import java.util.HashSet;
import java.util.Set;

/**
 * Reads {@code POST /v1/completions} bodies: a raw {@code prompt} (one string, or a list
 * holding one string), sent to the model without a chat template, plus the {@link
 * SamplingFields}. Thread-safe.
 */
final class CompletionRequests {
  private static final Set<String> KNOWN = known();

  private static Set<String> known() {
    Set<String> known = new HashSet<>(SamplingFields.COMMON);
    known.add("prompt");
    known.add("echo");
    known.add("best_of");
    return Set.copyOf(known);
  }

  /**
   * @throws ApiError naming the first field at fault
   */
  OpenAiRequest parse(JsonNode body, String requestId) {
    JsonFields f = new JsonFields(body);
    f.requireKnown(KNOWN);
    GenerateRequest.Builder request = GenerateRequest.newBuilder().setRequestId(requestId).setPrompt(prompt(f));
    if (f.bool("echo", false)) {
      throw ApiError.badRequest("echo", "is not supported; leave it out or set false");
    }
    if (f.integer("best_of").orElse(1) != 1) {
      throw ApiError.badRequest("best_of", "only best_of = 1 is supported");
    }
    return SamplingFields.read(f, request, f.integer("max_tokens"));
  }

  private static String prompt(JsonFields f) {
    JsonNode prompt = f.node("prompt");
    if (prompt != null && prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
      return prompt.get(0).asText();
    }
    if (prompt != null && prompt.isArray()) {
      throw ApiError.badRequest(
          "prompt", "must be one string (a list of several prompts, or of token ids, is not supported)");
    }
    String text = f.requiredString("prompt");
    if (text.isEmpty()) {
      throw ApiError.badRequest("prompt", "must not be empty");
    }
    return text;
  }
}
