package dev.vlm.server.template;

import java.util.List;

/**
 * Python's {@code str.format} for the forms templates use: {@code {}}, {@code {0}} and the
 * {@code {{ }}} escapes. Format specs and named fields are refused with a clear message rather
 * than rendered wrongly. Stateless.
 */
final class PythonFormat {

  private PythonFormat() {}

  /**
   * @throws IllegalArgumentException for an unsupported field, a missing argument or a lone brace
   */
  static String format(String pattern, List<Object> args) {
    StringBuilder out = new StringBuilder(pattern.length() + 16);
    int nextAutomatic = 0;
    boolean manual = false;
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '}') {
        if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '}') {
          out.append('}');
          i++;
          continue;
        }
        throw new IllegalArgumentException("single '}' encountered in format string");
      }
      if (c != '{') {
        out.append(c);
        continue;
      }
      if (i + 1 < pattern.length() && pattern.charAt(i + 1) == '{') {
        out.append('{');
        i++;
        continue;
      }
      int close = pattern.indexOf('}', i);
      if (close < 0) {
        throw new IllegalArgumentException("single '{' encountered in format string");
      }
      String field = pattern.substring(i + 1, close);
      int index;
      if (field.isEmpty()) {
        index = nextAutomatic++;
      } else if (field.chars().allMatch(Character::isDigit)) {
        index = Integer.parseInt(field);
        manual = true;
      } else {
        throw new IllegalArgumentException("format field {" + field + "} is not supported, only {} and {N}");
      }
      if (manual && nextAutomatic > 0) {
        throw new IllegalArgumentException("cannot switch from automatic field numbering to manual field specification");
      }
      if (index >= args.size()) {
        throw new IllegalArgumentException("format string needs argument " + index + " but got " + args.size());
      }
      out.append(PythonTypes.str(args.get(index)));
      i = close;
    }
    return out.toString();
  }
}
