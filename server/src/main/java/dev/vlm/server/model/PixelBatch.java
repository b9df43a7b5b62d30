package dev.vlm.server.model;

/**
 * One preprocessed image, ready for the vision encoder.
 *
 * @param pixels the values, row-major in {@code shape}
 * @param shape the tensor shape, batch dimension included (e.g. {@code [1, 3, 336, 336]})
 */
public record PixelBatch(float[] pixels, long[] shape) {}
