package dev.vlm.server.model.qwen;

import dev.vlm.server.image.qwen.GridThw;
import java.util.List;
import java.util.Objects;

/**
 * Qwen2-VL's multimodal rotary positions for a prompt, as Python transformers'
 * {@code get_rope_index} computes them for one unpadded sequence of images (no video).
 *
 * <p>Text counts on by one on all three rows (temporal, height, width). An image's merged tokens
 * start at the position after the text before it and spread over the rows by their frame, row and
 * column in the merged grid; text after it resumes at one past the largest position so far. The
 * prompt therefore ends below its length, and every later token's position is its cache index
 * plus {@link Prefill#ropeDelta()} on all rows. A prompt without images gets the cache indices and
 * delta 0 (Python; transformers.js 4.3.1 gets the text-only delta wrong).
 *
 * <p>As in Python, an image counts only where {@code <|vision_start|>} directly precedes an image
 * token; its tokens are found at the next image token from where the previous image ended. The
 * two generations differ only for an image grid of several frames (never a still image, whose
 * grid has one): Qwen2-VL advances the temporal row by frame, Qwen2.5-VL keeps it at the image's
 * start ({@code second_per_grid_t = 0} for images). Thread-safe: immutable.
 */
public final class MropePositions {
  private final int visionStartTokenId;
  private final int imageTokenId;
  private final int spatialMergeSize;
  private final int temporalStepPerFrame;

  private MropePositions(int visionStartTokenId, int imageTokenId, int spatialMergeSize, int temporalStepPerFrame) {
    if (spatialMergeSize <= 0) {
      throw new IllegalArgumentException("spatial_merge_size must be positive, got " + spatialMergeSize);
    }
    this.visionStartTokenId = visionStartTokenId;
    this.imageTokenId = imageTokenId;
    this.spatialMergeSize = spatialMergeSize;
    this.temporalStepPerFrame = temporalStepPerFrame;
  }

  /**
   * Qwen2-VL's positions: an image's frames advance the temporal row by one each.
   *
   * @param visionStartTokenId {@code vision_start_token_id} from config.json
   * @param imageTokenId {@code image_token_id} from config.json
   * @param spatialMergeSize {@code vision_config.spatial_merge_size}
   * @return the position computer
   * @throws IllegalArgumentException if the merge size is not positive
   */
  public static MropePositions qwen2Vl(int visionStartTokenId, int imageTokenId, int spatialMergeSize) {
    return new MropePositions(visionStartTokenId, imageTokenId, spatialMergeSize, 1);
  }

  /**
   * Qwen2.5-VL's positions: all of an image's frames share its temporal position.
   *
   * @param visionStartTokenId {@code vision_start_token_id} from config.json
   * @param imageTokenId {@code image_token_id} from config.json
   * @param spatialMergeSize {@code vision_config.spatial_merge_size}
   * @return the position computer
   * @throws IllegalArgumentException if the merge size is not positive
   */
  public static MropePositions qwen25Vl(int visionStartTokenId, int imageTokenId, int spatialMergeSize) {
    return new MropePositions(visionStartTokenId, imageTokenId, spatialMergeSize, 0);
  }

  /**
   * The prefill positions of a prompt and the offset of every later position.
   *
   * @param positionIds {@code [3][prompt length]}: temporal, height and width rows
   * @param ropeDelta what decode positions add to the cache index: {@code max + 1 - length}
   */
  public record Prefill(long[][] positionIds, long ropeDelta) {
    /** The position of the token at cache index {@code index} after the prompt, the same on all rows. */
    public long decodePosition(int index) {
      return index + ropeDelta;
    }
  }

  /**
   * Computes the positions of a prompt.
   *
   * @param inputIds the prompt's token ids, image tokens already expanded
   * @param grids the patch grids of its images, in prompt order
   * @return the positions and the rope delta
   * @throws IllegalArgumentException if the prompt's images and {@code grids} do not match in
   *     number, an image lacks its tokens, or a grid does not divide into merge blocks
   */
  public Prefill compute(int[] inputIds, List<GridThw> grids) {
    Objects.requireNonNull(inputIds, "inputIds");
    Objects.requireNonNull(grids, "grids");
    int length = inputIds.length;
    int images = 0;
    for (int i = 0; i + 1 < length; i++) {
      if (inputIds[i] == visionStartTokenId && inputIds[i + 1] == imageTokenId) {
        images++;
      }
    }
    if (images != grids.size()) {
      throw new IllegalArgumentException(
          "the prompt has " + images + " image(s) after <|vision_start|>, but " + grids.size() + " image grid(s) were given");
    }
    long[][] positions = new long[3][length];
    int written = 0;
    long next = 0; // one past the largest position so far
    int start = 0;
    for (GridThw grid : grids) {
      int end = indexOf(inputIds, imageTokenId, start);
      int t = grid.t();
      int h = grid.h() / spatialMergeSize;
      int w = grid.w() / spatialMergeSize;
      int tokens = grid.mergedTokens(spatialMergeSize);
      if (end < 0 || end + tokens > length) {
        throw new IllegalArgumentException("the prompt lacks the " + tokens + " image tokens of grid " + grid);
      }
      for (int i = start; i < end; i++) {
        fill(positions, written++, next++);
      }
      long offset = next;
      long max = offset;
      for (int i = 0; i < tokens; i++) {
        long tp = offset + (long) (i / (h * w)) * temporalStepPerFrame;
        long hp = offset + (i / w) % h;
        long wp = offset + i % w;
        positions[0][written] = tp;
        positions[1][written] = hp;
        positions[2][written] = wp;
        written++;
        max = Math.max(max, Math.max(tp, Math.max(hp, wp)));
      }
      next = max + 1;
      start = end + tokens;
    }
    for (int i = start; i < length; i++) {
      fill(positions, written++, next++);
    }
    long ropeDelta = length == 0 ? 0 : next - length;
    return new Prefill(positions, ropeDelta);
  }

  private static void fill(long[][] positions, int index, long value) {
    positions[0][index] = value;
    positions[1][index] = value;
    positions[2][index] = value;
  }

  private static int indexOf(int[] ids, int token, int from) {
    for (int i = from; i < ids.length; i++) {
      if (ids[i] == token) {
        return i;
      }
    }
    return -1;
  }
}
