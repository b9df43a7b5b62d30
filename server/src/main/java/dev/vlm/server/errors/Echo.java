package dev.vlm.server.errors;

/**
 * Bounds client-supplied text before it is repeated back in a status message: a status travels
 * in the call's trailers, which the transport limits (64 KiB by default); a description over the
 * limit makes the call never end. Stateless.
 */
public final class Echo {
  /** The most characters of one client-supplied string a message repeats. */
  public static final int MAX_ECHOED = 128;

  private Echo() {}

  /**
   * The string itself if short, else its first {@link #MAX_ECHOED} characters, an ellipsis and
   * its full length.
   *
   * @param text client-supplied text; null shows as "null"
   * @return text safe to put in a status message
   */
  public static String bounded(String text) {
    if (text == null) {
      return "null";
    }
    if (text.length() <= MAX_ECHOED) {
      return text;
    }
    // Do not cut a surrogate pair in half.
    int end = Character.isHighSurrogate(text.charAt(MAX_ECHOED - 1)) ? MAX_ECHOED - 1 : MAX_ECHOED;
    return text.substring(0, end) + "... (" + text.length() + " characters)";
  }
}
