package dev.vlm.server.model;

import dev.vlm.server.image.RgbImage;

/**
 * What a model family contributes to one loaded model: how images become encoder input and
 * how they are marked in the prompt. Implementations are immutable and thread-safe.
 */
public interface FamilyModel {
  /** The text that stands for one image in a prompt, such as {@code <image>}. */
  String imagePlaceholder();

  /** Most images one request may carry. */
  int maxImagesPerRequest();

  /** Resizes, crops and normalizes an image into the vision encoder's input. */
  PixelBatch preprocess(RgbImage image);

  /**
   * How many prompt positions the vision encoder fills for this input: the number of rows it
   * will output, known before it runs so the scheduler can plan the prompt.
   */
  int imageTokens(PixelBatch pixels);
}
