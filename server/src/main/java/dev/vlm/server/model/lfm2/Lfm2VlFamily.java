package dev.vlm.server.model.lfm2;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ImageException;
import dev.vlm.server.image.PlanarImage;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.image.lfm2.Lfm2ImageProcessor;
import dev.vlm.server.image.lfm2.Lfm2Patches;
import dev.vlm.server.image.lfm2.Lfm2TileSettings;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.LongTensor;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LFM2-VL ({@code model_type: lfm2_vl}): a SigLIP2 NaFlex vision tower with a pixel-unshuffle
 * projector over tiles of varying shape, and the LFM2 hybrid decoder (conv and attention
 * layers). A small image is one tile; a large one becomes a grid of square tiles plus a
 * thumbnail, with row/column and thumbnail marker tokens between the tiles' image tokens.
 *
 * <p>Each tile is its own encoder input ({@code pixel_values [1, maxPatches, 3·p·p]},
 * {@code pixel_attention_mask} and {@code spatial_shapes}), so each tile's image tokens are one
 * contiguous span of the prompt. The encoder handles each tile independently (padding patches
 * never change a result), so this gives the rows one batched call gives, and lets the
 * scheduler plan per tile, with the thumbnail's different token count.
 */
public final class Lfm2VlFamily implements ModelFamily {
  // A full-size image (LFM2-VL-1.6B: 10 tiles of 256 tokens plus a thumbnail) takes ~2.8k
  // prompt positions; eight of them fill most of a 32k context.
  private static final int MAX_IMAGES = 8;
  private static final String MASK_INPUT = "pixel_attention_mask";
  private static final String SHAPES_INPUT = "spatial_shapes";

  @Override
  public String name() {
    return "lfm2_vl";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("lfm2_vl");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    Lfm2ImageProcessor processor = dir.parse("preprocessor_config.json", Lfm2ImageProcessor::fromConfig);
    JsonNode tokens = dir.optionalJson("tokenizer_config.json");
    Lfm2ImageText text = new Lfm2ImageText(
        tokens.path("image_token").asText("<image>"),
        tokens.path("image_start_token").asText("<|image_start|>"),
        tokens.path("image_end_token").asText("<|image_end|>"),
        tokens.path("image_thumbnail").asText("<|img_thumbnail|>"));
    return new Model(processor, text);
  }

  private record Model(Lfm2ImageProcessor processor, Lfm2ImageText text) implements FamilyModel {
    @Override
    public String imagePlaceholder() {
      return text.imageToken();
    }

    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }

    /**
     * @throws ImageException if the image's shape is too extreme to resize or to patchify
     */
    @Override
    public PreparedImage prepare(RgbImage image) {
      Lfm2ImageProcessor.Lfm2Image processed = processor.process(image);
      Lfm2TileSettings settings = processor.settings();
      int maxPatches = settings.maxNumPatches();
      List<PixelBatch> inputs = new ArrayList<>();
      List<Integer> counts = new ArrayList<>();
      for (PlanarImage tile : processed.tiles()) {
        Lfm2Patches patches = Lfm2Patches.of(tile, settings.patchSize(), maxPatches);
        long[] shape = {1, maxPatches, 3L * settings.patchSize() * settings.patchSize()};
        inputs.add(new PixelBatch(patches.values(), shape, Map.of(), Map.of(
            MASK_INPUT, new LongTensor(patches.mask(), new long[] {1, maxPatches}),
            SHAPES_INPUT, new LongTensor(new long[] {patches.patchRows(), patches.patchCols()}, new long[] {1, 2}))));
        counts.add(settings.tokens(tile.height(), tile.width()));
      }
      return new PreparedImage(text.expand(processed.layout(), counts), inputs, counts);
    }
  }
}
