#!/usr/bin/python3
"""Regenerates the PIL reference data for the Java image package tests.

Run with an interpreter that has PIL and numpy (the files were made with Debian's, PIL 9.4; the
four-channel JPEG cases with PIL 12.3, whose CMYK-to-RGB conversion is the one the Java decoder
follows), and a JDK's `java` on PATH:

    /usr/bin/python3 tools/pilref/make_reference.py

Everything is derived from a fixed seed, so a rerun rewrites the same pixels. Written to
server/src/test/resources/image/:

  inputs/    the test images (PNG of several modes and bit depths, one JPEG)
  decoded/   PIL's Image.open(...).convert("RGB") of each input, raw uint8 RGB, gzip
  resize/    PIL's Image.resize of the RGB image per filter and target size, raw uint8, gzip
  clip/      preprocessor_config.json variants, and the CLIP pipeline output per image and
             config: float32 little-endian, channels first (3*H*W), gzip
  manifest.json  lists every case with its sizes, so the Java tests need no naming rules

The CLIP pipeline mirrors Hugging Face's CLIPImageProcessor (slow, PIL based): convert to
RGB, resize (shortest edge, or exact height/width) with PIL, center crop with zero padding,
rescale in float64 then cast to float32, normalize in float32.
"""

import gzip
import io
import json
import math
import os
import struct
import subprocess
import tempfile
import zlib

import numpy as np
from PIL import Image

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "server", "src", "test", "resources", "image")

FILTERS = {
    "nearest": Image.NEAREST,
    "box": Image.BOX,
    "bilinear": Image.BILINEAR,
    "hamming": Image.HAMMING,
    "bicubic": Image.BICUBIC,
    "lanczos": Image.LANCZOS,
}

OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_STD = [0.26862954, 0.26130258, 0.27577711]


# ---------------------------------------------------------------- test images


def grid(w, h):
    y, x = np.mgrid[0:h, 0:w]
    return x.astype(np.float64), y.astype(np.float64)


