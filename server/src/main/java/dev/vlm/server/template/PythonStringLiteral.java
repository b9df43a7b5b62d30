package dev.vlm.server.template;

/**
 * String literals as jinja2 reads them (Python's {@code unicode_escape}: {@code \n},
 * {@code \xhh}, {@code \u2028}, {@code \N{name}}, octal; unknown escapes such as {@code \d}
 * stay as written), re-spelled for Jinjava, whose scanner knows only a few escapes and rejects
 * the rest. Stateless.
 */
final class PythonStringLiteral {

  private PythonStringLiteral() {}

  /**
   * @param body the characters between the quotes of a Python literal
   * @return a single-quoted Jinjava literal with the same value
   * @throws TemplateException for a malformed escape such as {@code \x4}
   */
  static String toJinjava(String body) {
    return encode(decode(body));
  }

  static String decode(String body) {
    StringBuilder out = new StringBuilder(body.length());
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      if (c != '\\' || i + 1 == body.length()) {
        out.append(c);
        continue;
      }
      char e = body.charAt(++i);
      switch (e) {
        case '\n' -> {}
        case '\\', '\'', '"' -> out.append(e);
        case 'a' -> out.append('\u0007');
        case 'b' -> out.append('\b');
        case 'f' -> out.append('\f');
        case 'n' -> out.append('\n');
        case 'r' -> out.append('\r');
        case 't' -> out.append('\t');
        case 'v' -> out.append('\u000b');
        case 'x' -> i = appendHex(body, i, 2, out);
        case 'u' -> i = appendHex(body, i, 4, out);
        case 'U' -> i = appendHex(body, i, 8, out);
        case 'N' -> i = appendNamed(body, i, out);
        default -> {
          if (e >= '0' && e <= '7') {
            int end = i;
            while (end < body.length() && end < i + 3 && body.charAt(end) >= '0' && body.charAt(end) <= '7') {
              end++;
            }
            out.appendCodePoint(Integer.parseInt(body.substring(i, end), 8));
            i = end - 1;
          } else {
            // Python keeps an unknown escape as the backslash and the character.
            out.append('\\').append(e);
          }
        }
      }
    }
    return out.toString();
  }

  private static int appendHex(String body, int escapeAt, int digits, StringBuilder out) {
    int start = escapeAt + 1;
    int end = start + digits;
    if (end > body.length() || !body.substring(start, end).chars().allMatch(ch -> Character.digit(ch, 16) >= 0)) {
      throw new TemplateException("string escape \\" + body.charAt(escapeAt) + " needs " + digits + " hex digits");
    }
    int codePoint = (int) Long.parseLong(body.substring(start, end), 16);
    if (!Character.isValidCodePoint(codePoint)) {
      throw new TemplateException("string escape \\" + body.substring(escapeAt, end) + " is not a character");
    }
    out.appendCodePoint(codePoint);
    return end - 1;
  }

  private static int appendNamed(String body, int escapeAt, StringBuilder out) {
    int close = body.indexOf('}', escapeAt);
    if (escapeAt + 1 >= body.length() || body.charAt(escapeAt + 1) != '{' || close < 0) {
      throw new TemplateException("string escape \\N needs a {name}");
    }
    String name = body.substring(escapeAt + 2, close);
    try {
      out.appendCodePoint(Character.codePointOf(name));
    } catch (IllegalArgumentException e) {
      throw new TemplateException("string escape \\N{" + name + "} names no character");
    }
    return close;
  }

  private static String encode(String value) {
    StringBuilder out = new StringBuilder(value.length() + 2).append('\'');
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> out.append("\\\\");
        case '\'' -> out.append("\\'");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> out.append(c);
      }
    }
    return out.append('\'').toString();
  }
}
