package dev.vlm.scheduler;

/**
 * Where one image's encoder output goes in a prompt: the positions {@code [offset,
 * offset+length)} hold image placeholder tokens whose embeddings the vision encoder replaces.
 *
 * <p>Immutable, thread-safe.
 *
 * @param offset first prompt position of the image
 * @param length number of prompt positions (= encoder output tokens) of the image
 */
public record ImageSpan(int offset, int length) {
  /**
   * Checks the span.
   *
   * @throws InvalidRequestException if {@code offset < 0} or {@code length < 1}
   */
  public ImageSpan {
    if (offset < 0) {
      throw new InvalidRequestException("image offset must be >= 0, got " + offset);
    }
    if (length < 1) {
      throw new InvalidRequestException("image length must be >= 1, got " + length);
    }
  }

  /** One past the image's last prompt position. */
  public int end() {
    return offset + length;
  }
}
