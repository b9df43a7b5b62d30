package dev.vlm.server.model.idefics3;

/**
 * The text Idefics3's processor puts in place of one image: per tile a fake-token boundary, the
 * tile's {@code <row_r_col_c>} marker and its image tokens, a newline after each tile row, then
 * the global frame's {@code <global-img>} marker and image tokens, closed by a fake token. An
 * image that was not split is only the global part. Immutable and thread-safe.
 */
final class ImageTokenLayout {
  static final String FAKE_TOKEN = "<fake_token_around_image>";
  static final String GLOBAL_IMAGE = "<global-img>";

  private final String imageTokens;

  /**
   * @param imageToken the image placeholder token, such as {@code <image>}
   * @param tokensPerFrame image tokens per frame ({@code image_seq_len})
   */
  ImageTokenLayout(String imageToken, int tokensPerFrame) {
    this.imageTokens = imageToken.repeat(tokensPerFrame);
  }

  /**
   * The replacement text for an image of {@code rows x cols} tiles plus its global frame;
   * {@code rows = cols = 0} for an image that is only the global frame.
   */
  String text(int rows, int cols) {
    StringBuilder out = new StringBuilder();
    if (rows > 0) {
      for (int r = 1; r <= rows; r++) {
        for (int c = 1; c <= cols; c++) {
          out.append(FAKE_TOKEN).append("<row_").append(r).append("_col_").append(c).append('>').append(imageTokens);
        }
        out.append('\n');
      }
      out.append('\n');
    }
    return out.append(FAKE_TOKEN).append(GLOBAL_IMAGE).append(imageTokens).append(FAKE_TOKEN).toString();
  }
}
