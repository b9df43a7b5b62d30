package dev.vlm.server.template;

import java.util.Arrays;

/**
 * Rewrites the parts of a tag body that Python's jinja2 accepts and Jinjava's parser does not:
 * three-part slices ({@code messages[::-1]}, {@code text[1:9:2]}) become a call
 * {@code .__slice__(start, stop, step)} that {@link PythonMethodResolver} answers, and string
 * literals are re-spelled with only the escapes Jinjava knows ({@link PythonStringLiteral}).
 * Everything else is copied. Stateless.
 */
final class ExpressionRewriter {

  static final String SLICE_METHOD = "__slice__";

  private ExpressionRewriter() {}

  /**
   * @param body a tag body
   * @param line its line, for messages
   * @throws TemplateException for a string or bracket that is never closed
   */
  static String rewrite(String body, int line) {
    if (body.indexOf('\'') < 0 && body.indexOf('"') < 0 && body.indexOf(':') < 0) {
      return body;
    }
    StringBuilder out = new StringBuilder(body.length() + 16);
    int i = 0;
    while (i < body.length()) {
      char c = body.charAt(i);
      if (c == '\'' || c == '"') {
        int end = JinjaLexer.endOfString(body, i, line);
        out.append(PythonStringLiteral.toJinjava(body.substring(i + 1, end)));
        i = end + 1;
      } else if (c == '[') {
        int close = matchingBracket(body, i, line);
        String inside = body.substring(i + 1, close);
        int[] colons = topLevelColons(inside, line);
        if (colons.length == 2) {
          out.append('.').append(SLICE_METHOD).append('(')
              .append(slicePart(inside.substring(0, colons[0]), line)).append(", ")
              .append(slicePart(inside.substring(colons[0] + 1, colons[1]), line)).append(", ")
              .append(slicePart(inside.substring(colons[1] + 1), line)).append(')');
        } else {
          out.append('[').append(rewrite(inside, line)).append(']');
        }
        i = close + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static String slicePart(String expression, int line) {
    return expression.isBlank() ? "none" : rewrite(expression.strip(), line);
  }

  private static int matchingBracket(String body, int open, int line) {
    int depth = 0;
    for (int i = open; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c == '\'' || c == '"') {
        i = JinjaLexer.endOfString(body, i, line);
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if ((c == ')' || c == ']' || c == '}') && --depth == 0) {
        return i;
      }
    }
    throw new TemplateException("bracket [ at line " + line + " is never closed");
  }

  private static int[] topLevelColons(String inside, int line) {
    int[] found = new int[3];
    int count = 0;
    int depth = 0;
    for (int i = 0; i < inside.length() && count < 3; i++) {
      char c = inside.charAt(i);
      if (c == '\'' || c == '"') {
        i = JinjaLexer.endOfString(inside, i, line);
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      } else if (c == ':' && depth == 0) {
        found[count++] = i;
      }
    }
    return Arrays.copyOf(found, count);
  }
}
