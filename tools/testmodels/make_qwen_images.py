#!/usr/bin/python3
"""Writes seeded synthetic PNG test images for the Qwen2-VL / Qwen2.5-VL fixtures into testdata/images/.

Every size is a multiple of the tiny fixtures' resize factor (patch_size 4 x merge_size 2 = 8)
with width * height inside [min_pixels, max_pixels] = [256, 4096], so smart_resize keeps each
image as it is: the goldens then do not depend on the resampler (transformers.js resizes with
libvips, Python transformers with PIL). 16x16 sits exactly on min_pixels and 64x64 exactly on
max_pixels. The file name says width x height.

Usage: /usr/bin/python3 tools/testmodels/make_qwen_images.py [--out testdata/images] [--seed 2024]
"""
import argparse
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_images import blobs, checker, gradient, noise, shapes, stripes, to_image  # noqa: E402


def build(seed):
    rng = np.random.default_rng(seed)
    images = {
        "qwen_gradient_32x32.png": to_image(gradient(32, 32)),
        "qwen_shapes_48x32.png": to_image(shapes(32, 48)),
        "qwen_stripes_24x40.png": to_image(stripes(40, 24)),
        "qwen_noise_16x16.png": to_image(noise(rng, 16, 16)),
        "qwen_blobs_64x64.png": to_image(blobs(rng, 64, 64, count=6)),
        "qwen_checker_40x16.png": to_image(checker(16, 40)),
    }
    gray = np.clip(np.rint(blobs(rng, 32, 40).mean(axis=-1)), 0, 255).astype(np.uint8)
    images["qwen_gray_40x32.png"] = Image.fromarray(gray, "L")
    rgba = np.concatenate([shapes(24, 32), np.full((24, 32, 1), 255.0)], axis=-1)
    rgba[:12, :, 3] = 64  # mostly transparent top half: the processors drop alpha, they do not blend
    images["qwen_rgba_32x24.png"] = to_image(rgba, "RGBA")
    return images


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="testdata/images")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, image in build(args.seed).items():
        image.save(os.path.join(args.out, name), format="PNG", optimize=False)
        print(f"{name}: {image.size[0]}x{image.size[1]} {image.mode}")


if __name__ == "__main__":
    main()
