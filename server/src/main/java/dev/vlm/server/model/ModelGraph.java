package dev.vlm.server.model;

/** The three graphs of an export in the optimum / transformers.js layout, by file stem. */
public enum ModelGraph {
  VISION_ENCODER("vision_encoder"),
  EMBED_TOKENS("embed_tokens"),
  DECODER("decoder_model_merged");

  private final String stem;

  ModelGraph(String stem) {
    this.stem = stem;
  }

  /** The file stem, also the key of a per-graph dtype map in the config, e.g. {@code embed_tokens}. */
  public String stem() {
    return stem;
  }

  /**
   * The graph with this stem.
   *
   * @throws IllegalArgumentException naming the valid stems otherwise
   */
  public static ModelGraph ofStem(String stem) {
    for (ModelGraph graph : values()) {
      if (graph.stem.equals(stem)) {
        return graph;
      }
    }
    throw new IllegalArgumentException("unknown graph '" + stem + "'; graphs: vision_encoder, embed_tokens, decoder_model_merged");
  }
}
