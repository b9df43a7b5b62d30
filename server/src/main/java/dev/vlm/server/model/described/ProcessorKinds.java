package dev.vlm.server.model.described;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ClipImageProcessor;
import dev.vlm.server.image.Idefics2ImageProcessor;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.ImageSize;
import dev.vlm.server.image.ImageTiles;
import dev.vlm.server.image.PlanarImage;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.image.SplittingImageProcessor;
import dev.vlm.server.model.BooleanTensor;
import dev.vlm.server.model.PixelBatch;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The image processor kinds a family description can name, each reading its settings from
 * {@code preprocessor_config.json} (with the description's overrides laid over it) exactly as
 * the Python processor it mirrors:
 * <ul>
 *   <li>{@code clip}: {@code CLIPImageProcessor} / {@code BlipImageProcessor}: resize (shortest
 *       edge or exact size), optional centre crop, normalize; one {@code [1, 3, H, W]} frame.
 *   <li>{@code idefics3_splitting}: {@code Idefics3ImageProcessor} (SmolVLM too): longest edge,
 *       then tiles of the encoder's square size plus the whole image as a global frame; each
 *       frame {@code [1, 1, 3, S, S]} with an all-true {@code pixel_attention_mask}.
 *   <li>{@code idefics2_splitting}: {@code Idefics2ImageProcessor}: the four quarters and the
 *       whole image, each resized on its own and kept at its own size, {@code [1, 1, 3, H, W]}
 *       with an all-true mask.
 * </ul>
 * A new kind is code: a {@link FrameProcessor} and one line here.
 */
final class ProcessorKinds {
  private static final String MASK_INPUT = "pixel_attention_mask";
  private static final Map<String, Function<JsonNode, FrameProcessor>> KINDS = new TreeMap<>(Map.of(
      "clip", ProcessorKinds::clip,
      "idefics3_splitting", ProcessorKinds::idefics3,
      "idefics2_splitting", ProcessorKinds::idefics2));

  private ProcessorKinds() {}

  /** Whether {@code kind} names a processor kind. */
  static boolean exists(String kind) {
    return KINDS.containsKey(kind);
  }

  /** The kinds' names, sorted. */
  static List<String> names() {
    return List.copyOf(KINDS.keySet());
  }

  /**
   * Builds a processor of {@code kind} from its settings.
   *
   * @throws IllegalArgumentException if the settings are invalid (the message names the field)
   */
  static FrameProcessor create(String kind, JsonNode settings) {
    return KINDS.get(kind).apply(settings);
  }

  private static FrameProcessor clip(JsonNode settings) {
    ClipImageProcessor processor = ClipImageProcessor.fromConfig(settings);
    ImageSize size = new ImageSize(processor.outputWidth(), processor.outputHeight());
    long[] shape = {1, 3, size.height(), size.width()};
    return new Configured(Optional.of(size), image -> ImageFrames.whole(new PixelBatch(processor.process(image), shape)));
  }

  private static FrameProcessor idefics3(JsonNode settings) {
    SplittingImageProcessor processor = SplittingImageProcessor.fromConfig(settings);
    int side = processor.frameSize();
    return new Configured(Optional.of(new ImageSize(side, side)), image -> {
      ImageTiles tiles = processor.process(image);
      return new ImageFrames(tiles.rows(), tiles.cols(), tiles.frames().stream().map(ProcessorKinds::maskedFrame).toList());
    });
  }

  private static FrameProcessor idefics2(JsonNode settings) {
    Idefics2ImageProcessor processor = Idefics2ImageProcessor.fromConfig(settings);
    return new Configured(Optional.empty(), image -> {
      List<PlanarImage> frames;
      try {
        frames = processor.process(image);
      } catch (IllegalArgumentException e) {
        // An image too thin to split: the caller's input, answered as an image it must change.
        throw new ImageException(ImageException.Reason.UNSUPPORTED, e.getMessage(), e);
      }
      // The four quarters are a 2x2 grid in front of the whole image.
      int grid = frames.size() == 1 ? 0 : 2;
      return new ImageFrames(grid, grid, frames.stream().map(ProcessorKinds::maskedFrame).toList());
    });
  }

  /** A {@code [1, 1, 3, H, W]} frame with an all-true pixel mask, as the Idefics encoders take it. */
  private static PixelBatch maskedFrame(PlanarImage frame) {
    return new PixelBatch(frame.chw(), new long[] {1, 1, 3, frame.height(), frame.width()},
        Map.of(MASK_INPUT, BooleanTensor.allTrue(1, 1, frame.height(), frame.width())));
  }

  /** A processor kind with its settings applied. */
  private record Configured(Optional<ImageSize> frameSize, Function<RgbImage, ImageFrames> run)
      implements FrameProcessor {
    @Override
    public ImageFrames process(RgbImage image) {
      return run.apply(image);
    }
  }
}
