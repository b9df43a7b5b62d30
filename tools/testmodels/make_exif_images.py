#!/usr/bin/env python3
"""Writes testdata/images/exif_*.png: PNG files whose eXIf chunk carries an EXIF orientation.

    exif_rot6_40x24.png   stored 40x24, Orientation 6 (shown rotated 90 degrees clockwise, 24x40)
    exif_mirror2_36x20.png stored 36x20, Orientation 2 (shown mirrored left to right)

Hugging Face's load_image (which Idefics2Processor applies to every image) turns them upright
with PIL's ImageOps.exif_transpose; the image processors alone do not. PNG keeps the pixels
exact, so only the orientation differs between decoders. Deterministic (no randomness).

Usage: python tools/testmodels/make_exif_images.py [--out testdata/images]
"""
import argparse
import os

import numpy as np
from PIL import Image

ORIENTATION = 0x0112


def pattern(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([255.0 * x / (w - 1), 60.0 + 150.0 * (y / (h - 1)) ** 2, 128.0 + 100.0 * np.sin(x / 4.0 + y / 7.0)],
                   axis=-1)
    img[: h // 3, : w // 4] = (250, 30, 30)  # a red block in the stored top-left corner
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write(path, h, w, orientation):
    image = Image.fromarray(pattern(h, w), "RGB")
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    image.save(path, exif=exif.tobytes(), optimize=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "testdata", "images"))
    args = parser.parse_args()
    write(os.path.join(args.out, "exif_rot6_40x24.png"), 24, 40, 6)
    write(os.path.join(args.out, "exif_mirror2_36x20.png"), 20, 36, 2)


if __name__ == "__main__":
    main()
