package dev.vlm.server.model;

import dev.vlm.server.model.described.DescribedFamily;
import dev.vlm.server.model.kosmos25.Kosmos25Family;
import dev.vlm.server.model.lfm2.Lfm2VlFamily;
import dev.vlm.server.model.qwen.QwenVlFamily;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The supported families, and the choice of one for a model directory. Families whose
 * differences are data are descriptions ({@link DescribedFamily}: shipped ones here, or a
 * directory's own {@value DescribedFamily#FILE_NAME}); the rest are classes. Immutable.
 */
public final class ModelFamilies {
  private final List<ModelFamily> families;

  /**
   * @throws IllegalArgumentException if two families share a name
   */
  public ModelFamilies(List<ModelFamily> families) {
    this.families = List.copyOf(families);
    Set<String> names = new HashSet<>();
    for (ModelFamily family : this.families) {
      if (!names.add(family.name())) {
        throw new IllegalArgumentException("family '" + family.name() + "' is defined twice");
      }
    }
  }

  /** Every family this build supports. */
  public static ModelFamilies builtIn() {
    return new ModelFamilies(List.of(
        DescribedFamily.builtIn("llava"),
        DescribedFamily.builtIn("idefics3"),
        DescribedFamily.builtIn("idefics2"),
        DescribedFamily.builtIn("blip2"),
        new QwenVlFamily(),
        new Lfm2VlFamily(),
        new Kosmos25Family()));
  }

  /**
   * The family called {@code name}.
   *
   * @throws IllegalArgumentException naming the supported families if none is
   */
  public ModelFamily named(String name) {
    return families.stream()
        .filter(f -> f.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException(
            "family '" + name + "' is not supported; supported families: " + names(families)));
  }

  /**
   * Picks the family for a directory: the one {@code override} names, or the one described in
   * the file it names (a path ending in {@code .json}); else the one whose model types include
   * the directory's {@code model_type}. A directory holding {@value DescribedFamily#FILE_NAME}
   * adds the family it describes, which goes first.
   *
   * @throws ModelLoadException naming the supported families if none fits, or the description
   *     file and its bad field if it is invalid, or if it reuses a supported family's name
   */
  public ModelFamily select(ModelDirectory dir, Optional<String> override) {
    if (override.isPresent() && override.get().endsWith(DescribedFamily.FILE_SUFFIX)) {
      return distinct(DescribedFamily.read(Path.of(override.get())));
    }
    List<ModelFamily> candidates = candidates(dir);
    String type = dir.modelType();
    if (override.isPresent()) {
      String name = override.get();
      return candidates.stream()
          .filter(f -> f.name().equals(name))
          .findFirst()
          .orElseThrow(() -> new ModelLoadException(
              "family '" + name + "' is not supported; supported families: " + names(candidates)));
    }
    if (candidates.size() > families.size() && !candidates.getFirst().modelTypes().contains(type)) {
      ModelFamily own = candidates.getFirst();
      throw new ModelLoadException(dir.root().resolve(DescribedFamily.FILE_NAME) + " describes family '" + own.name()
          + "' for model_types " + own.modelTypes().stream().sorted().toList() + ", but config.json's model_type is '"
          + type + "'; add it to model_types or name the family in the model's config");
    }
    return candidates.stream()
        .filter(f -> f.modelTypes().contains(type))
        .findFirst()
        .orElseThrow(() -> new ModelLoadException(
            "model_type '" + type + "' in " + dir.root().resolve("config.json")
                + " is not supported; supported families: " + names(candidates)));
  }

  /** The directory's own described family, if it has one, then the supported ones. */
  private List<ModelFamily> candidates(ModelDirectory dir) {
    if (!dir.has(DescribedFamily.FILE_NAME)) {
      return families;
    }
    DescribedFamily own = distinct(DescribedFamily.read(dir.root().resolve(DescribedFamily.FILE_NAME)));
    List<ModelFamily> out = new ArrayList<>(families.size() + 1);
    out.add(own);
    out.addAll(families);
    return out;
  }

  /** An operator's family, refused if it takes a supported family's name. */
  private DescribedFamily distinct(DescribedFamily described) {
    if (names(families).contains(described.name())) {
      throw new ModelLoadException("family description " + described.source() + ": field 'name' is '"
          + described.name() + "', which a supported family already has; choose another name");
    }
    return described;
  }

  private static List<String> names(List<ModelFamily> families) {
    return families.stream().map(ModelFamily::name).toList();
  }
}
