package dev.vlm.server.generation;

import dev.vlm.server.errors.InvalidArgumentException;

/** How many tokens a request may generate: what it asks for, within the model's context. */
final class OutputBudget {
  private OutputBudget() {}

  /**
   * @throws InvalidArgumentException if the prompt fills the context, or the request asks for
   *     more tokens than the context leaves
   */
  static int maxNewTokens(LoadedModel model, SamplingRequest sampling, int promptTokens, int serverDefault) {
    int room = model.maxContextTokens() - promptTokens;
    if (room <= 0) {
      throw new InvalidArgumentException(
          "prompt",
          "is " + promptTokens + " tokens (images included), which fills the model's context of "
              + model.maxContextTokens() + " tokens");
    }
    if (sampling.maxNewTokens().isPresent()) {
      int asked = sampling.maxNewTokens().getAsInt();
      if (asked > room) {
        throw new InvalidArgumentException(
            "sampling.max_new_tokens",
            asked + " new tokens after a " + promptTokens + "-token prompt exceed the model's context of "
                + model.maxContextTokens() + " tokens (at most " + room + " here)");
      }
      return asked;
    }
    return Math.min(room, model.defaults().maxNewTokens().orElse(serverDefault));
  }
}
