package dev.vlm.server.model.qwen;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.RgbImage;
import dev.vlm.server.image.qwen.GridThw;
import dev.vlm.server.image.qwen.QwenImageProcessor;
import dev.vlm.server.image.qwen.QwenPixels;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.LongTensor;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.ModelLoadException;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.model.PreparedImage;
import dev.vlm.server.model.PromptPositions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Qwen2-VL and Qwen2.5-VL ({@code model_type: qwen2_vl, qwen2_5_vl}): a vision tower over
 * patch rows of any image size and a decoder with multimodal RoPE.
 *
 * <p>The chat template writes {@code <|vision_start|><|image_pad|><|vision_end|>} per image;
 * the {@code <|image_pad|>} is the placeholder, and becomes one image token per merged patch
 * (grid {@code t * h * w / merge^2}). Each image is its own encoder input: its patch rows as
 * {@code pixel_values [patches, row width]} and its grid as {@code [1, 3]} int64, named
 * {@code grid_thw} for Qwen2-VL exports and {@code image_grid_thw} for Qwen2.5-VL ones, as
 * transformers.js names them. The tower attends within one image only, so encoding images one
 * by one gives the rows Python gets from all of them at once.
 *
 * <p>After tokenization the family computes the prompt's three-row positions and rope delta
 * ({@link MropePositions}); text-only prompts keep the cache indices.
 */
public final class QwenVlFamily implements ModelFamily {
  // Each image may cost up to max_pixels / (patch * merge)^2 tokens (1,280 with Qwen's usual
  // max_pixels of 1,003,520 at 28 px); a few already fill a large share of the context.
  static final int MAX_IMAGES = 8;
  private static final String QWEN2_VL = "qwen2_vl";
  private static final String QWEN2_5_VL = "qwen2_5_vl";
  private static final String DEFAULT_PLACEHOLDER = "<|image_pad|>";

  @Override
  public String name() {
    return QWEN2_VL;
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of(QWEN2_VL, QWEN2_5_VL);
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    QwenImageProcessor processor = dir.parse("preprocessor_config.json", QwenImageProcessor::fromConfig);
    JsonNode config = dir.config();
    String type = dir.modelType();
    if (!modelTypes().contains(type)) {
      throw new ModelLoadException("config.json in " + dir.root() + " has model_type '" + type
          + "'; the " + name() + " family runs " + QWEN2_VL + " and " + QWEN2_5_VL);
    }
    int merge = config.path("vision_config").path("spatial_merge_size").asInt(2);
    if (merge != processor.mergeSize()) {
      throw new ModelLoadException("config.json in " + dir.root() + " has vision_config.spatial_merge_size " + merge
          + " but preprocessor_config.json has merge_size " + processor.mergeSize());
    }
    int imageToken = tokenId(dir, "image_token_id");
    int visionStart = tokenId(dir, "vision_start_token_id");
    boolean v25 = type.equals(QWEN2_5_VL);
    MropePositions positions = v25
        ? MropePositions.qwen25Vl(visionStart, imageToken, merge)
        : MropePositions.qwen2Vl(visionStart, imageToken, merge);
    String placeholder = dir.optionalJson("processor_config.json").path("image_token").asText(DEFAULT_PLACEHOLDER);
    return new Model(processor, placeholder, positions, v25 ? "image_grid_thw" : "grid_thw");
  }

  /** A token id from config.json, at the top level or, as newer exports put them, in text_config. */
  private static int tokenId(ModelDirectory dir, String field) {
    JsonNode value = dir.config().path(field);
    if (!value.canConvertToInt()) {
      value = dir.config().path("text_config").path(field);
    }
    if (!value.canConvertToInt() || value.asInt() < 0) {
      throw new ModelLoadException("config.json in " + dir.root() + " has no " + field);
    }
    return value.asInt();
  }

  /**
   * One loaded model's image handling.
   *
   * @param gridInput the vision encoder's name for the grid input
   */
  private record Model(QwenImageProcessor processor, String imagePlaceholder, MropePositions mrope, String gridInput)
      implements FamilyModel {
    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }

    @Override
    public PreparedImage prepare(RgbImage image) {
      QwenPixels pixels = processor.process(image);
      GridThw grid = pixels.grid();
      LongTensor gridTensor = new LongTensor(new long[] {grid.t(), grid.h(), grid.w()}, new long[] {1, 3});
      PixelBatch input = new PixelBatch(pixels.patches(), new long[] {pixels.rows(), pixels.rowWidth()},
          Map.of(), Map.of(gridInput, gridTensor));
      int tokens = grid.mergedTokens(processor.mergeSize());
      return new PreparedImage(imagePlaceholder.repeat(tokens), List.of(input), tokens);
    }

    @Override
    public Optional<PromptPositions> positions(int[] tokenIds, List<PreparedImage> images) {
      if (images.isEmpty()) {
        return Optional.empty(); // text only: the cache indices, delta 0
      }
      List<GridThw> grids = new ArrayList<>(images.size());
      for (PreparedImage image : images) {
        grids.add(gridOf(image));
      }
      MropePositions.Prefill prefill = mrope.compute(tokenIds, grids);
      return Optional.of(new PromptPositions(prefill.positionIds(), prefill.ropeDelta()));
    }

    /** Reads back the grid {@link #prepare} stored with the image's encoder input. */
    private GridThw gridOf(PreparedImage image) {
      LongTensor grid = image.encoderInputs().getFirst().longInputs().get(gridInput);
      if (image.encoderInputs().size() != 1 || grid == null || grid.values().length != 3) {
        throw new IllegalArgumentException("image was not prepared by this model (no single " + gridInput + " input)");
      }
      long[] thw = grid.values();
      return new GridThw((int) thw[0], (int) thw[1], (int) thw[2]);
    }
  }
}
