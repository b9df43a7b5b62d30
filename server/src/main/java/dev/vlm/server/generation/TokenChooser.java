package dev.vlm.server.generation;

import dev.vlm.server.sampling.Sampler;
import dev.vlm.server.sampling.TokenHistory;

/**
 * Picks each next token of one sequence and remembers it, so the repetition penalty sees the
 * prompt and everything generated so far. One per request; not thread-safe.
 */
final class TokenChooser {
  private final Sampler sampler;
  private final TokenHistory history = new TokenHistory();

  TokenChooser(Sampler sampler, int[] promptIds) {
    this.sampler = sampler;
    history.addAll(promptIds);
  }

  int choose(float[] logits) {
    int token = sampler.next(logits, 0, history);
    history.add(token);
    return token;
  }
}
