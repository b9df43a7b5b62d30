package dev.vlm.server.model;

import java.util.List;

/**
 * What one image of a request becomes: the text that replaces its placeholder in the prompt, and
 * the vision encoder inputs whose output rows fill the prompt's image tokens.
 *
 * <p>The replacement text holds {@code tokensPerInput} image tokens in a row for each encoder
 * input, in input order; it may hold other tokens between those runs (e.g. tile markers).
 *
 * @param promptText the text that stands for the image in the prompt
 * @param encoderInputs the encoder inputs, in the order of their image-token runs
 * @param tokensPerInput image tokens (= encoder output rows) per input
 */
public record PreparedImage(String promptText, List<PixelBatch> encoderInputs, int tokensPerInput) {
  /**
   * Checks the counts.
   *
   * @throws IllegalArgumentException if there is no input or {@code tokensPerInput < 1}
   */
  public PreparedImage {
    encoderInputs = List.copyOf(encoderInputs);
    if (encoderInputs.isEmpty() || tokensPerInput < 1) {
      throw new IllegalArgumentException(
          "an image needs at least one encoder input of at least one token, got " + encoderInputs.size()
              + " of " + tokensPerInput);
    }
  }
}
