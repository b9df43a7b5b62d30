package dev.vlm.client;

import dev.vlm.api.v1.GenerateRequest;
import dev.vlm.api.v1.SamplingParams;
import java.util.Objects;

/**
 * The sampling and stopping settings shared by {@link ChatRequestBuilder} and {@link
 * RawRequestBuilder}. Settings left alone stay unset, so the server falls back to the model's
 * {@code generation_config.json}.
 *
 * <p>Values are checked when set, with the same rules the server applies, so a mistake fails
 * here with the field named rather than after a round trip.
 *
 * <p>Not thread-safe: build a request on one thread.
 *
 * @param <B> the concrete builder, returned by every setter for chaining
 */
public abstract sealed class RequestBuilder<B extends RequestBuilder<B>>
    permits ChatRequestBuilder, RawRequestBuilder {
  private final String model;
  private final SamplingParams.Builder sampling = SamplingParams.newBuilder();
  private String requestId = "";

  RequestBuilder(String model) {
    Objects.requireNonNull(model, "model");
    if (model.isBlank()) {
      throw new IllegalArgumentException("model must not be blank");
    }
    this.model = model;
  }

  /**
   * Caps the number of generated tokens.
   *
   * @param maxNewTokens the most tokens to generate, at least 1
   * @return this builder
   * @throws IllegalArgumentException if {@code maxNewTokens} is below 1
   */
  public B maxNewTokens(int maxNewTokens) {
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException(
          "sampling.max_new_tokens must be at least 1, got " + maxNewTokens);
    }
    sampling.setMaxNewTokens(maxNewTokens);
    return self();
  }

  /**
   * Sets the softmax temperature; 0 means greedy decoding.
   *
   * @param temperature the temperature, not negative
   * @return this builder
   * @throws IllegalArgumentException if {@code temperature} is negative or not a number
   */
  public B temperature(float temperature) {
    if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "sampling.temperature must be a finite number >= 0, got " + temperature);
    }
    sampling.setTemperature(temperature);
    return self();
  }

  /**
   * Sets nucleus sampling: keep the smallest set of tokens whose probabilities add up to {@code
   * topP}.
   *
   * @param topP the probability mass to keep, in (0, 1]
   * @return this builder
   * @throws IllegalArgumentException if {@code topP} is outside (0, 1]
   */
  public B topP(float topP) {
    if (!(topP > 0f && topP <= 1f)) {
      throw new IllegalArgumentException("sampling.top_p must be in (0, 1], got " + topP);
    }
    sampling.setTopP(topP);
    return self();
  }

  /**
   * Keeps only the {@code topK} most likely tokens; 0 means no limit.
   *
   * @param topK how many tokens to keep, not negative
   * @return this builder
   * @throws IllegalArgumentException if {@code topK} is negative
   */
  public B topK(int topK) {
    if (topK < 0) {
      throw new IllegalArgumentException("sampling.top_k must not be negative, got " + topK);
    }
    sampling.setTopK(topK);
    return self();
  }

  /**
   * Fixes the sampler's seed, so the same request on the same model gives the same output.
   *
   * @param seed any value, read as an unsigned 64-bit number
   * @return this builder
   */
  public B seed(long seed) {
    sampling.setSeed(seed);
    return self();
  }

  /**
   * Penalizes tokens already in the prompt or output; 1 means no penalty.
   *
   * @param penalty the penalty, positive
   * @return this builder
   * @throws IllegalArgumentException if {@code penalty} is not a positive number
   */
  public B repetitionPenalty(float penalty) {
    if (!(penalty > 0f) || Float.isInfinite(penalty)) {
      throw new IllegalArgumentException(
          "sampling.repetition_penalty must be a finite number > 0, got " + penalty);
    }
    sampling.setRepetitionPenalty(penalty);
    return self();
  }

  /**
   * Adds strings that end generation when the output contains one; the stop string itself is
   * not returned.
   *
   * @param stops the stop strings, none empty
   * @return this builder
   * @throws IllegalArgumentException if a stop string is empty
   */
  public B stop(String... stops) {
    for (String stop : stops) {
      Objects.requireNonNull(stop, "stop");
      if (stop.isEmpty()) {
        throw new IllegalArgumentException("sampling.stop must not contain an empty string");
      }
      sampling.addStop(stop);
    }
    return self();
  }

  /**
   * Keeps generating past the end-of-sequence token, up to {@link #maxNewTokens}.
   *
   * @param ignoreEos whether to ignore the end-of-sequence token
   * @return this builder
   */
  public B ignoreEos(boolean ignoreEos) {
    sampling.setIgnoreEos(ignoreEos);
    return self();
  }

  /**
   * Sets an id the server echoes in every response and writes to its logs.
   *
   * @param requestId the caller's id for this request
   * @return this builder
   */
  public B requestId(String requestId) {
    this.requestId = Objects.requireNonNull(requestId, "requestId");
    return self();
  }

  /**
   * Builds the request.
   *
   * @return the request
   * @throws IllegalStateException if the request has no content to generate from
   */
  public final GenerateRequest build() {
    GenerateRequest.Builder request =
        GenerateRequest.newBuilder().setModel(model).setRequestId(requestId);
    if (!sampling.build().equals(SamplingParams.getDefaultInstance())) {
      request.setSampling(sampling);
    }
    addInput(request);
    return request.build();
  }

  /** Adds the mode's input (messages, or prompt and images) to {@code request}. */
  abstract void addInput(GenerateRequest.Builder request);

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }
}
