package dev.vlm.server.generation;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The sampling and stopping settings a client asked for; empty means "use the model's
 * generation_config.json, then the server default". Values are already range-checked.
 *
 * @param maxNewTokens most tokens to generate
 * @param temperature 0 for greedy
 * @param topP nucleus mass in (0, 1]
 * @param topK 0 for no limit
 * @param seed seed of the sampler's random numbers
 * @param repetitionPenalty penalty for seen tokens, positive
 * @param stop stop strings
 * @param ignoreEos keep going past the end-of-sequence token
 */
public record SamplingRequest(
    OptionalInt maxNewTokens,
    Optional<Float> temperature,
    Optional<Float> topP,
    OptionalInt topK,
    OptionalLong seed,
    Optional<Float> repetitionPenalty,
    List<String> stop,
    boolean ignoreEos) {
  public SamplingRequest {
    stop = List.copyOf(stop);
  }

  /** Nothing set: greedy from the model's defaults. */
  public static SamplingRequest defaults() {
    return new SamplingRequest(
        OptionalInt.empty(), Optional.empty(), Optional.empty(), OptionalInt.empty(),
        OptionalLong.empty(), Optional.empty(), List.of(), false);
  }
}
