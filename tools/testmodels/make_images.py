#!/usr/bin/python3
"""Writes small seeded synthetic PNG test images into testdata/images/.

The 32x32 images match the tiny LLaVA's image_size, so the image processor does not
resize them (transformers.js resizes with libvips, which differs from PIL; exact-size
images keep the token goldens independent of resampling). The other sizes exist for
resize/crop tests.

Usage: /usr/bin/python3 tools/testmodels/make_images.py [--out testdata/images] [--seed 1234]
"""
import argparse
import os

import numpy as np
from PIL import Image


def gradient(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    r = 255.0 * x / max(w - 1, 1)
    g = 255.0 * y / max(h - 1, 1)
    b = 255.0 * (1.0 - (x + y) / max(w + h - 2, 1))
    return np.stack([r, g, b], axis=-1)


def shapes(h, w):
    img = np.zeros((h, w, 3))
    img[:] = (235, 225, 200)
    y, x = np.mgrid[0:h, 0:w]
    circle = (x - w * 0.35) ** 2 + (y - h * 0.4) ** 2 <= (min(h, w) * 0.25) ** 2
    img[circle] = (200, 30, 40)
    square = (x >= w * 0.55) & (x < w * 0.9) & (y >= h * 0.55) & (y < h * 0.9)
    img[square] = (20, 60, 190)
    return img


def stripes(h, w):
    x = np.arange(w)
    band = (x // 4) % 3
    palette = np.array([(250, 200, 0), (0, 150, 80), (90, 0, 160)], dtype=np.float64)
    return np.broadcast_to(palette[band][None, :, :], (h, w, 3)).copy()


def checker(h, w, cell=8):
    y, x = np.mgrid[0:h, 0:w]
    on = ((x // cell) + (y // cell)) % 2 == 0
    img = np.zeros((h, w, 3))
    img[on] = (245, 245, 245)
    img[~on] = (15, 15, 15)
    return img


def noise(rng, h, w):
    return rng.integers(0, 256, size=(h, w, 3)).astype(np.float64)


def blobs(rng, h, w, count=5):
    """Smooth colour blobs plus a little noise: a stand-in for a photo."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3)) + 60.0
    for _ in range(count):
        cy, cx = rng.uniform(0, h), rng.uniform(0, w)
        radius = rng.uniform(0.15, 0.4) * min(h, w)
        colour = rng.uniform(0, 255, size=3)
        weight = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius ** 2))
        img = img * (1 - weight[..., None]) + colour * weight[..., None]
    img += rng.normal(0, 6, size=img.shape)
    return img


def to_image(arr, mode="RGB"):
    data = np.clip(np.rint(arr), 0, 255).astype(np.uint8)
    return Image.fromarray(data, mode)


def build(seed):
    rng = np.random.default_rng(seed)
    images = {
        "gradient_32.png": to_image(gradient(32, 32)),
        "shapes_32.png": to_image(shapes(32, 32)),
        "noise_32.png": to_image(noise(rng, 32, 32)),
        "stripes_32.png": to_image(stripes(32, 32)),
        "checker_32.png": to_image(checker(32, 32)),
        "wide_50x30.png": to_image(blobs(rng, 30, 50)),
        "tall_17x64.png": to_image(gradient(64, 17)),
        "photo_200x120.png": to_image(blobs(rng, 120, 200, count=8)),
    }
    gray = np.clip(np.rint(blobs(rng, 40, 48).mean(axis=-1)), 0, 255).astype(np.uint8)
    images["gray_48x40.png"] = Image.fromarray(gray, "L")
    rgba = np.concatenate([shapes(32, 32), np.full((32, 32, 1), 255.0)], axis=-1)
    rgba[:16, :, 3] = 128  # half transparent top half: alpha must be dropped, not blended
    images["rgba_32.png"] = to_image(rgba, "RGBA")
    return images


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="testdata/images")
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, image in build(args.seed).items():
        image.save(os.path.join(args.out, name), format="PNG", optimize=False)
        print(f"{name}: {image.size[0]}x{image.size[1]} {image.mode}")


if __name__ == "__main__":
    main()
