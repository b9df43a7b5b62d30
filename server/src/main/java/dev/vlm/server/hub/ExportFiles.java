package dev.vlm.server.hub;

import dev.vlm.server.model.ModelGraph;
import dev.vlm.server.model.WeightType;
import dev.vlm.server.model.WeightTypes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Which files of a repository the server opens for a choice of weight types: the configs,
 * tokenizer and chat template, and each graph in its weight type with its external data
 * ({@code X.onnx_data}, or shards {@code X.onnx_data_1}...). Nothing else is pulled: a snapshot
 * of a real export holds every weight type side by side, many gigabytes the server would not open.
 * Stateless.
 */
public final class ExportFiles {
  /** Everything besides the graphs that a model directory may use; those present are pulled. */
  static final List<String> SUPPORT_FILES = List.of(
      "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
      "tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "chat_template.json", "genai_config.json");

  private static final Pattern EXTERNAL_DATA = Pattern.compile("_data(_\\d+)?");

  private ExportFiles() {}

  /**
   * @param subfolder where the export is in the repository; "" for its root
   * @return the files to fetch, in a stable order: support files, then graphs with their data
   * @throws HubException if the export lacks config.json or a chosen graph, listing the weight
   *     types it does have
   */
  public static List<RepoFile> select(RepoListing listing, String subfolder, WeightTypes weights) {
    String prefix = subfolder.isEmpty() ? "" : subfolder + "/";
    String where = listing.repoId() + "@" + listing.commit().substring(0, 8) + (subfolder.isEmpty() ? "" : "/" + subfolder);
    if (!listing.has(prefix + "config.json")) {
      throw new HubException(where + " has no " + prefix + "config.json: not a model export"
          + (subfolder.isEmpty() ? " at its root (is it in a subfolder? use hf:ORG/REPO/SUBFOLDER)" : ""));
    }
    List<RepoFile> chosen = new ArrayList<>();
    for (String name : SUPPORT_FILES) {
      if (listing.has(prefix + name)) {
        chosen.add(listing.files().get(prefix + name));
      }
    }
    for (ModelGraph graph : ModelGraph.values()) {
      String file = prefix + weights.fileOf(graph);
      if (!listing.has(file)) {
        List<WeightType> present = available(listing, prefix);
        throw new HubException(where + " has no " + file + " (dtype " + weights.of(graph) + " of " + graph.stem() + "); "
            + (present.isEmpty()
                ? "it has no complete ONNX export in the transformers.js layout (onnx/vision_encoder, embed_tokens, decoder_model_merged)"
                : "dtypes it has: " + present.stream().map(WeightType::configName).collect(Collectors.joining(", "))));
      }
      chosen.add(listing.files().get(file));
      listing.files().values().stream()
          .filter(f -> f.path().startsWith(file) && EXTERNAL_DATA.matcher(f.path().substring(file.length())).matches())
          .sorted((a, b) -> a.path().compareTo(b.path()))
          .forEach(chosen::add);
    }
    return chosen;
  }

  /** The weight types for which the export has all three graphs. */
  public static List<WeightType> available(RepoListing listing, String prefix) {
    return Arrays.stream(WeightType.values())
        .filter(type -> Arrays.stream(ModelGraph.values()).allMatch(g -> listing.has(prefix + type.fileName(g.stem()))))
        .toList();
  }
}
