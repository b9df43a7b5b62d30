package dev.vlm.server.model.llava;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vlm.server.image.ClipImageProcessor;
import dev.vlm.server.model.FamilyModel;
import dev.vlm.server.model.ModelDirectory;
import dev.vlm.server.model.ModelFamily;
import dev.vlm.server.model.PixelBatch;
import dev.vlm.server.image.RgbImage;
import java.util.List;
import java.util.Set;

/**
 * LLaVA-1.5 ({@code model_type: llava}): a CLIP vision tower and projector whose features
 * replace the prompt's {@code <image>} tokens, one feature row per token.
 */
public final class LlavaFamily implements ModelFamily {
  // LLaVA-1.5 was trained on one image per conversation; more degrade quality but run.
  private static final int MAX_IMAGES = 4;

  @Override
  public String name() {
    return "llava";
  }

  @Override
  public Set<String> modelTypes() {
    return Set.of("llava");
  }

  @Override
  public List<String> requiredFiles() {
    return List.of("config.json", "preprocessor_config.json", "tokenizer.json", "tokenizer_config.json");
  }

  @Override
  public FamilyModel open(ModelDirectory dir) {
    ClipImageProcessor processor = ClipImageProcessor.fromConfig(dir.json("preprocessor_config.json"));
    JsonNode processorConfig = dir.optionalJson("processor_config.json");
    String placeholder = processorConfig.path("image_token").asText("<image>");
    return new Model(processor, placeholder);
  }

  private record Model(ClipImageProcessor processor, String imagePlaceholder) implements FamilyModel {
    @Override
    public int maxImagesPerRequest() {
      return MAX_IMAGES;
    }

    @Override
    public PixelBatch preprocess(RgbImage image) {
      float[] pixels = processor.process(image);
      return new PixelBatch(pixels, new long[] {1, 3, processor.outputHeight(), processor.outputWidth()});
    }
  }
}
