package dev.vlm.server.generation;

import java.util.List;
import java.util.Map;

/**
 * Writes image features over the embeddings of a chunk, at the prompt's image spans only. The
 * spans come from the prompt as prepared, never from token ids, so an image token id that the
 * model generates (or that a resumed sequence re-prefills) stays ordinary text. Stateless.
 */
final class ImageFeatureMerge {
  private ImageFeatureMerge() {}

  /**
   * @param embeds the chunk's token embeddings, {@code (end - start) * hidden} floats; changed
   *     in place
   * @param start the chunk's first position
   * @param end one past its last position
   * @param images the prompt's image spans
   * @param features encoder rows per image index, for every image the chunk reaches
   * @throws IllegalStateException if the chunk reaches an image not encoded yet
   */
  static void merge(float[] embeds, int start, int end, List<PreparedPrompt.PromptImage> images,
      Map<Integer, float[][]> features, int hidden) {
    for (int index = 0; index < images.size(); index++) {
      PreparedPrompt.PromptImage image = images.get(index);
      int from = Math.max(image.offset(), start);
      int to = Math.min(image.offset() + image.length(), end);
      if (from >= to) {
        continue;
      }
      float[][] rows = features.get(index);
      if (rows == null) {
        throw new IllegalStateException("image " + index + " reached before it was encoded");
      }
      for (int position = from; position < to; position++) {
        System.arraycopy(rows[position - image.offset()], 0, embeds, (position - start) * hidden, hidden);
      }
    }
  }
}
