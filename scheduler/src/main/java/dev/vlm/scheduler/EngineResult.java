package dev.vlm.scheduler;

import java.util.HashMap;
import java.util.Map;

/**
 * What the engine returns for one {@link SchedulerOutput}: a sampled token for every chunk with
 * {@link ScheduledChunk#sampleNext()}, and optionally failures of single requests (the rest of
 * the step still counts).
 *
 * <p>Immutable, thread-safe.
 *
 * @param samples per request id, the token sampled this step and whether the engine decided it
 *     ends the output
 * @param failures per request id, why the engine could not run that request this step; such a
 *     request finishes with {@link FinishReason#ERROR}
 */
public record EngineResult(Map<String, Sample> samples, Map<String, String> failures) {

  /** Copies both maps. */
  public EngineResult {
    samples = Map.copyOf(samples);
    failures = Map.copyOf(failures);
  }

  /** A result with no samples and no failures, for steps that sample nothing. */
  public static EngineResult empty() {
    return new EngineResult(Map.of(), Map.of());
  }

  /** A builder for results assembled one request at a time. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether a sampled token ends the output, as decided by the engine side.
   *
   * <p>Immutable, thread-safe.
   */
  public enum Signal {
    /** Keep generating (the scheduler still stops at {@code maxNewTokens}). */
    CONTINUE,
    /** The token is an end-of-sequence token; it is emitted, then the request ends. */
    EOS,
    /** A stop condition (such as a stop string) matched; the request ends. */
    STOP
  }

  /**
   * One sampled token.
   *
   * <p>Immutable, thread-safe.
   *
   * @param tokenId the token id, non-negative
   * @param signal whether it ends the output
   */
  public record Sample(int tokenId, Signal signal) {
    /**
     * Checks the sample.
     *
     * @throws IllegalArgumentException if {@code tokenId < 0} or {@code signal} is null
     */
    public Sample {
      if (tokenId < 0) {
        throw new IllegalArgumentException("sampled token id must be >= 0, got " + tokenId);
      }
      if (signal == null) {
        throw new IllegalArgumentException("signal must not be null");
      }
    }
  }

  /**
   * Assembles an {@link EngineResult}.
   *
   * <p>Not thread-safe.
   */
  public static final class Builder {
    private final Map<String, Sample> samples = new HashMap<>();
    private final Map<String, String> failures = new HashMap<>();

    private Builder() {}

    /** Records a token that does not end the output. */
    public Builder token(String requestId, int tokenId) {
      return sample(requestId, new Sample(tokenId, Signal.CONTINUE));
    }

    /** Records an end-of-sequence token. */
    public Builder eos(String requestId, int tokenId) {
      return sample(requestId, new Sample(tokenId, Signal.EOS));
    }

    /** Records a token after which a stop condition matched. */
    public Builder stop(String requestId, int tokenId) {
      return sample(requestId, new Sample(tokenId, Signal.STOP));
    }

    /** Records a sample. */
    public Builder sample(String requestId, Sample sample) {
      samples.put(requestId, sample);
      return this;
    }

    /** Records that one request failed this step. */
    public Builder failed(String requestId, String why) {
      failures.put(requestId, why);
      return this;
    }

    /** The result. */
    public EngineResult build() {
      return new EngineResult(samples, failures);
    }
  }
}
