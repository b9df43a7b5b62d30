package dev.vlm.server.image.lfm2;

import dev.vlm.server.image.ImageException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The geometry Python transformers' {@code Lfm2VlImageProcessor} chooses for one LFM2-VL image:
 * the single-tile (or thumbnail) size from its smart resize, and a grid of tiles when the image
 * is too large for one. The arithmetic is Python's: {@code round} halves to even, sides are not
 * clamped before rounding. transformers.js rounds halves up and first grows sides shorter than
 * the factor, so it picks another size for some images (a 20-pixel side with factor 8: Python
 * 16, transformers.js 24). Where two grid ratios tie exactly in aspect, Python's order among
 * ratios of equal product follows its set hashing; here it is first occurrence (see
 * {@link #candidateRatios}). Checked in Python for min_tiles 1..5, max_tiles up to 12 and images
 * up to 199x199: the grids differ only when min_tiles = max_tiles = 4 (LFM2-VL ships 2..10).
 *
 * <p>The server refuses images more elongated than 200:1, which Python would still process
 * (into more patches than the encoder's padded input holds).
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
    if ((double) Math.max(height, width) / Math.min(height, width) > MAX_ASPECT_RATIO) {
      throw new ImageException(ImageException.Reason.UNDECODABLE,
          "image aspect ratio must be below " + (int) MAX_ASPECT_RATIO + ", got " + width + "x" + height);
    }
    int factor = settings.totalFactor();
    int f2 = factor * factor;
    int[] size = smartResize(height, width, factor, settings.minImageTokens() * f2, settings.maxImageTokens() * f2);
    int newHeight = size[0];
    int newWidth = size[1];
    boolean splitting = settings.splitting() && !(settings.minTiles() == 1 && settings.maxTiles() == 1);
    if (!splitting || !tooLarge(height, width, settings)) {
      return new Lfm2TileLayout(newHeight, newWidth, 1, 1);
    }
    int[] grid = closestGrid(height, width, settings);
    return new Lfm2TileLayout(newHeight, newWidth, grid[1], grid[0]);
  }

  /**
   * Python's smart resize: sides multiples of {@code factor} (at least one factor), the area
   * scaled into the pixel bounds at the image's aspect ratio.
   */
  static int[] smartResize(int height, int width, int factor, int minPixels, int maxPixels) {
    long hBar = Math.max(factor, roundByFactor(height, factor));
    long wBar = Math.max(factor, roundByFactor(width, factor));
    if (hBar * wBar > maxPixels) {
      double beta = Math.sqrt((double) height * width / maxPixels);
      hBar = Math.max(factor, (long) Math.floor(height / beta / factor) * factor);
      wBar = Math.max(factor, (long) Math.floor(width / beta / factor) * factor);
    } else if (hBar * wBar < minPixels) {
      double beta = Math.sqrt(minPixels / ((double) height * width));
      hBar = (long) Math.ceil(height * beta / factor) * factor;
      wBar = (long) Math.ceil(width * beta / factor) * factor;
    }
    return new int[] {(int) hBar, (int) wBar};
  }

  /** Python's {@code round(value / factor) * factor}: the nearest multiple, halves to even. */
  private static long roundByFactor(int value, int factor) {
    return (long) Math.rint((double) value / factor) * factor;
  }

  private static boolean tooLarge(int height, int width, Lfm2TileSettings settings) {
    int factor = settings.totalFactor();
    long hBar = Math.max(settings.patchSize(), roundByFactor(height, factor));
    long wBar = Math.max(settings.patchSize(), roundByFactor(width, factor));
    return hBar * wBar > settings.maxImageTokens() * (double) factor * factor * settings.maxPixelsTolerance();
  }

  /** The (cols, rows) ratio closest to the image's aspect, candidates in {@link #candidateRatios} order. */
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

  /**
   * Every (w, h) with a product in range, first occurrence order, stably sorted by product.
   * Python sorts a set of the same ratios by product, so among equal products its order may
   * differ; that changes the choice only on an exact tie in aspect distance.
   */
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
