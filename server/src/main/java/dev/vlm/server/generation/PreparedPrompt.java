package dev.vlm.server.generation;

import java.util.List;

/**
 * A prompt ready for the decoder: token ids with each image placeholder expanded to one token
 * per image feature row, and those rows in prompt order.
 *
 * @param tokenIds the prompt's token ids
 * @param imageFeatures one row per image token, in the order the image tokens appear
 */
public record PreparedPrompt(int[] tokenIds, List<float[]> imageFeatures) {
  /** Prompt positions that hold image features. */
  public int imageTokens() {
    return imageFeatures.size();
  }
}
