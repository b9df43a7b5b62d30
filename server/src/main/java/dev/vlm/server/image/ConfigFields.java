package dev.vlm.server.image;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Objects;

/**
 * Typed, validated reads from a {@code preprocessor_config.json} object, with Hugging Face's
 * conventions for sizes ({@code get_size_dict}). Every error names the field.
 */
final class ConfigFields {
  private static final String FILE = "preprocessor_config.json";

  private final JsonNode node;

  ConfigFields(JsonNode node) {
    Objects.requireNonNull(node, "preprocessor config");
    if (!node.isObject()) {
      throw new IllegalArgumentException(FILE + " must be a JSON object, got " + node.getNodeType());
    }
    this.node = node;
  }

  boolean bool(String field, boolean fallback) {
    JsonNode value = present(field);
    if (value == null) {
      return fallback;
    }
    if (!value.isBoolean()) {
      throw invalid(field, "a boolean", value);
    }
    return value.booleanValue();
  }

  int integer(String field, int fallback) {
    JsonNode value = present(field);
    if (value == null) {
      return fallback;
    }
    if (!value.canConvertToExactIntegral() || !value.canConvertToInt()) {
      throw invalid(field, "an integer", value);
    }
    return value.intValue();
  }

  double number(String field, double fallback) {
    JsonNode value = present(field);
    if (value == null) {
      return fallback;
    }
    if (!value.isNumber()) {
      throw invalid(field, "a number", value);
    }
    return value.doubleValue();
  }

  /** A per-channel value: a list of 3 numbers, or one number for all channels. */
  double[] perChannel(String field, double[] fallback) {
    JsonNode value = present(field);
    if (value == null) {
      return fallback.clone();
    }
    if (value.isNumber()) {
      double v = value.doubleValue();
      return new double[] {v, v, v};
    }
    if (!value.isArray() || value.size() != 3) {
      throw invalid(field, "a number or a list of 3 numbers", value);
    }
    double[] values = new double[3];
    for (int i = 0; i < 3; i++) {
      if (!value.get(i).isNumber()) {
        throw invalid(field, "a number or a list of 3 numbers", value);
      }
      values[i] = value.get(i).doubleValue();
    }
    return values;
  }

  /**
   * The rescale and normalization steps: {@code do_rescale} (true) with {@code rescale_factor}
   * (1/255), {@code do_normalize} (true) with {@code image_mean} and {@code image_std}.
   *
   * @param defaultMean the processor class's mean when the file has none
   * @param defaultStd the processor class's standard deviation when the file has none
   */
  ChannelNormalizer normalizer(double[] defaultMean, double[] defaultStd) {
    double rescaleFactor = bool("do_rescale", true) ? number("rescale_factor", 1 / 255.0) : 1.0;
    return bool("do_normalize", true)
        ? new ChannelNormalizer(rescaleFactor, perChannel("image_mean", defaultMean), perChannel("image_std", defaultStd))
        : new ChannelNormalizer(rescaleFactor, new double[] {0, 0, 0}, new double[] {1, 1, 1});
  }

  /**
   * A {@code size}-like field: an integer means a square when {@code intIsSquare}, else a
   * shortest edge; a list means [height, width]; an object holds {@code shortest_edge} or
   * {@code height} and {@code width}.
   */
  ResizeTarget size(String field, ResizeTarget fallback, boolean intIsSquare) {
    JsonNode value = present(field);
    if (value == null) {
      return fallback;
    }
    try {
      if (value.isIntegralNumber()) {
        int n = value.intValue();
        return intIsSquare
            ? new ResizeTarget.Exact(new ImageSize(n, n))
            : new ResizeTarget.ShortestEdge(n);
      }
      if (value.isArray() && value.size() == 2) {
        return new ResizeTarget.Exact(
            new ImageSize(exactInt(field, value.get(1)), exactInt(field, value.get(0))));
      }
      if (value.isObject()) {
        if (value.has("shortest_edge")) {
          return new ResizeTarget.ShortestEdge(exactInt(field, value.get("shortest_edge")));
        }
        if (value.has("height") && value.has("width")) {
          return new ResizeTarget.Exact(
              new ImageSize(
                  exactInt(field, value.get("width")), exactInt(field, value.get("height"))));
        }
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(FILE + " field '" + field + "': " + e.getMessage(), e);
    }
    throw invalid(
        field,
        "an integer, [height, width], {\"shortest_edge\": n} or {\"height\": h, \"width\": w}",
        value);
  }

  private static int exactInt(String field, JsonNode value) {
    if (value == null || !value.canConvertToExactIntegral() || !value.canConvertToInt()) {
      throw invalid(field, "whole numbers", value);
    }
    return value.intValue();
  }

  private JsonNode present(String field) {
    JsonNode value = node.get(field);
    return value == null || value.isNull() ? null : value;
  }

  private static IllegalArgumentException invalid(String field, String expected, JsonNode value) {
    return new IllegalArgumentException(
        FILE + " field '" + field + "' must be " + expected + ", got " + value);
  }
}
