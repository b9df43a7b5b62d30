package dev.vlm.server.image;

/**
 * A {@code size} entry of {@code preprocessor_config.json} that CLIP-style processors understand:
 * either a target for the shorter side or an exact size.
 */
sealed interface ResizeTarget {

  /** Output size for an input of the given size. */
  ImageSize outputFor(int width, int height);

  /** {@code {"shortest_edge": n}}: scale the shorter side to n, keep the aspect ratio. */
  record ShortestEdge(int length) implements ResizeTarget {
    public ShortestEdge {
      if (length <= 0) {
        throw new IllegalArgumentException("shortest_edge must be positive, got " + length);
      }
    }

    @Override
    public ImageSize outputFor(int width, int height) {
      return ImageSize.shortestEdge(width, height, length);
    }
  }

  /** {@code {"height": h, "width": w}}: resize to exactly this size. */
  record Exact(ImageSize size) implements ResizeTarget {
    @Override
    public ImageSize outputFor(int width, int height) {
      return size;
    }
  }
}
