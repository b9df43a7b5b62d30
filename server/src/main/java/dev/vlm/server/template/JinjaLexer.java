package dev.vlm.server.template;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits a template into text and tags the way jinja2's lexer does: a tag ends at the first
 * closing delimiter outside string literals and brackets, and {@code {% raw %}} bodies are not
 * looked into. Only the boundaries are found here; bodies are parsed later by Jinjava.
 * Stateless.
 */
final class JinjaLexer {

  private static final Pattern END_RAW = Pattern.compile("\\{%([-+]?)\\s*endraw\\s*([-+]?)%\\}");
  private static final Pattern RAW_BODY = Pattern.compile("\\s*raw\\s*");

  private JinjaLexer() {}

  /**
   * @param source a template with "\n" line ends
   * @throws TemplateException for a tag or string that is never closed
   */
  static List<JinjaToken> tokenize(String source) {
    List<JinjaToken> tokens = new ArrayList<>();
    int pos = 0;
    int line = 1;
    while (pos < source.length()) {
      int start = nextTagStart(source, pos);
      if (start < 0) {
        tokens.add(JinjaToken.text(source.substring(pos), line));
        break;
      }
      if (start > pos) {
        String text = source.substring(pos, start);
        tokens.add(JinjaToken.text(text, line));
        line += newlines(text);
      }
      TagAt found = readTag(source, start, line);
      JinjaToken tag = found.token();
      tokens.add(tag);
      line += newlines(tag.text());
      pos = found.end();
      if (tag.kind() == JinjaToken.Kind.BLOCK && RAW_BODY.matcher(tag.text()).matches()) {
        Matcher endRaw = END_RAW.matcher(source);
        if (!endRaw.find(pos)) {
          throw new TemplateException("{% raw %} opened at line " + tag.line() + " is never closed by {% endraw %}");
        }
        String body = source.substring(pos, endRaw.start());
        tokens.add(new JinjaToken(JinjaToken.Kind.RAW, body, (char) 0, (char) 0, line));
        line += newlines(body);
        tokens.add(new JinjaToken(JinjaToken.Kind.BLOCK, " endraw ", sign(endRaw.group(1)), sign(endRaw.group(2)), line));
        pos = endRaw.end();
      }
    }
    return tokens;
  }

  private static int nextTagStart(String source, int from) {
    for (int i = source.indexOf('{', from); i >= 0 && i + 1 < source.length(); i = source.indexOf('{', i + 1)) {
      char next = source.charAt(i + 1);
      if (next == '{' || next == '%' || next == '#') {
        return i;
      }
    }
    return -1;
  }

  /** A tag and the index just after its closing delimiter. */
  private record TagAt(JinjaToken token, int end) {}

  private static TagAt readTag(String source, int start, int line) {
    char opener = source.charAt(start + 1);
    JinjaToken.Kind kind =
        switch (opener) {
          case '{' -> JinjaToken.Kind.VARIABLE;
          case '%' -> JinjaToken.Kind.BLOCK;
          default -> JinjaToken.Kind.COMMENT;
        };
    char closer = opener == '{' ? '}' : opener;
    int bodyStart = start + 2;
    char leftSign = 0;
    if (bodyStart < source.length() && (source.charAt(bodyStart) == '-' || source.charAt(bodyStart) == '+')) {
      leftSign = source.charAt(bodyStart);
      bodyStart++;
    }
    int close = kind == JinjaToken.Kind.COMMENT ? source.indexOf("#}", bodyStart) : findClose(source, bodyStart, closer, line);
    if (close < 0) {
      throw new TemplateException(describe(kind) + " opened at line " + line + " is never closed");
    }
    char rightSign = 0;
    int bodyEnd = close;
    if (bodyEnd > bodyStart && (source.charAt(bodyEnd - 1) == '-' || source.charAt(bodyEnd - 1) == '+')) {
      rightSign = source.charAt(bodyEnd - 1);
      bodyEnd--;
    }
    return new TagAt(new JinjaToken(kind, source.substring(bodyStart, bodyEnd), leftSign, rightSign, line), close + 2);
  }

  /** The closing delimiter counts only outside strings and at bracket depth zero. */
  private static int findClose(String source, int from, char closer, int line) {
    int depth = 0;
    for (int i = from; i < source.length(); i++) {
      char c = source.charAt(i);
      if (c == '\'' || c == '"') {
        i = endOfString(source, i, line);
      } else if (depth == 0 && c == closer && i + 1 < source.length() && source.charAt(i + 1) == '}') {
        return i;
      } else if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if ((c == ')' || c == ']' || c == '}') && depth > 0) {
        depth--;
      }
    }
    return -1;
  }

  /** The index of the quote that closes the string literal opening at {@code start}. */
  static int endOfString(String source, int start, int line) {
    char quote = source.charAt(start);
    for (int i = start + 1; i < source.length(); i++) {
      char c = source.charAt(i);
      if (c == '\\') {
        i++;
      } else if (c == quote) {
        return i;
      }
    }
    throw new TemplateException("string literal starting at line " + line + " is never closed");
  }

  private static String describe(JinjaToken.Kind kind) {
    return switch (kind) {
      case VARIABLE -> "expression {{";
      case BLOCK -> "block tag {%";
      default -> "comment {#";
    };
  }

  private static char sign(String group) {
    return group.isEmpty() ? 0 : group.charAt(0);
  }

  static int newlines(String text) {
    int count = 0;
    for (int i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      count++;
    }
    return count;
  }
}
