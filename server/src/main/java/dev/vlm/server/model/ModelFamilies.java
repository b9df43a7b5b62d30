package dev.vlm.server.model;

import dev.vlm.server.model.blip2.Blip2Family;
import dev.vlm.server.model.idefics2.Idefics2Family;
import dev.vlm.server.model.idefics3.Idefics3Family;
import dev.vlm.server.model.kosmos25.Kosmos25Family;
import dev.vlm.server.model.lfm2.Lfm2VlFamily;
import dev.vlm.server.model.llava.LlavaFamily;
import dev.vlm.server.model.qwen.QwenVlFamily;
import java.util.List;
import java.util.Optional;

/** The supported families, and the choice of one for a model directory. Immutable. */
public final class ModelFamilies {
  private final List<ModelFamily> families;

  public ModelFamilies(List<ModelFamily> families) {
    this.families = List.copyOf(families);
  }

  /** Every family this build supports. */
  public static ModelFamilies builtIn() {
    return new ModelFamilies(
        List.of(new LlavaFamily(), new Idefics3Family(), new Idefics2Family(), new Blip2Family(), new QwenVlFamily(),
            new Lfm2VlFamily(), new Kosmos25Family()));
  }

  /**
   * Picks the family named by {@code override}, else the one whose model types include the
   * directory's {@code model_type}.
   *
   * @throws ModelLoadException naming the supported families if none fits
   */
  public ModelFamily select(ModelDirectory dir, Optional<String> override) {
    if (override.isPresent()) {
      String name = override.get();
      return families.stream()
          .filter(f -> f.name().equals(name))
          .findFirst()
          .orElseThrow(() -> new ModelLoadException(
              "family '" + name + "' is not supported; supported families: " + names()));
    }
    String type = dir.modelType();
    return families.stream()
        .filter(f -> f.modelTypes().contains(type))
        .findFirst()
        .orElseThrow(() -> new ModelLoadException(
            "model_type '" + type + "' in " + dir.root().resolve("config.json")
                + " is not supported; supported families: " + names()));
  }

  private List<String> names() {
    return families.stream().map(ModelFamily::name).toList();
  }
}
