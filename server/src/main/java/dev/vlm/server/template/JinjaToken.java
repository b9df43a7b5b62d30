package dev.vlm.server.template;

/**
 * One piece of a Jinja template as jinja2's lexer sees it: literal text, or a tag with its body
 * and its whitespace-control signs. Immutable.
 *
 * @param kind what the piece is
 * @param text the literal text, or the tag body without delimiters and signs
 * @param leftSign {@code '-'}, {@code '+'} or {@code 0} after the opening delimiter
 * @param rightSign {@code '-'}, {@code '+'} or {@code 0} before the closing delimiter
 * @param line the 1-based line of the template where the piece starts
 */
record JinjaToken(Kind kind, String text, char leftSign, char rightSign, int line) {

  /** The kinds of pieces. */
  enum Kind {
    /** Output as is. */
    TEXT,
    /** The body of a {@code {% raw %}} block: output as is, never parsed. */
    RAW,
    /** {@code {{ expression }}}. */
    VARIABLE,
    /** {@code {% statement %}}. */
    BLOCK,
    /** {@code {# comment #}}: no output, but it still controls whitespace. */
    COMMENT
  }

  static JinjaToken text(String text, int line) {
    return new JinjaToken(Kind.TEXT, text, (char) 0, (char) 0, line);
  }

  boolean isTag() {
    return kind == Kind.VARIABLE || kind == Kind.BLOCK || kind == Kind.COMMENT;
  }

  /** Block tags and comments obey trim_blocks and lstrip_blocks; expressions do not. */
  boolean isBlockLike() {
    return kind == Kind.BLOCK || kind == Kind.COMMENT;
  }

  JinjaToken withText(String newText, int newLine) {
    return new JinjaToken(kind, newText, leftSign, rightSign, newLine);
  }
}
