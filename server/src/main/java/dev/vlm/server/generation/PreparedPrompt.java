package dev.vlm.server.generation;

import dev.vlm.server.model.PixelBatch;
import java.util.List;

/**
 * A prompt ready for scheduling: token ids with each image placeholder expanded to one token
 * per row the vision encoder will produce, and each image's positions and encoder input.
 *
 * @param tokenIds the prompt's token ids
 * @param images the images in prompt order
 */
public record PreparedPrompt(int[] tokenIds, List<PromptImage> images) {
  /**
   * One image of a prompt.
   *
   * @param offset first prompt position of its tokens
   * @param length how many positions (= encoder output rows)
   * @param pixels the encoder's input
   */
  public record PromptImage(int offset, int length, PixelBatch pixels) {}

  public PreparedPrompt {
    images = List.copyOf(images);
  }

  /** Prompt positions that hold image features. */
  public int imageTokens() {
    return images.stream().mapToInt(PromptImage::length).sum();
  }
}
