#!/usr/bin/python3
"""Writes the seeded test images of the Idefics3 / SmolVLM fixtures into testdata/images/idefics_*.png.

Sizes are chosen for the tiny fixtures' image processors (tiny-idefics3: size.longest_edge 64,
max_image_size 32; tiny-smolvlm: both 32), so that transformers.js never resizes them with
libvips (sharp), which differs from PIL:

    idefics_quadrants_64x64.png  RGB   2x2 tiles + global frame (tiny-idefics3)
    idefics_wide_64x32.png       RGB   1x2 tiles + global frame (tiny-idefics3)
    idefics_tall_32x64.png       L     2x1 tiles + global frame (tiny-idefics3), grayscale input
    idefics_odd_64x48.png        RGB   48 is no multiple of 32: the tile grid is made by a
                                       bilinear resize of the normalized tensor (no libvips)
    idefics_stretch_32x16.png    RGB   non-square frame for tiny-smolvlm (no splitting): stretched
                                       to 32x32 by the same bilinear tensor resize

With --compare it also prints, per image, how far transformers.js' frames (bilinear, half-pixel,
on normalized floats) lie from the Python processor's (PIL LANCZOS on uint8, then normalized),
which tools/testmodels/IDEFICS3.md quotes.

Usage: /usr/bin/python3 tools/testmodels/make_idefics_images.py [--out testdata/images] [--seed 4321] [--compare]
"""
import argparse
import math
import os

import numpy as np
from PIL import Image


