package dev.vlm.server.model.lfm2;

import dev.vlm.server.image.lfm2.Lfm2TileLayout;
import java.util.List;

/**
 * The prompt text that stands for one LFM2-VL image: the start marker, then either the single
 * tile's image tokens or, per grid tile, a {@code <|img_row_R_col_C|>} marker and its tokens,
 * followed by the thumbnail marker and tokens; then the end marker.
 *
 * @param imageToken the image placeholder token
 * @param start the image start marker
 * @param end the image end marker
 * @param thumbnail the thumbnail marker
 */
record Lfm2ImageText(String imageToken, String start, String end, String thumbnail) {
  /**
   * @param layout the image's geometry
   * @param tileTokens image tokens of each tile, grid row by row, then the thumbnail's if any
   */
  String expand(Lfm2TileLayout layout, List<Integer> tileTokens) {
    StringBuilder text = new StringBuilder(start);
    if (!layout.tiled()) {
      text.append(imageToken.repeat(tileTokens.getFirst()));
    } else {
      int tile = 0;
      for (int r = 1; r <= layout.rows(); r++) {
        for (int c = 1; c <= layout.cols(); c++) {
          text.append("<|img_row_").append(r).append("_col_").append(c).append("|>")
              .append(imageToken.repeat(tileTokens.get(tile++)));
        }
      }
      if (tile < tileTokens.size()) {
        text.append(thumbnail).append(imageToken.repeat(tileTokens.get(tile)));
      }
    }
    return text.append(end).toString();
  }
}
