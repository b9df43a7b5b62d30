package dev.vlm.server.http;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.SamplingParams;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The request fields chat and text completions share: the model, sampling and stopping, streaming,
 * and the OpenAI fields this server accepts only at their neutral value ({@code n = 1}, no
 * penalties, no log probabilities), each refused by name otherwise. Ranges the gRPC service
 * checks itself (temperature, top_p, ...) are left to it, so the rules live in one place.
 */
final class SamplingFields {
  /** Fields both endpoints accept. */
  static final Set<String> COMMON =
      Set.of(
          "model", "max_tokens", "temperature", "top_p", "seed", "stop", "stream", "stream_options", "n", "top_k",
          "repetition_penalty", "ignore_eos", "user", "priority", "return_token_ids", "presence_penalty",
          "frequency_penalty", "logprobs");

  private SamplingFields() {}

  /**
   * Fills {@code request}'s model, sampling and priority from the body.
   *
   * @param maxTokens the output length, already read from whichever field the endpoint uses
   * @return the HTTP-side options
   * @throws ApiError naming the first field at fault
   */
  static OpenAiRequest read(JsonFields f, GenerateRequest.Builder request, OptionalLong maxTokens) {
    request.setModel(f.requiredString("model"));
    SamplingParams.Builder sampling = SamplingParams.newBuilder();
    if (maxTokens.isPresent()) {
      sampling.setMaxNewTokens(positiveUint32("max_tokens", maxTokens.getAsLong()));
    }
    f.number("temperature").ifPresent(t -> sampling.setTemperature((float) t));
    f.number("top_p").ifPresent(p -> sampling.setTopP((float) p));
    f.number("repetition_penalty").ifPresent(r -> sampling.setRepetitionPenalty((float) r));
    OptionalLong topK = f.integer("top_k");
    // vLLM takes -1 (and 0) as "no limit"; the gRPC API leaves the field unset for that.
    if (topK.isPresent() && topK.getAsLong() > 0) {
      sampling.setTopK(positiveUint32("top_k", topK.getAsLong()));
    } else if (topK.isPresent() && topK.getAsLong() < -1) {
      throw ApiError.badRequest("top_k", "must be -1 or 0 (no limit) or positive, got " + topK.getAsLong());
    }
    OptionalLong seed = f.integer("seed");
    if (seed.isPresent()) {
      if (seed.getAsLong() < 0) {
        throw ApiError.badRequest("seed", "must not be negative, got " + seed.getAsLong());
      }
      sampling.setSeed(seed.getAsLong());
    }
    sampling.addAllStop(f.stringOrList("stop"));
    sampling.setIgnoreEos(f.bool("ignore_eos", false));
    request.setSampling(sampling);
    OptionalLong priority = f.integer("priority");
    if (priority.isPresent()) {
      // Out-of-int values are clamped so the gRPC service's range check names them.
      request.setPriority((int) Math.clamp(priority.getAsLong(), Integer.MIN_VALUE, Integer.MAX_VALUE));
    }
    f.string("user");
    requireNeutral(f);
    boolean stream = f.bool("stream", false);
    boolean includeUsage = false;
    if (f.has("stream_options")) {
      if (!stream) {
        throw ApiError.badRequest("stream_options", "is only allowed when stream is true");
      }
      if (!f.node("stream_options").isObject()) {
        throw ApiError.badRequest("stream_options", "must be an object such as {\"include_usage\": true}");
      }
      JsonFields options = new JsonFields(f.node("stream_options"));
      options.requireKnown(Set.of("include_usage", "continuous_usage_stats"));
      includeUsage = options.bool("include_usage", false);
    }
    return new OpenAiRequest(request.build(), stream, includeUsage, f.bool("return_token_ids", false));
  }

  /** Fields accepted only at the value that asks for nothing this server lacks. */
  private static void requireNeutral(JsonFields f) {
    OptionalLong n = f.integer("n");
    if (n.isPresent() && n.getAsLong() != 1) {
      throw ApiError.badRequest("n", "only n = 1 is supported (one choice per request), got " + n.getAsLong());
    }
    for (String penalty : new String[] {"presence_penalty", "frequency_penalty"}) {
      if (f.number(penalty).orElse(0) != 0) {
        throw ApiError.badRequest(penalty, "is not supported; leave it out or use repetition_penalty");
      }
    }
    if (f.has("logprobs") && !(f.node("logprobs").isBoolean() && !f.node("logprobs").asBoolean())) {
      throw ApiError.badRequest("logprobs", "log probabilities are not supported; leave it out or set false");
    }
  }

  private static int positiveUint32(String name, long value) {
    if (value <= 0 || value > 0xFFFF_FFFFL) {
      throw ApiError.badRequest(name, "must be a positive integer, got " + value);
    }
    return (int) value;
  }
}
