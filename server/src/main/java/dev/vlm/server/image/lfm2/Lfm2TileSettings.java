package dev.vlm.server.image.lfm2;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The tiling settings of an LFM2-VL image processor ({@code preprocessor_config.json}), with the
 * defaults transformers.js applies to absent fields.
 *
 * @param patchSize encoder patch side in pixels
 * @param downsampleFactor pixel-unshuffle factor of the projector
 * @param tileSize side of a square tile in pixels
 * @param minTiles fewest tiles of a split image
 * @param maxTiles most tiles of a split image
 * @param useThumbnail whether a split image also gets a whole-image thumbnail
 * @param splitting whether large images are split at all
 * @param minImageTokens fewest tokens of a single-tile image or thumbnail
 * @param maxImageTokens most tokens of a single-tile image or thumbnail
 * @param maxPixelsTolerance how far past {@code maxImageTokens} an image may go before it is split
 */
public record Lfm2TileSettings(
    int patchSize, int downsampleFactor, int tileSize, int minTiles, int maxTiles, boolean useThumbnail,
    boolean splitting, int minImageTokens, int maxImageTokens, double maxPixelsTolerance) {
  /**
   * Checks the settings.
   *
   * @throws IllegalArgumentException if a size is not positive, the tile is not a whole number
   *     of patches, or the tile counts are out of order
   */
  public Lfm2TileSettings {
    if (patchSize <= 0 || downsampleFactor <= 0 || tileSize <= 0 || minImageTokens <= 0
        || maxImageTokens < minImageTokens || minTiles <= 0 || maxTiles < minTiles) {
      throw new IllegalArgumentException("LFM2-VL tiling settings out of range: " + this);
    }
    if (tileSize % patchSize != 0) {
      throw new IllegalArgumentException(
          "tile_size " + tileSize + " is not a multiple of encoder_patch_size " + patchSize);
    }
  }

  /**
   * Reads the settings.
   *
   * @param config the parsed {@code preprocessor_config.json}
   * @return the settings
   * @throws IllegalArgumentException if a value is invalid
   */
  public static Lfm2TileSettings fromConfig(JsonNode config) {
    JsonNode patch = config.has("encoder_patch_size") ? config.get("encoder_patch_size") : config.path("patch_size");
    return new Lfm2TileSettings(
        patch.asInt(16),
        config.path("downsample_factor").asInt(2),
        config.path("tile_size").asInt(512),
        config.path("min_tiles").asInt(2),
        config.path("max_tiles").asInt(10),
        config.path("use_thumbnail").asBoolean(true),
        config.path("do_image_splitting").asBoolean(true),
        config.path("min_image_tokens").asInt(64),
        config.path("max_image_tokens").asInt(256),
        config.path("max_pixels_tolerance").asDouble(2.0));
  }

  /** Pixels per image token along one side: patch size times downsample factor. */
  public int totalFactor() {
    return patchSize * downsampleFactor;
  }

  /** Patch rows every tile is padded to: enough for the largest thumbnail and for a tile. */
  public int maxNumPatches() {
    int thumbnail = maxImageTokens * downsampleFactor * downsampleFactor;
    int tile = splitting ? (tileSize / patchSize) * (tileSize / patchSize) : 0;
    return Math.max(thumbnail, tile);
  }

  /** Image tokens of a tile {@code height x width} pixels: one per downsampled patch. */
  public int tokens(int height, int width) {
    return downsampled(height) * downsampled(width);
  }

  private int downsampled(int side) {
    return Math.ceilDiv(side / patchSize, downsampleFactor);
  }
}
