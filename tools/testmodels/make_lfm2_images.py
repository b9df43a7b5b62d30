#!/usr/bin/python3
"""Writes the seeded PNG test images for the tiny LFM2-VL fixture into testdata/images/lfm2_*.png.

Every size is chosen so that transformers.js's Lfm2VlImageProcessor (with the tiny fixture's
settings: 4-pixel patches, downsample 2, 32-pixel tiles, 4..16 image tokens, 2..4 tiles)
needs no resampling of the image itself:

- single-tile images already have both sides a multiple of 8 and an area inside
  [256, 1024] pixels, so the smart resize keeps them as they are;
- tiled images are exactly (tile grid) x 32 pixels, so cutting them into tiles needs no
  resize. Their thumbnail is exactly half the size in both directions, which
  transformers.js computes with ONNX Resize (linear, half_pixel, no antialias), i.e. an exact
  2x2 box average (see tools/testmodels/LFM2_VL.md).

Names are lfm2_<height>x<width>_<content>.png.

Usage: /usr/bin/python3 tools/testmodels/make_lfm2_images.py [--out testdata/images] [--seed 2024]
"""
import argparse
import os

import numpy as np
from PIL import Image


def diagonal_gradient(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255.0 * y / max(h - 1, 1)
    g = 255.0 * (1.0 - x / max(w - 1, 1))
    b = 127.0 + 120.0 * np.sin((x + y) / 5.0)
    return np.stack([r, g, b], axis=-1)


def rings(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    d = np.sqrt((y - h / 2.0) ** 2 + (x - w / 2.0) ** 2)
    band = (d // 3).astype(int) % 3
    palette = np.array([(230, 60, 50), (250, 240, 220), (40, 90, 200)], dtype=np.float64)
    return palette[band]


def quadrants(rng, h, w):
    """Four flat colour quadrants with light noise: each 32x32 tile of a 64x64 image differs."""
    img = np.zeros((h, w, 3))
    colours = [(200, 40, 40), (40, 170, 60), (30, 60, 200), (240, 210, 40)]
    for i, colour in enumerate(colours):
        r, c = divmod(i, 2)
        img[r * h // 2:(r + 1) * h // 2, c * w // 2:(c + 1) * w // 2] = colour
    return img + rng.normal(0, 8, size=img.shape)


def panorama(rng, h, w):
    """Sky over hills with a sun: a wide picture that is cut into three tiles."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    img[:] = (120, 180, 240)
    hill = h * 0.6 + 5.0 * np.sin(x / 9.0)
    img[y > hill] = (50, 140, 60)
    sun = (x - w * 0.75) ** 2 + (y - h * 0.25) ** 2 <= 25
    img[sun] = (250, 220, 60)
    return img + rng.normal(0, 4, size=img.shape)


def bars(h, w):
    x = np.arange(w)
    band = (x // 5) % 4
    palette = np.array([(250, 250, 250), (10, 10, 10), (200, 0, 120), (0, 200, 200)], dtype=np.float64)
    return np.broadcast_to(palette[band][None, :, :], (h, w, 3)).copy()


def speckle(rng, h, w):
    return rng.integers(0, 256, size=(h, w)).astype(np.float64)


def to_image(arr, mode="RGB"):
    data = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    return Image.fromarray(data, mode)


def build(seed):
    rng = np.random.default_rng(seed)
    return {
        # single tile, 6x8 patches -> 3x4 = 12 image tokens
        "lfm2_24x32_gradient.png": to_image(diagonal_gradient(24, 32)),
        # single tile, 4x10 patches -> 2x5 = 10 image tokens
        "lfm2_16x40_rings.png": to_image(rings(16, 40)),
        # single tile at the minimum area, 4x4 patches -> 4 image tokens
        "lfm2_16x16_bars.png": to_image(bars(16, 16)),
        # single tile, 2x8 patches -> 1x4 = 4 image tokens (position grid is shrunk)
        "lfm2_8x32_bars.png": to_image(bars(8, 32)),
        # grayscale, single tile, 8x6 patches -> 4x3 = 12 image tokens
        "lfm2_32x24_speckle_gray.png": to_image(speckle(rng, 32, 24), "L"),
        # 2x2 tiles of 32x32 + 32x32 thumbnail -> 4*16 + 16 = 80 image tokens
        "lfm2_64x64_quadrants.png": to_image(quadrants(rng, 64, 64)),
        # 1x3 tiles of 32x32 + 16x48 thumbnail -> 3*16 + 2*6 = 60 image tokens
        "lfm2_32x96_panorama.png": to_image(panorama(rng, 32, 96)),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="testdata/images")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, image in build(args.seed).items():
        # No timestamps or other metadata: the same seed gives byte-identical files.
        image.save(os.path.join(args.out, name), optimize=False)
        print(f"wrote {os.path.join(args.out, name)} {image.size[0]}x{image.size[1]} {image.mode}")


if __name__ == "__main__":
    main()
