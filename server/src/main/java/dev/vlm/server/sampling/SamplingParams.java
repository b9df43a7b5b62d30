package dev.vlm.server.sampling;

import java.util.OptionalLong;

/**
 * The sampling settings of one request, already resolved (request fields over
 * generation_config.json over server defaults). Validated on construction.
 *
 * @param temperature softmax temperature; 0 means greedy (always the most likely token)
 * @param topP nucleus cut in (0, 1]: keep the most likely tokens until their probability mass
 *     reaches it; 1 keeps all
 * @param topK keep only the k most likely tokens (ties at the k-th value stay); 0 keeps all
 * @param repetitionPenalty penalty for tokens already in the prompt or output, &gt; 0; 1 means none,
 *     above 1 discourages repetition
 * @param seed seed of the request's random generator; empty means a fresh random one
 */
public record SamplingParams(
    float temperature, float topP, int topK, float repetitionPenalty, OptionalLong seed) {

  /**
   * @throws IllegalArgumentException naming the first invalid field
   */
  public SamplingParams {
    checkTemperature(temperature);
    checkTopP(topP);
    checkTopK(topK);
    checkRepetitionPenalty(repetitionPenalty);
    if (seed == null) {
      throw new IllegalArgumentException("seed must not be null; use OptionalLong.empty()");
    }
  }

  /** Greedy decoding without penalty: the plain argmax of the logits. */
  public static SamplingParams greedy() {
    return new SamplingParams(0f, 1f, 0, 1f, OptionalLong.empty());
  }

  /** Whether the next token is the argmax, so no random draw happens. */
  public boolean isGreedy() {
    return temperature == 0f;
  }

  /** Whether the repetition penalty changes any logit. */
  public boolean hasRepetitionPenalty() {
    return repetitionPenalty != 1f;
  }

  /** The same settings with another seed. */
  public SamplingParams withSeed(long newSeed) {
    return new SamplingParams(temperature, topP, topK, repetitionPenalty, OptionalLong.of(newSeed));
  }

  /**
   * @param temperature a requested temperature
   * @return it, if finite and not negative
   * @throws IllegalArgumentException naming {@code temperature} otherwise
   */
  public static float checkTemperature(float temperature) {
    if (!(temperature >= 0f) || Float.isInfinite(temperature)) {
      throw new IllegalArgumentException(
          "temperature must be a finite number >= 0, got " + temperature);
    }
    return temperature;
  }

  /**
   * @param topP a requested nucleus cut
   * @return it, if in (0, 1]
   * @throws IllegalArgumentException naming {@code top_p} otherwise
   */
  public static float checkTopP(float topP) {
    if (!(topP > 0f && topP <= 1f)) {
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }
    return topP;
  }

  /**
   * @param topK a requested top-k
   * @return it, if not negative
   * @throws IllegalArgumentException naming {@code top_k} otherwise
   */
  public static int checkTopK(int topK) {
    if (topK < 0) {
      throw new IllegalArgumentException("top_k must be >= 0 (0 = no limit), got " + topK);
    }
    return topK;
  }

  /**
   * @param repetitionPenalty a requested repetition penalty
   * @return it, if finite and positive
   * @throws IllegalArgumentException naming {@code repetition_penalty} otherwise
   */
  public static float checkRepetitionPenalty(float repetitionPenalty) {
    if (!(repetitionPenalty > 0f) || Float.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException(
          "repetition_penalty must be a finite number > 0 (1 = none), got " + repetitionPenalty);
    }
    return repetitionPenalty;
  }
}
