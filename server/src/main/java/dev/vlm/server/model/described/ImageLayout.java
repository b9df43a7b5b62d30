package dev.vlm.server.model.described;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text that stands for one image in the prompt, as templates: {@code {tokens}} is one frame's
 * run of image tokens, {@code {row}} and {@code {col}} a tile's 1-based place in its grid.
 * <pre>
 * before
 *   single                                  (an image the processor left whole)
 * or
 *   tile(1,1) tile(1,2) ... row_end         (each row of tiles)
 *   ...
 *   grid_end global                         (the whole image after its tiles)
 * after
 * </pre>
 * Every template but {@code before}, {@code after}, {@code row_end} and {@code grid_end} holds
 * {@code {tokens}} exactly once, so each frame's tokens stay one contiguous run. Defaults:
 * {@code {tokens}} for {@code tile} and {@code global}, {@code global} for {@code single}, empty
 * for the rest. Immutable and thread-safe.
 */
record ImageLayout(
    String before, String single, String tile, String rowEnd, String gridEnd, String global, String after) {
  private static final Pattern VARIABLE = Pattern.compile("\\{([A-Za-z_]+)}");
  private static final String TOKENS = "{tokens}";
  private static final Map<String, Set<String>> VARIABLES = Map.of(
      "before", Set.of(), "after", Set.of(), "row_end", Set.of(), "grid_end", Set.of(),
      "single", Set.of("tokens"), "global", Set.of("tokens"), "tile", Set.of("tokens", "row", "col"));

  /** One run of image tokens per frame, nothing around them (LLaVA, BLIP-2). */
  static final ImageLayout PLAIN = new ImageLayout("", TOKENS, TOKENS, "", "", TOKENS, "");

  /**
   * Parses the {@code layout} object of a description; absent means {@link #PLAIN}.
   *
   * @throws IllegalArgumentException naming the field if a key is unknown, a value is not text,
   *     or a template uses an unknown variable or not exactly one {@code {tokens}}
   */
  static ImageLayout parse(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return PLAIN;
    }
    if (!node.isObject()) {
      throw new IllegalArgumentException("field 'layout' must be an object, got " + node);
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!VARIABLES.containsKey(key)) {
        throw new IllegalArgumentException("field 'layout' has unknown key '" + key + "'; allowed: "
            + VARIABLES.keySet().stream().sorted().toList());
      }
    }
    String global = template(node, "global", TOKENS);
    return new ImageLayout(
        template(node, "before", ""), template(node, "single", global), template(node, "tile", TOKENS),
        template(node, "row_end", ""), template(node, "grid_end", ""), global, template(node, "after", ""));
  }

  private static String template(JsonNode layout, String key, String fallback) {
    JsonNode value = layout.get(key);
    if (value == null) {
      return fallback;
    }
    String field = "layout." + key;
    if (!value.isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' must be text, got " + value);
    }
    String text = value.asText();
    Set<String> allowed = VARIABLES.get(key);
    Matcher m = VARIABLE.matcher(text);
    while (m.find()) {
      if (!allowed.contains(m.group(1))) {
        throw new IllegalArgumentException("field '" + field + "' uses {" + m.group(1) + "}; it may use only "
            + allowed.stream().sorted().map(v -> "{" + v + "}").toList());
      }
    }
    int runs = text.split(Pattern.quote(TOKENS), -1).length - 1;
    if (allowed.contains("tokens") && runs != 1) {
      throw new IllegalArgumentException(
          "field '" + field + "' must hold {tokens} exactly once (one run of image tokens per frame), holds it "
              + runs + " times");
    }
    return text;
  }

  /**
   * The text for one image.
   *
   * @param rows tile rows, 0 for an image left whole
   * @param cols tile columns, 0 for an image left whole
   * @param tokens one frame's run of image tokens
   */
  String text(int rows, int cols, String tokens) {
    StringBuilder out = new StringBuilder(before);
    if (rows == 0) {
      out.append(single.replace(TOKENS, tokens));
    } else {
      for (int r = 1; r <= rows; r++) {
        for (int c = 1; c <= cols; c++) {
          out.append(tile.replace("{row}", Integer.toString(r)).replace("{col}", Integer.toString(c))
              .replace(TOKENS, tokens));
        }
        out.append(rowEnd);
      }
      out.append(gridEnd).append(global.replace(TOKENS, tokens));
    }
    return out.append(after).toString();
  }
}
