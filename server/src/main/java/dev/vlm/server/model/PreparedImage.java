package dev.vlm.server.model;

import java.util.Collections;
import java.util.List;

/**
 * What one image of a request becomes: the text that replaces its placeholder in the prompt, and
 * the vision encoder inputs whose output rows fill the prompt's image tokens.
 *
 * <p>The replacement text holds, for each encoder input in input order, a run of that input's
 * image tokens; it may hold other tokens between those runs (e.g. tile markers).
 *
 * @param promptText the text that stands for the image in the prompt
 * @param encoderInputs the encoder inputs, in the order of their image-token runs
 * @param inputTokens image tokens (= encoder output rows) of each input, in the same order
 */
public record PreparedImage(String promptText, List<PixelBatch> encoderInputs, List<Integer> inputTokens) {
  /**
   * Checks the counts.
   *
   * @throws IllegalArgumentException if there is no input, the counts do not match the inputs,
   *     or an input has fewer than one token
   */
  public PreparedImage {
    encoderInputs = List.copyOf(encoderInputs);
    inputTokens = List.copyOf(inputTokens);
    if (encoderInputs.isEmpty() || inputTokens.size() != encoderInputs.size()
        || inputTokens.stream().anyMatch(n -> n < 1)) {
      throw new IllegalArgumentException(
          "an image needs at least one encoder input of at least one token, got " + encoderInputs.size()
              + " inputs of " + inputTokens + " tokens");
    }
  }

  /**
   * An image whose every encoder input fills the same number of tokens.
   *
   * @throws IllegalArgumentException if there is no input or {@code tokensPerInput < 1}
   */
  public PreparedImage(String promptText, List<PixelBatch> encoderInputs, int tokensPerInput) {
    this(promptText, encoderInputs, Collections.nCopies(encoderInputs.size(), tokensPerInput));
  }

  /**
   * Image tokens per encoder input, for families whose inputs all fill the same number.
   *
   * @throws IllegalStateException if the inputs' counts differ (e.g. LFM2-VL's thumbnail)
   */
  public int tokensPerInput() {
    if (inputTokens.stream().distinct().count() != 1) {
      throw new IllegalStateException("encoder inputs fill different token counts: " + inputTokens);
    }
    return inputTokens.getFirst();
  }

  /** Image tokens of the {@code input}-th encoder input. */
  public int tokensOf(int input) {
    return inputTokens.get(input);
  }
}
