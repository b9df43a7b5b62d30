package dev.vlm.server.model.described;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A rewrite of the joined prompt text, as some processors make after putting every image's text
 * in place (Idefics2 merges the boundary tokens of adjacent images): every match of a regular
 * expression becomes the replacement, taken literally. Written {@code {"regex": "...",
 * "replacement": "..."}}. Immutable and thread-safe.
 *
 * @param pattern what to replace
 * @param replacement the literal text put in its place
 */
record PromptRewrite(Pattern pattern, String replacement) {
  private static final Set<String> KEYS = Set.of("regex", "replacement");

  /**
   * Parses one rewrite.
   *
   * @param field the rewrite's path in the description, for messages
   * @throws IllegalArgumentException naming the field if a key is missing or unknown, or the
   *     expression does not compile
   */
  static PromptRewrite parse(JsonNode node, String field) {
    if (node == null || !node.isObject() || !node.path("regex").isTextual() || !node.path("replacement").isTextual()) {
      throw new IllegalArgumentException("field '" + field + "' must be {\"regex\": text, \"replacement\": text}, got "
          + node);
    }
    node.fieldNames().forEachRemaining(key -> {
      if (!KEYS.contains(key)) {
        throw new IllegalArgumentException("field '" + field + "' has unknown key '" + key + "'; allowed: " + KEYS);
      }
    });
    try {
      return new PromptRewrite(Pattern.compile(node.get("regex").asText()), node.get("replacement").asText());
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("field '" + field + ".regex' is not a valid regular expression: "
          + e.getDescription(), e);
    }
  }

  String apply(String text) {
    return pattern.matcher(text).replaceAll(Matcher.quoteReplacement(replacement));
  }
}
