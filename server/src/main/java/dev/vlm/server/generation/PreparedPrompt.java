package dev.vlm.server.generation;

import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PromptPositions;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A prompt ready for scheduling: token ids with each image placeholder expanded to one token
 * per row the vision encoder will produce, each image's positions and encoder input, and the
 * decoder's rotary positions where the family's differ from the cache indices.
 *
 * @param tokenIds the prompt's token ids
 * @param images the images in prompt order
 * @param positions the prompt's multimodal rotary positions and rope delta, or empty when every
 *     token's position is its cache index
 */
public record PreparedPrompt(int[] tokenIds, List<PromptImage> images, Optional<PromptPositions> positions) {
  /**
   * One image of a prompt.
   *
   * @param offset first prompt position of its tokens
   * @param length how many positions (= encoder output rows)
   * @param pixels the encoder's input
   */
  public record PromptImage(int offset, int length, PixelBatch pixels) {}

  /**
   * Checks that explicit positions cover the prompt.
   *
   * @throws IllegalArgumentException if {@code positions} is present but not as long as the prompt
   */
  public PreparedPrompt {
    images = List.copyOf(images);
    Objects.requireNonNull(positions, "positions");
    if (positions.isPresent() && positions.get().promptLength() != tokenIds.length) {
      throw new IllegalArgumentException("positions for " + positions.get().promptLength()
          + " tokens given with a prompt of " + tokenIds.length);
    }
  }

  /** A prompt whose positions are its cache indices. */
  public PreparedPrompt(int[] tokenIds, List<PromptImage> images) {
    this(tokenIds, images, Optional.empty());
  }

  /** Prompt positions that hold image features. */
  public int imageTokens() {
    return images.stream().mapToInt(PromptImage::length).sum();
  }
}
