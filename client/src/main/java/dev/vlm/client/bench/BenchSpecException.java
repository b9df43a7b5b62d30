package dev.vlm.client.bench;

/**
 * A benchmark spec or configuration that cannot be used. The message names the offending field
 * (e.g. {@code classes[1].output.min}) and says what was expected.
 */
public final class BenchSpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what is wrong, naming the field
   */
  public BenchSpecException(String message) {
    super(message);
  }

  /**
   * Creates the exception with its cause.
   *
   * @param message what is wrong, naming the field
   * @param cause the underlying failure (a parse or I/O error)
   */
  public BenchSpecException(String message, Throwable cause) {
    super(message, cause);
  }
}
