package dev.vlm.server.errors;

/** A request field is malformed or out of range; the message names the field. */
public final class InvalidArgumentException extends VlmException {
  private final String field;

  /**
   * @param field the request field at fault, as a path such as {@code sampling.top_p}
   * @param problem what is wrong with it, readable on its own after the field name
   */
  public InvalidArgumentException(String field, String problem) {
    super(field + ": " + problem);
    this.field = field;
  }

  public InvalidArgumentException(String field, String problem, Throwable cause) {
    super(field + ": " + problem, cause);
    this.field = field;
  }

  /** The request field at fault. */
  public String field() {
    return field;
  }
}
