package dev.vlm.server.model;

import java.util.Map;

/**
 * One vision encoder input: the preprocessed pixels and any further inputs the family's encoder
 * takes by name.
 *
 * @param pixels the values of {@code pixel_values}, row-major in {@code shape}
 * @param shape the tensor shape, batch dimension included (e.g. {@code [1, 3, 336, 336]})
 * @param booleanInputs further boolean inputs by graph input name (e.g. {@code
 *     pixel_attention_mask}); empty for encoders that take only pixels
 * @param longInputs further int64 inputs by graph input name (e.g. {@code image_grid_thw},
 *     {@code spatial_shapes})
 */
public record PixelBatch(
    float[] pixels, long[] shape, Map<String, BooleanTensor> booleanInputs, Map<String, LongTensor> longInputs) {
  /** Copies the maps of further inputs. */
  public PixelBatch {
    booleanInputs = Map.copyOf(booleanInputs);
    longInputs = Map.copyOf(longInputs);
  }

  /** An input of pixels and boolean inputs. */
  public PixelBatch(float[] pixels, long[] shape, Map<String, BooleanTensor> booleanInputs) {
    this(pixels, shape, booleanInputs, Map.of());
  }

  /** An input of pixels only. */
  public PixelBatch(float[] pixels, long[] shape) {
    this(pixels, shape, Map.of(), Map.of());
  }
}
