package dev.vlm.server.model.described;

import dev.vlm.server.image.ImageSize;
import dev.vlm.server.image.RgbImage;
import java.util.Optional;

/**
 * An image processor kind that family descriptions pick by name ({@link ProcessorKinds}): the
 * code part of a described family. Implementations are immutable and thread-safe.
 */
interface FrameProcessor {
  /**
   * Preprocesses one image into encoder inputs.
   *
   * @throws dev.vlm.server.image.ImageException if the image's shape is one the processor cannot
   *     handle (the message says why)
   */
  ImageFrames process(RgbImage image);

  /** The size of every frame when it is fixed (so token counts can follow from it), else empty. */
  Optional<ImageSize> frameSize();
}