def to_u8(a):
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def landscape(w, h):
    """Smooth gradients plus hard-edged shapes: compresses well, still stresses ringing."""
    x, y = grid(w, h)
    r = 255 * x / (w - 1)
    g = 255 * y / (h - 1)
    b = np.where(((x // 40) + (y // 40)) % 2 == 0, 230.0, 20.0)
    disc = (x - w * 0.6) ** 2 + (y - h * 0.4) ** 2 < (h * 0.2) ** 2
    r = np.where(disc, 255.0, r)
    g = np.where(disc, 0.0, g)
    return to_u8(np.stack([r, g, b], axis=-1))


def portrait(w, h):
    x, y = grid(w, h)
    cx, cy = w / 2, h / 2
    radial = 255 * np.sqrt((x - cx) ** 2 + (y - cy) ** 2) / math.hypot(cx, cy)
    bars = np.where((x // 7) % 3 == 0, 255.0, 0.0)
    stripes = 127.5 + 127.5 * np.sin(y / 9.0)
    return to_u8(np.stack([radial, bars, stripes], axis=-1))


def banded(rng, w, h):
    """Sinusoids, a vertical hard edge and a band of noise."""
    x, y = grid(w, h)
    r = 127.5 + 127.5 * np.sin(x / 5.0) * np.cos(y / 3.0)
    g = np.where(x < w / 3, 10.0, 245.0)
    b = 255 * (x + y) / (w + h - 2)
    img = np.stack([r, g, b], axis=-1)
    band = slice(h // 3, h // 3 + 12)
    img[band] = rng.integers(0, 256, size=img[band].shape)
    return to_u8(img)


def noise(rng, w, h, channels=3):
    return rng.integers(0, 256, size=(h, w, channels), dtype=np.uint8)


def edges(w, h):
    """One-pixel lines and saturated checkers: overshoot of bicubic/lanczos must clip."""
    x, y = grid(w, h)
    checker = ((x // 3 + y // 3) % 2) * 255.0
    img = np.stack([checker, 255.0 - checker, np.zeros_like(x)], axis=-1)
    img[:, 10] = [255, 255, 255]
    img[7, :] = [0, 0, 255]
    return to_u8(img)


def make_images(rng):
    """name -> PIL image, in a fixed order."""
    images = {}
    images["landscape_640x480"] = Image.fromarray(landscape(640, 480), "RGB")
    images["portrait_480x640"] = Image.fromarray(portrait(480, 640), "RGB")
    images["banded_333x77"] = Image.fromarray(banded(rng, 333, 77), "RGB")
    images["noise_17x64"] = Image.fromarray(noise(rng, 17, 64), "RGB")
    images["edges_50x30"] = Image.fromarray(edges(50, 30), "RGB")
    images["dot_1x1"] = Image.fromarray(np.array([[[200, 30, 90]]], dtype=np.uint8), "RGB")
    images["noise_32x32"] = Image.fromarray(noise(rng, 32, 32), "RGB")
    rgba = noise(rng, 40, 24, 4)
    rgba[..., 3] = np.tile(np.linspace(0, 255, 40).astype(np.uint8), (24, 1))
    rgba[:4, :, 3] = 0  # fully transparent pixels keep their colour under convert("RGB")
    images["rgba_40x24"] = Image.fromarray(rgba, "RGBA")
    gx, gy = grid(45, 33)
    gray = to_u8(255 * gx / 44 * 0.7 + rng.integers(0, 60, size=(33, 45)))
    images["gray_45x33"] = Image.fromarray(gray, "L")
    pal = Image.fromarray(noise(rng, 36, 20), "RGB").quantize(colors=16, method=Image.MEDIANCUT)
    images["palette_36x20"] = pal
    return images


def png_bytes(w, h, bit_depth, color_type, rows, trns=None):
    """A minimal PNG writer for layouts PIL cannot save (16-bit RGB, 2-bit gray, 16-bit tRNS)."""

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    raw = b"".join(b"\x00" + row for row in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    extra = chunk(b"tRNS", trns) if trns is not None else b""
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + extra
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_decode_only_files(rng):
    """name -> encoded bytes for modes that are only checked for decoding."""
    files = {}
    g16 = rng.integers(0, 700, size=(12, 20)).astype(np.uint16)  # most values above 255
    buf = io.BytesIO()
    Image.fromarray(g16).save(buf, "PNG")
    files["gray16_20x12.png"] = buf.getvalue()
    rgb16 = rng.integers(0, 65536, size=(7, 9, 3)).astype(">u2")
    files["rgb16_9x7.png"] = png_bytes(9, 7, 16, 2, [row.tobytes() for row in rgb16])
    la16 = rng.integers(0, 65536, size=(5, 6, 2)).astype(">u2")
    files["la16_6x5.png"] = png_bytes(6, 5, 16, 4, [row.tobytes() for row in la16])
    g2 = rng.integers(0, 256, size=(3, 2)).astype(np.uint8)  # 8 pixels of 2 bits per row
    files["gray2_8x3.png"] = png_bytes(8, 3, 2, 0, [row.tobytes() for row in g2])
    la = noise(rng, 12, 10, 2)
    buf = io.BytesIO()
    Image.fromarray(la, "LA").save(buf, "PNG")
    files["la_12x10.png"] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(noise(rng, 11, 9, 1)[..., 0] > 127).save(buf, "PNG")
    files["bilevel_11x9.png"] = buf.getvalue()
    buf = io.BytesIO()
    pal = Image.fromarray(noise(rng, 10, 6), "RGB").quantize(colors=4)
    pal.save(buf, "PNG", transparency=1, bits=2)
    files["palette2_trns_10x6.png"] = buf.getvalue()
    # JDK readers turn a tRNS colour key into an alpha channel; PIL keeps mode "I" and clips.
    g16t = (np.arange(12).reshape(3, 4) * 60).astype(">u2")
    files["gray16_trns_4x3.png"] = png_bytes(4, 3, 16, 0, [row.tobytes() for row in g16t],
                                             trns=struct.pack(">H", 300))
    buf = io.BytesIO()
    Image.fromarray(portrait(64, 48), "RGB").save(buf, "JPEG", quality=90)
    files["photo_64x48.jpg"] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(to_u8(grid(24, 16)[0] * 10), "L").save(buf, "JPEG", quality=85)
    files["gray_24x16.jpg"] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(edges(12, 9), "RGB").quantize(colors=5).save(buf, "GIF")
    files["palette_12x9.gif"] = buf.getvalue()
    buf = io.BytesIO()
    Image.fromarray(noise(rng, 13, 5), "RGB").save(buf, "BMP")
    files["noise_13x5.bmp"] = buf.getvalue()
    return files


def make_four_channel_files(rng):
    """name -> four-channel JPEGs: CMYK as PIL writes it (Adobe transform 0) and YCCK (transform
    2, as Photoshop writes CMYK), which PIL cannot write, so the JDK writes it
    (WriteYcckJpeg.java; needs `java` on PATH, JDK 11 or later)."""
    buf = io.BytesIO()
    Image.fromarray(noise(rng, 8, 8, 4), "CMYK").save(buf, "JPEG")
    with tempfile.TemporaryDirectory() as tmp:
        ycck = os.path.join(tmp, "ycck.jpg")
        subprocess.run(["java", os.path.join(os.path.dirname(__file__), "WriteYcckJpeg.java"), ycck],
                       check=True)
        with open(ycck, "rb") as f:
            return {"cmyk_8x8.jpg": buf.getvalue(), "ycck_24x16.jpg": f.read()}


# ---------------------------------------------------------------- HF CLIP semantics


def shortest_edge_size(width, height, shortest_edge):
    """get_resize_output_image_size(size=int, default_to_square=False); returns (w, h)."""
    short, long = (width, height) if width <= height else (height, width)
    new_short, new_long = shortest_edge, int(shortest_edge * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def center_crop(arr, crop_h, crop_w):
    """HF center_crop on an HWC array: floor offsets; zero padding centred with ceil."""
    h, w = arr.shape[:2]
    top = (h - crop_h) // 2
    left = (w - crop_w) // 2
    bottom, right = top + crop_h, left + crop_w
    if top >= 0 and left >= 0 and bottom <= h and right <= w:
        return arr[top:bottom, left:right]
    new_h, new_w = max(crop_h, h), max(crop_w, w)
    padded = np.zeros((new_h, new_w) + arr.shape[2:], dtype=arr.dtype)
    top_pad = math.ceil((new_h - h) / 2)
    left_pad = math.ceil((new_w - w) / 2)
    padded[top_pad:top_pad + h, left_pad:left_pad + w] = arr
    top, bottom = top + top_pad, bottom + top_pad
    left, right = left + left_pad, right + left_pad
    return padded[max(0, top):min(new_h, bottom), max(0, left):min(new_w, right)]


def size_dict(value, default_to_square):
    if isinstance(value, int):
        return {"height": value, "width": value} if default_to_square else {"shortest_edge": value}
    return value


def clip_pipeline(image, cfg):
    image = image.convert("RGB")
    if cfg.get("do_resize", True):
        size = size_dict(cfg.get("size", {"shortest_edge": 224}), default_to_square=False)
        if "shortest_edge" in size:
            target = shortest_edge_size(image.width, image.height, size["shortest_edge"])
        else:
            target = (size["width"], size["height"])
        image = image.resize(target, resample=cfg.get("resample", Image.BICUBIC), reducing_gap=None)
    arr = np.array(image)
    if cfg.get("do_center_crop", True):
        crop = size_dict(cfg.get("crop_size", 224), default_to_square=True)
        arr = center_crop(arr, crop["height"], crop["width"])
    if cfg.get("do_rescale", True):
        arr = (arr.astype(np.float64) * cfg.get("rescale_factor", 1 / 255)).astype(np.float32)
    if cfg.get("do_normalize", True):
        if arr.dtype != np.float32:
            arr = arr.astype(np.float32)
        mean = np.array(cfg.get("image_mean", OPENAI_MEAN), dtype=np.float32)
        std = np.array(cfg.get("image_std", OPENAI_STD), dtype=np.float32)
        arr = (arr - mean) / std
    return np.ascontiguousarray(arr.astype(np.float32).transpose(2, 0, 1))


CLIP_CONFIGS = {
    # OpenAI CLIP settings at a small size (the real 224 output would be 600 KB per image).
    "clip_small": {
        "do_resize": True, "size": {"shortest_edge": 40}, "resample": 3,
        "do_center_crop": True, "crop_size": {"height": 32, "width": 32},
        "do_rescale": True, "rescale_factor": 0.00392156862745098,
        "do_normalize": True, "image_mean": OPENAI_MEAN, "image_std": OPENAI_STD,
        "do_convert_rgb": True, "image_processor_type": "CLIPImageProcessor",
    },
    # A crop taller than the resized image: zero padding on top and bottom.
    "pad_crop": {
        "size": {"shortest_edge": 24}, "resample": 2,
        "crop_size": {"height": 30, "width": 20},
        "rescale_factor": 0.00392156862745098,
        "image_mean": [0.485, 0.456, 0.406], "image_std": [0.229, 0.224, 0.225],
    },
    # Exact height/width, no crop, lanczos.
    "fixed_hw": {
        "size": {"height": 28, "width": 36}, "resample": 1, "do_center_crop": False,
        "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
    },
    # Legacy integer sizes and defaults for everything not given.
    "legacy_int": {"size": 36, "crop_size": 30},
    # No resize: the crop alone decides (small images get padded), no normalisation.
    "crop_only": {"do_resize": False, "crop_size": 16, "do_normalize": False},
}

# Resize targets (width, height) per image: down and up scaling, non-uniform factors, and
# one-axis-only resizes (PIL then skips the other pass).
RESIZE_TARGETS = {
    "landscape_640x480": [(64, 48), (150, 37)],
    "portrait_480x640": [(48, 64), (30, 160)],
    "banded_333x77": [(111, 26), (333, 20), (60, 100)],
    "noise_17x64": [(34, 96), (17, 20), (5, 9)],
    "edges_50x30": [(173, 97), (7, 4), (50, 61)],
    "dot_1x1": [(5, 3), (1, 4)],
    "noise_32x32": [(24, 24), (50, 50), (32, 11)],
    "rgba_40x24": [(20, 12), (97, 13)],
    "gray_45x33": [(24, 24), (100, 70)],
    "palette_36x20": [(18, 10), (80, 45)],
}

CLIP_IMAGES = ["landscape_640x480", "portrait_480x640", "banded_333x77", "noise_17x64",
               "edges_50x30", "dot_1x1", "rgba_40x24", "palette_36x20"]


# ---------------------------------------------------------------- writing


def write(rel, data):
    path = os.path.join(OUT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def main():
    rng = np.random.default_rng(20240611)
    images = make_images(rng)
    manifest = {"decode": [], "four_channel": [], "resize": [], "clip": []}

    encoded = {}
    for name, image in images.items():
        buf = io.BytesIO()
        image.save(buf, "PNG", optimize=True)
        encoded[name + ".png"] = buf.getvalue()
    encoded.update(make_decode_only_files(rng))

    for file_name, data in encoded.items():
        write("inputs/" + file_name, data)
        rgb = Image.open(io.BytesIO(data)).convert("RGB")
        stem = file_name.rsplit(".", 1)[0]
        if rgb.width * rgb.height > 10000:
            continue  # the big RGB inputs are checked through their resize cases
        write(f"decoded/{stem}.rgb.gz", gz(np.array(rgb).tobytes()))
        manifest["decode"].append({
            "input": "inputs/" + file_name, "pil_mode": Image.open(io.BytesIO(data)).mode,
            "width": rgb.width, "height": rgb.height, "expected": f"decoded/{stem}.rgb.gz",
            "exact": not file_name.endswith(".jpg"),
        })

    for file_name, data in make_four_channel_files(rng).items():
        write("inputs/" + file_name, data)
        opened = Image.open(io.BytesIO(data))
        stem = file_name.rsplit(".", 1)[0]
        write(f"decoded/{stem}.rgb.gz", gz(np.array(opened.convert("RGB")).tobytes()))
        manifest["four_channel"].append({
            "input": "inputs/" + file_name, "pil_mode": opened.mode,
            "adobe_transform": opened.info.get("adobe_transform"),
            "width": opened.width, "height": opened.height, "expected": f"decoded/{stem}.rgb.gz",
        })

    for name, targets in RESIZE_TARGETS.items():
        rgb = Image.open(io.BytesIO(encoded[name + ".png"])).convert("RGB")
        for filter_name, code in FILTERS.items():
            for w, h in targets:
                out = rgb.resize((w, h), resample=code, reducing_gap=None)
                rel = f"resize/{name}-{filter_name}-{w}x{h}.rgb.gz"
                write(rel, gz(np.array(out).tobytes()))
                manifest["resize"].append({
                    "input": f"inputs/{name}.png", "filter": filter_name, "pil_code": int(code),
                    "width": w, "height": h, "expected": rel,
                })

    for cfg_name, cfg in CLIP_CONFIGS.items():
        write(f"clip/{cfg_name}.json", (json.dumps(cfg, indent=2) + "\n").encode())
        for name in CLIP_IMAGES:
            image = Image.open(io.BytesIO(encoded[name + ".png"]))
            chw = clip_pipeline(image, cfg)
            rel = f"clip/{name}-{cfg_name}.f32.gz"
            write(rel, gz(chw.astype("<f4").tobytes()))
            manifest["clip"].append({
                "input": f"inputs/{name}.png", "config": f"clip/{cfg_name}.json",
                "channels": chw.shape[0], "height": chw.shape[1], "width": chw.shape[2],
                "expected": rel,
            })

    write("manifest.json", (json.dumps(manifest, indent=1) + "\n").encode())
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {len(manifest['decode'])} decode, {len(manifest['resize'])} resize, "
          f"{len(manifest['clip'])} clip cases to {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
