package dev.vlm.server.template;

/**
 * A chat template could not be found, parsed or rendered. The message names the file or the
 * problem; for {@code raise_exception(...)} it is the template's own message, which usually
 * describes a conversation the model does not accept (a bad input, not a server fault).
 */
public final class TemplateException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final boolean raisedByTemplate;

  TemplateException(String message) {
    this(message, null, false);
  }

  TemplateException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private TemplateException(String message, Throwable cause, boolean raisedByTemplate) {
    super(message, cause);
    this.raisedByTemplate = raisedByTemplate;
  }

  /** The template itself rejected the conversation through {@code raise_exception(message)}. */
  static TemplateException raisedByTemplate(String message) {
    return new TemplateException(message, null, true);
  }

  /**
   * Whether the template itself rejected the conversation with {@code raise_exception}, as
   * opposed to a missing, broken or failing template. The first is a caller's mistake (for
   * example an unsupported role order), the second a problem with the model.
   *
   * @return true when the message is the template's own
   */
  public boolean isRaisedByTemplate() {
    return raisedByTemplate;
  }
}
