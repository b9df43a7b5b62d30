package dev.vlm.server.model.described;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vlm.server.image.ImageSize;
import dev.vlm.server.model.ModelDirectory;
import java.util.Optional;
import java.util.Set;

/**
 * How many image tokens (vision encoder output rows) one frame fills: a configured count (the
 * {@code from / default} of a {@link ConfigValue}: a resampler's latents, a Q-Former's queries,
 * {@code image_seq_len}), or, when none is configured, the frame's patch grid:
 * {@code (height / (patch_size * merge)) * (width / (patch_size * merge)) + plus}, where
 * {@code merge} is a connector's pixel-shuffle factor and {@code plus} extra rows such as a kept
 * CLS row. Immutable.
 *
 * @param configured the configured count, if the description reads one
 * @param patchGrid the patch-grid rule, if the description gives one
 */
record TokenCount(Optional<ConfigValue> configured, Optional<PatchGrid> patchGrid) {
  private static final String FIELD = "image_tokens";
  private static final Set<String> KEYS = Set.of("from", "default", "map", "patch_grid");
  private static final Set<String> GRID_KEYS = Set.of("patch_size", "merge", "plus");

  /**
   * The patch-grid rule.
   *
   * @param patchSize the vision tower's patch side
   * @param merge how many patches a side one token covers after the connector (1 for none)
   * @param plus rows beyond the patches (a CLS row kept), may be 0
   */
  record PatchGrid(ConfigValue patchSize, ConfigValue merge, ConfigValue plus) {
    int tokens(ModelDirectory dir, ImageSize frame) {
      int side = patchSize.positiveInt(dir) * merge.positiveInt(dir);
      int extra = plus.integer(dir);
      if (frame.width() % side != 0 || frame.height() % side != 0 || extra < 0) {
        throw new IllegalArgumentException("field '" + FIELD + ".patch_grid': frames of " + frame.width() + "x"
            + frame.height() + " do not split into patches of " + side + " pixels (patch_size x merge)"
            + (extra < 0 ? ", and plus is negative" : ""));
      }
      return (frame.width() / side) * (frame.height() / side) + extra;
    }
  }

  /**
   * Parses the {@code image_tokens} field: a literal count or an object.
   *
   * @throws IllegalArgumentException naming the field if it is malformed, gives neither a count
   *     nor a patch grid, or gives both a default and a patch grid
   */
  static TokenCount parse(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      throw new IllegalArgumentException("field '" + FIELD + "' is required");
    }
    if (!node.isObject()) {
      return new TokenCount(Optional.of(ConfigValue.parse(node, FIELD)), Optional.empty());
    }
    node.fieldNames().forEachRemaining(key -> {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("field '" + FIELD + "' has unknown key '" + key + "'; allowed: " + KEYS);
      }
    });
    ObjectNode count = ((ObjectNode) node).deepCopy();
    JsonNode grid = count.remove("patch_grid");
    Optional<ConfigValue> configured = count.isEmpty() ? Optional.empty() : Optional.of(ConfigValue.parse(count, FIELD));
    if (grid == null) {
      if (configured.isEmpty()) {
        throw new IllegalArgumentException("field '" + FIELD + "' needs 'from', 'default' or 'patch_grid'");
      }
      return new TokenCount(configured, Optional.empty());
    }
    if (count.has("default")) {
      throw new IllegalArgumentException(
          "field '" + FIELD + "' gives both 'default' and 'patch_grid'; the patch grid is the fallback");
    }
    return new TokenCount(configured, Optional.of(patchGrid(grid)));
  }

  private static PatchGrid patchGrid(JsonNode grid) {
    String field = FIELD + ".patch_grid";
    if (!grid.isObject() || !grid.has("patch_size")) {
      throw new IllegalArgumentException("field '" + field + "' must be an object with 'patch_size', got " + grid);
    }
    grid.fieldNames().forEachRemaining(key -> {
      if (!GRID_KEYS.contains(key)) {
        throw new IllegalArgumentException("field '" + field + "' has unknown key '" + key + "'; allowed: " + GRID_KEYS);
      }
    });
    return new PatchGrid(
        ConfigValue.parse(grid.get("patch_size"), field + ".patch_size"),
        ConfigValue.parse(grid.has("merge") ? grid.get("merge") : IntNode.valueOf(1), field + ".merge"),
        ConfigValue.parse(grid.has("plus") ? grid.get("plus") : IntNode.valueOf(0), field + ".plus"));
  }

  /** Whether the count needs frames of a fixed size (the patch-grid rule). */
  boolean needsFixedFrames() {
    return patchGrid.isPresent();
  }

  /**
   * The count for a model directory whose frames have {@code frameSize}.
   *
   * @throws IllegalArgumentException naming the field if the count is absent, not positive, or
   *     the frames do not split into whole patches
   */
  int resolve(ModelDirectory dir, Optional<ImageSize> frameSize) {
    if (configured.isPresent() && (patchGrid.isEmpty() || configured.get().isSet(dir))) {
      return configured.get().positiveInt(dir);
    }
    PatchGrid grid = patchGrid.orElseThrow();
    ImageSize frame = frameSize.orElseThrow(() -> new IllegalArgumentException(
        "field '" + FIELD + ".patch_grid' needs frames of one size, and this processor's frames vary"));
    int tokens = grid.tokens(dir, frame);
    if (tokens <= 0) {
      throw new IllegalArgumentException("field '" + FIELD + "' gives " + tokens + " tokens per frame");
    }
    return tokens;
  }
}
