package dev.vlm.server.model.idefics3;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ImageTiles;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.image.SplittingImageProcessor;
import dev.vlm.server.model.BooleanTensor;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Idefics3 and SmolVLM ({@code model_type: idefics3, smolvlm}): a SigLIP-style vision tower and
 * pixel-shuffle connector over square frames. An image becomes tiles plus a global frame (or
 * only the global frame), each frame {@code image_seq_len} image tokens, with row/column and
 * global-image marker tokens around them in the prompt.
 *
 * <p>Each frame is its own encoder input ({@code [1, 1, 3, S, S]} with an all-true {@code
 * pixel_attention_mask}), so each frame's image tokens form one contiguous span; the marker
 * tokens between frames keep their own embeddings.
 */
public final class Idefics3Family implements ModelFamily {
  // Every image costs up to (tiles + 1) * image_seq_len prompt positions (1,088 for a 4x4 split
  // of SmolVLM-256M); a handful already fills the models' 8k-16k contexts.
  private static final int MAX_IMAGES = 5;
  private static final String MASK_INPUT = "pixel_attention_mask";

  @Override
  public String name() {
    return "idefics3";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("idefics3", "smolvlm");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    SplittingImageProcessor processor = dir.parse("preprocessor_config.json", SplittingImageProcessor::fromConfig);
    JsonNode processorConfig = dir.optionalJson("processor_config.json");
    String placeholder = processorConfig.path("image_token").asText("<image>");
    int tokensPerFrame = processorConfig.path("image_seq_len").asInt(tokensFromConfig(dir, processor.frameSize()));
    if (tokensPerFrame <= 0) {
      throw new ModelLoadException("processor_config.json in " + dir.root() + " has image_seq_len " + tokensPerFrame);
    }
    return new Model(processor, placeholder, tokensPerFrame, new ImageTokenLayout(placeholder, tokensPerFrame));
  }

  /** Patches per frame divided by the pixel shuffle's block size, as the connector computes it. */
  private static int tokensFromConfig(ModelDirectory dir, int frameSize) {
    int patch = dir.config().path("vision_config").path("patch_size").asInt(0);
    int scale = dir.config().path("scale_factor").asInt(0);
    if (patch <= 0 || scale <= 0 || frameSize % patch != 0 || (frameSize / patch) % scale != 0) {
      throw new ModelLoadException(
          "processor_config.json in " + dir.root() + " has no image_seq_len, and config.json's "
              + "vision_config.patch_size and scale_factor do not give one");
    }
    int side = frameSize / patch / scale;
    return side * side;
  }

  private record Model(
      SplittingImageProcessor processor, String imagePlaceholder, int tokensPerFrame, ImageTokenLayout layout)
      implements FamilyModel {
    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }

    @Override
    public PreparedImage prepare(RgbImage image) {
      ImageTiles tiles = processor.process(image);
      int size = processor.frameSize();
      BooleanTensor mask = BooleanTensor.allTrue(1, 1, size, size);
      List<PixelBatch> inputs = tiles.frames().stream()
          .map(frame -> new PixelBatch(frame.chw(), new long[] {1, 1, 3, size, size}, Map.of(MASK_INPUT, mask)))
          .toList();
      return new PreparedImage(layout.text(tiles.rows(), tiles.cols()), inputs, tokensPerFrame);
    }
  }
}