def ramp(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    return np.stack([255.0 * x / (w - 1), 128.0 + 100.0 * np.sin(y / 3.0), 255.0 * y / (h - 1)], axis=-1)


def squares(h, w, cell):
    y, x = np.mgrid[0:h, 0:w]
    dark = ((x // cell) + (y // cell)) % 2 == 1
    img = np.empty((h, w, 3))
    img[:] = (230, 210, 40)
    img[dark] = (30, 40, 120)
    return img


def disc_and_bar(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.empty((h, w, 3))
    img[:] = (240, 240, 235)
    img[(x - 0.3 * w) ** 2 + (y - 0.5 * h) ** 2 <= (0.22 * min(h, w)) ** 2] = (210, 20, 30)
    img[(x >= 0.6 * w) & (x < 0.8 * w) & (y >= 0.15 * h)] = (20, 140, 60)
    return img


def speckle(rng, h, w):
    return rng.integers(0, 256, size=(h, w, 3)).astype(np.float64)


def soft_blobs(rng, h, w, count=4):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.full((h, w, 3), 90.0)
    for _ in range(count):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        radius = rng.uniform(0.2, 0.45) * min(h, w)
        weight = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius ** 2))[..., None]
        img = img * (1 - weight) + rng.uniform(0, 255, size=3) * weight
    return img + rng.normal(0, 5, size=img.shape)


def bands(h, w, width=5):
    palette = np.array([(250, 120, 0), (0, 170, 200), (120, 0, 90), (245, 245, 245)], dtype=np.float64)
    return np.broadcast_to(palette[(np.arange(w) // width) % len(palette)][None], (h, w, 3)).copy()


def rings(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = np.hypot(x - w / 2, y - h / 2)
    return 127.5 + 120.0 * np.cos(r / 2.0)


def to_image(arr, mode):
    return Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8), mode)


def build(seed):
    rng = np.random.default_rng(seed)
    quadrants = np.concatenate([
        np.concatenate([ramp(32, 32), squares(32, 32, 4)], axis=1),
        np.concatenate([disc_and_bar(32, 32), speckle(rng, 32, 32)], axis=1),
    ], axis=0)
    wide = np.concatenate([soft_blobs(rng, 32, 32), bands(32, 32)], axis=1)
    tall = np.concatenate([np.linspace(0, 255, 32)[:, None].repeat(32, axis=1), rings(32, 32)], axis=0)
    return {
        "idefics_quadrants_64x64.png": to_image(quadrants, "RGB"),
        "idefics_wide_64x32.png": to_image(wide, "RGB"),
        "idefics_tall_32x64.png": to_image(tall, "L"),
        "idefics_odd_64x48.png": to_image(soft_blobs(rng, 48, 64, count=6), "RGB"),
        "idefics_stretch_32x16.png": to_image(disc_and_bar(16, 32), "RGB"),
    }


def normalize(rgb_uint8):
    """transformers.js order: x * (1/255) in double, stored as float32; then (x - 0.5) / 0.5."""
    x = (rgb_uint8.astype(np.float64) * (1 / 255)).astype(np.float32)
    return ((x.astype(np.float64) - 0.5) / 0.5).astype(np.float32)


def bilinear_half_pixel(img, out_h, out_w):
    """onnxruntime Resize (mode linear, coordinate_transformation_mode half_pixel, no antialias),
    float32 like the kernel: src = (dst + 0.5) / (out / in) - 0.5, clamped to [0, in - 1]."""
    def axis(n_in, n_out):
        scale = np.float32(n_out) / np.float32(n_in)
        src = (np.arange(n_out, dtype=np.float32) + np.float32(0.5)) / scale - np.float32(0.5)
        src = np.clip(src, 0, n_in - 1)
        lo = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        hi = np.minimum(lo + 1, n_in - 1)
        return lo, hi, (src - lo).astype(np.float32)

    y0, y1, wy = axis(img.shape[0], out_h)
    x0, x1, wx = axis(img.shape[1], out_w)
    top = img[y0][:, x0] * (1 - wx)[None, :, None] + img[y0][:, x1] * wx[None, :, None]
    bottom = img[y1][:, x0] * (1 - wx)[None, :, None] + img[y1][:, x1] * wx[None, :, None]
    return (top * (1 - wy)[:, None, None] + bottom * wy[:, None, None]).astype(np.float32)


def pil_resize(image, out_h, out_w):
    """The Python processor's resize: PIL, resample 1 (LANCZOS), on uint8. It hands single-channel
    arrays to PIL as mode "P", which PIL always resizes with NEAREST."""
    if image.mode == "L":
        image = Image.fromarray(np.asarray(image), "P")
    return image.resize((out_w, out_h), resample=Image.LANCZOS)


def frame_chains(image, tile):
    """(label, transformers.js frame, Python frame) for each resampled frame of `image`.

    transformers.js normalizes first and resizes the float tensor; Python resizes uint8 with PIL,
    converts to RGB, then normalizes. Split path: optional resize to the tile grid, then the global
    frame from the grid-sized image. No-split path: the image squared to tile x tile.
    """
    h, w = image.size[1], image.size[0]
    js = normalize(np.asarray(image.convert("RGB")))
    grid_h, grid_w = math.ceil(h / tile) * tile, math.ceil(w / tile) * tile
    js_grid, py_grid = js, image
    chains = []
    if (grid_h, grid_w) != (h, w):
        js_grid, py_grid = bilinear_half_pixel(js, grid_h, grid_w), pil_resize(image, grid_h, grid_w)
        chains.append((f"split: grid {grid_w}x{grid_h}", js_grid, normalize(np.asarray(py_grid.convert("RGB")))))
    if (grid_h, grid_w) != (tile, tile):
        chains.append((f"split: global {tile}x{tile}", bilinear_half_pixel(js_grid, tile, tile),
                       normalize(np.asarray(pil_resize(py_grid, tile, tile).convert("RGB")))))
    if (h, w) != (tile, tile):
        chains.append((f"no split: {tile}x{tile}", bilinear_half_pixel(js, tile, tile),
                       normalize(np.asarray(pil_resize(image, tile, tile).convert("RGB")))))
    return chains


def compare(images, tile=32):
    """Prints max / mean |difference| between the two libraries' resampled frames, in normalized
    units (one grey level is 2/255 = 0.0078). Frames that are plain slices are identical."""
    print(f"{'image':28} {'frame':24} {'max |diff|':>10} {'mean |diff|':>11}")
    for name, image in images.items():
        for label, ours, theirs in frame_chains(image, tile):
            diff = np.abs(ours - theirs)
            print(f"{name:28} {label:24} {diff.max():10.4f} {diff.mean():11.4f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="testdata/images")
    parser.add_argument("--seed", type=int, default=4321)
    parser.add_argument("--compare", action="store_true",
                        help="print the transformers.js vs Python frame differences")
    args = parser.parse_args()
    images = build(args.seed)
    os.makedirs(args.out, exist_ok=True)
    for name, image in images.items():
        # optimize=False and no metadata: the PNG bytes depend only on the pixels.
        image.save(os.path.join(args.out, name), optimize=False)
    print(f"wrote {len(images)} images to {args.out}")
    if args.compare:
        compare(images)


if __name__ == "__main__":
    main()
