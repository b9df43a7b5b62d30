package dev.vlm.server.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Applies jinja2's whitespace rules to lexed tokens, as transformers configures them
 * ({@code trim_blocks=True}, {@code lstrip_blocks=True}): {@code -} strips all whitespace on its
 * side, {@code +} keeps it, a block or comment tag drops the one newline that follows it and the
 * spaces before it when it starts a line. Doing this here, rather than through Jinjava's own
 * options, keeps jinja2's exact behaviour for comments and {@code {{-}}. Stateless.
 */
final class WhitespaceControl {

  private WhitespaceControl() {}

  static List<JinjaToken> apply(List<JinjaToken> tokens) {
    List<JinjaToken> out = new ArrayList<>(tokens);
    // Whether the text after the previous tag begins a line; jinja2 tracks the same.
    boolean lineStarting = true;
    for (int i = 0; i < out.size(); i++) {
      JinjaToken token = out.get(i);
      if (!token.isTag()) {
        continue;
      }
      if (i > 0 && isText(out.get(i - 1))) {
        out.set(i - 1, stripBefore(out.get(i - 1), token, lineStarting));
      }
      lineStarting = false;
      if (i + 1 < out.size() && isText(out.get(i + 1))) {
        JinjaToken next = out.get(i + 1);
        String text = next.text();
        String kept = text;
        if (token.rightSign() == '-') {
          kept = PythonStringMethods.strip(text, null, true, false);
        } else if (token.isBlockLike() && token.rightSign() != '+' && next.kind() == JinjaToken.Kind.TEXT && text.startsWith("\n")) {
          // trim_blocks; jinja2 does not apply it to the body of {% raw %}.
          kept = text.substring(1);
        }
        String removed = text.substring(0, text.length() - kept.length());
        lineStarting = removed.endsWith("\n");
        out.set(i + 1, next.withText(kept, next.line() + JinjaLexer.newlines(removed)));
      }
    }
    return out;
  }

  private static JinjaToken stripBefore(JinjaToken text, JinjaToken tag, boolean lineStarting) {
    String value = text.text();
    if (tag.leftSign() == '-') {
      return text.withText(PythonStringMethods.strip(value, null, false, true), text.line());
    }
    if (tag.leftSign() == '+' || !tag.isBlockLike()) {
      return text;
    }
    int lineStart = value.lastIndexOf('\n') + 1;
    if ((lineStart > 0 || lineStarting) && lineStart < value.length() && isBlank(value, lineStart)) {
      return text.withText(value.substring(0, lineStart), text.line());
    }
    return text;
  }

  private static boolean isBlank(String value, int from) {
    for (int i = from; i < value.length(); i++) {
      if (!PythonStringMethods.isSpace(value.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isText(JinjaToken token) {
    return token.kind() == JinjaToken.Kind.TEXT || token.kind() == JinjaToken.Kind.RAW;
  }
}
