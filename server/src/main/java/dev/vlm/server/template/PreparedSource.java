package dev.vlm.server.template;

/**
 * Turns a Python-style Jinja template into text that Jinjava renders the same way: newlines
 * normalized, the final newline dropped, comments removed, whitespace control already applied
 * (so Jinjava runs with its own trimming off), three-part slices rewritten. Every tag stays on
 * its original line (removed newlines come back as empty comments), so Jinjava's line numbers
 * in errors are the template's. Stateless.
 */
final class PreparedSource {

  private PreparedSource() {}

  /**
   * @throws TemplateException for a tag, string or raw block that is never closed
   */
  static String prepare(String source) {
    String normalized = source.replace("\r\n", "\n").replace('\r', '\n');
    if (normalized.endsWith("\n")) {
      // jinja2 without keep_trailing_newline drops the one newline that ends the template.
      normalized = normalized.substring(0, normalized.length() - 1);
    }
    Writer writer = new Writer();
    for (JinjaToken token : WhitespaceControl.apply(JinjaLexer.tokenize(normalized))) {
      switch (token.kind()) {
        case TEXT -> writer.text(token.text(), token.line());
        case RAW -> writer.raw(token.text(), token.line());
        case VARIABLE -> writer.tag("{{ ", ExpressionRewriter.rewrite(token.text(), token.line()), " }}", token.line());
        case BLOCK -> writer.tag("{% ", ExpressionRewriter.rewrite(token.text(), token.line()), " %}", token.line());
        case COMMENT -> {}
      }
    }
    return writer.out.toString();
  }

  /** Appends pieces, keeping the output on the same line numbers as the original. */
  private static final class Writer {
    private final StringBuilder out = new StringBuilder();
    private int line = 1;

    void text(String text, int startLine) {
      if (text.isEmpty()) {
        return;
      }
      syncTo(startLine);
      if (text.endsWith("{")) {
        // A trailing "{" would join the next delimiter into "{{" or "{%"; print it instead.
        append(text.substring(0, text.length() - 1));
        out.append("{{ '{' }}");
      } else {
        append(text);
      }
    }

    /** The body of a raw block; its own raw and endraw tags come as block tokens. */
    void raw(String text, int startLine) {
      syncTo(startLine);
      append(text);
    }

    void tag(String open, String body, String close, int startLine) {
      syncTo(startLine);
      out.append(open);
      append(body);
      out.append(close);
    }

    /** Newlines lost to whitespace control or comments come back inside an empty comment. */
    private void syncTo(int startLine) {
      if (startLine > line) {
        out.append("{#").append("\n".repeat(startLine - line)).append("#}");
        line = startLine;
      }
    }

    private void append(String text) {
      out.append(text);
      line += JinjaLexer.newlines(text);
    }
  }
}
