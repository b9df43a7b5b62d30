package dev.vlm.server.image;

import java.util.Objects;

/**
 * An image that cannot be accepted: too large, not an image, cut off, or in a format this server
 * does not read. The message names the problem (with sizes and limits) so a client can act on it;
 * {@link #reason()} lets the server choose the status code.
 */
public final class ImageException extends RuntimeException {

  /** Why an image was refused. */
  public enum Reason {
    /** The encoded bytes exceed the configured byte limit. */
    TOO_LARGE_BYTES,
    /** The header declares more pixels than the configured pixel limit. */
    TOO_MANY_PIXELS,
    /** The bytes are empty, not an image, or corrupt. */
    UNDECODABLE,
    /** The image data ends before the image is complete. */
    TRUNCATED,
    /** A recognised image format or variant that this server does not decode. */
    UNSUPPORTED
  }

  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param reason why the image was refused
   * @param message what a client should know, with sizes and limits where relevant
   */
  public ImageException(Reason reason, String message) {
    this(reason, message, null);
  }

  /**
   * Creates the exception with the decoder's own failure as cause.
   *
   * @param reason why the image was refused
   * @param message what a client should know, with sizes and limits where relevant
   * @param cause the underlying failure, or null
   */
  public ImageException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Returns why the image was refused.
   *
   * @return the reason, never null
   */
  public Reason reason() {
    return reason;
  }
}
