package dev.vlm.server.image.lfm2;

import dev.vlm.server.image.ImageException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The geometry transformers.js chooses for one LFM2-VL image: the single-tile (or thumbnail)
 * size from Qwen's smart resize, and a grid of tiles when the image is too large for one.
 * The arithmetic follows transformers.js (JavaScript doubles, {@code Math.round} with halves up),
 * which the goldens come from; Python rounds halves to even and may pick another size.
 *
 * @param resizedHeight height of the single tile, or of the thumbnail of a grid
 * @param resizedWidth width of the single tile, or of the thumbnail of a grid
 * @param rows tile rows (1 for a single tile)
 * @param cols tile columns (1 for a single tile)
 */
public record Lfm2TileLayout(int resizedHeight, int resizedWidth, int rows, int cols) {
  private static final double MAX_ASPECT_RATIO = 200;

  /** Whether the image is cut into a grid of tiles (then a thumbnail may follow the tiles). */
  public boolean tiled() {
    return rows > 1 || cols > 1;
  }

  /**
   * Chooses the layout for an image.
   *
   * @param height image height in pixels
   * @param width image width in pixels
   * @param settings the processor's settings
   * @return the layout
   * @throws ImageException if the image is so elongated that smart resize refuses it
   */
  public static Lfm2TileLayout choose(int height, int width, Lfm2TileSettings settings) {
    int factor = settings.totalFactor();
    int f2 = factor * factor;
    int[] size = smartResize(Math.max(factor, height), Math.max(factor, width), factor,
        settings.minImageTokens() * f2, settings.maxImageTokens() * f2);
    int newHeight = Math.max(factor, size[0]);
    int newWidth = Math.max(factor, size[1]);
    boolean splitting = settings.splitting() && !(settings.minTiles() == 1 && settings.maxTiles() == 1);
    if (!splitting || !tooLarge(height, width, settings)) {
      return new Lfm2TileLayout(newHeight, newWidth, 1, 1);
    }
    int[] grid = closestGrid(height, width, settings);
    return new Lfm2TileLayout(newHeight, newWidth, grid[1], grid[0]);
  }

  /** Qwen's smart resize: sides multiples of {@code factor}, area within the pixel bounds. */
  static int[] smartResize(int height, int width, int factor, int minPixels, int maxPixels) {
    double h = height;
    double w = width;
    if (h < factor || w < factor) {
      double scale = Math.max(factor / h, factor / w);
      h = Math.round(h * scale);
      w = Math.round(w * scale);
    }
    if (Math.max(h, w) / Math.min(h, w) > MAX_ASPECT_RATIO) {
      throw new ImageException(ImageException.Reason.UNDECODABLE,
          "image aspect ratio must be below " + (int) MAX_ASPECT_RATIO + ", got " + width + "x" + height);
    }
    long hBar = Math.round(h / factor) * (long) factor;
    long wBar = Math.round(w / factor) * (long) factor;
    if (hBar * wBar > maxPixels) {
      double beta = Math.sqrt(h * w / maxPixels);
      hBar = Math.max(factor, (long) Math.floor(h / beta / factor) * factor);
      wBar = Math.max(factor, (long) Math.floor(w / beta / factor) * factor);
    } else if (hBar * wBar < minPixels) {
      double beta = Math.sqrt(minPixels / (h * w));
      hBar = (long) Math.ceil(h * beta / factor) * factor;
      wBar = (long) Math.ceil(w * beta / factor) * factor;
    }
    return new int[] {(int) hBar, (int) wBar};
  }

  private static boolean tooLarge(int height, int width, Lfm2TileSettings settings) {
    int factor = settings.totalFactor();
    double hBar = Math.max(settings.patchSize(), Math.round((double) height / factor) * (double) factor);
    double wBar = Math.max(settings.patchSize(), Math.round((double) width / factor) * (double) factor);
    return hBar * wBar > settings.maxImageTokens() * (double) factor * factor * settings.maxPixelsTolerance();
  }

  /** The (cols, rows) ratio closest to the image's aspect, in transformers.js's candidate order. */
  private static int[] closestGrid(int height, int width, Lfm2TileSettings settings) {
    double aspect = (double) width / height;
    double area = (double) width * height;
    double tile = settings.tileSize();
    double bestDiff = Double.POSITIVE_INFINITY;
    int[] best = {1, 1};
    for (int[] ratio : candidateRatios(settings.minTiles(), settings.maxTiles())) {
      double diff = Math.abs(aspect - (double) ratio[0] / ratio[1]);
      if (diff < bestDiff) {
        bestDiff = diff;
        best = ratio;
      } else if (diff == bestDiff && area > 0.5 * tile * tile * ratio[0] * ratio[1]) {
        best = ratio;
      }
    }
    return best;
  }

  /** Every (w, h) with a product in range, first occurrence order, stably sorted by product. */
  private static List<int[]> candidateRatios(int minTiles, int maxTiles) {
    List<int[]> ratios = new ArrayList<>();
    Set<Long> seen = new HashSet<>();
    for (int n = minTiles; n <= maxTiles; n++) {
      for (int w = 1; w <= n; w++) {
        for (int h = 1; h <= n; h++) {
          int product = w * h;
          if (product >= minTiles && product <= maxTiles && seen.add(((long) w << 32) | h)) {
            ratios.add(new int[] {w, h});
          }
        }
      }
    }
    ratios.sort(Comparator.comparingInt(r -> r[0] * r[1]));
    return ratios;
  }
}
