package dev.vlm.server.text;

/**
 * A tokenizer could not be loaded or used: a file is missing, unreadable or malformed. The
 * message names the file and the problem.
 */
public final class TokenizerException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * @param message what went wrong, naming the file involved
   */
  public TokenizerException(String message) {
    super(message);
  }

  /**
   * @param message what went wrong, naming the file involved
   * @param cause the underlying failure
   */
  public TokenizerException(String message, Throwable cause) {
    super(message, cause);
  }
}
