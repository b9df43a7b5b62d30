package dev.vlm.server.model;

import dev.vlm.server.image.RgbImage;

/**
 * What a model family contributes to one loaded model: how images become encoder input and
 * how they are marked in the prompt. Implementations are immutable and thread-safe.
 */
public interface FamilyModel {
  /**
   * The text that stands for one image in a rendered prompt, such as {@code <image>}; it is
   * also the token whose positions the vision encoder's rows fill.
   */
  String imagePlaceholder();

  /** Most images one request may carry. */
  int maxImagesPerRequest();

  /**
   * Preprocesses an image into encoder inputs, and says what text replaces its placeholder: the
   * image tokens the encoder will fill (known before it runs, so the scheduler can plan the
   * prompt) and any tokens the family puts around them.
   */
  PreparedImage prepare(RgbImage image);
}
