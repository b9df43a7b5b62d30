#!/usr/bin/env python3
"""Python-transformers goldens for the served families, on images that need resampling.

Run with the interpreter that has requirements-python.txt installed:

    python tools/reference/python_goldens.py            # rewrites testdata/goldens/python/
    python tools/reference/python_goldens.py --check    # recomputes and compares

What is Python here and what is not:

* The processors are the real ones of transformers (tokenizer, chat template, image processor
  from the fixture directory), with the PIL image backend (``backend="pil"``, the old
  ``use_fast=False``). Each fixture's preprocessor_config.json names the processor class; the
  class's backend is recorded per model in the golden file. LFM2-VL is the exception: its only
  image processor (Lfm2VlImageProcessor) is torchvision-backed, so tiny-lfm2-vl needs
  torchvision 0.28.0, whose Python code (resize, normalize on tensors) is loaded through
  torchvision_cpu.py because the mirror's wheel has a CUDA-only C++ extension; see
  requirements-python.txt. The tiling, smart resize, patching and token expansion are
  transformers' own, and so is every torchvision call.
* The fixture models are random-weight ONNX exports (tools/testmodels), so the greedy tokens come
  from running those graphs with onnxruntime on the Python processor's outputs. The way the graphs
  are driven (image features into the image-token rows, position ids, the KV cache) is the
  models' own: the modeling code's rules, restated here per family in a few lines.

Written per model: ``testdata/goldens/python/<model>.json`` (cases in the shape of the
transformers.js goldens, so the same Java loader reads them) and per preprocessed image
``testdata/goldens/python/pixels/<model>/<image>.f32.gz`` (the processor's pixel_values for that
image alone, float32 little-endian, gzip, in the layout the model's vision graph takes).
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import types

import numpy as np
import onnxruntime as ort
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torchvision_cpu  # noqa: E402  (before transformers looks for torchvision)

HAVE_TORCHVISION = torchvision_cpu.try_import_torchvision() is not None

import transformers  # noqa: E402
from PIL import Image  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "testdata", "goldens", "python")
IMG = "testdata/images/"

# Images that need resampling in every family: odd sizes, portrait and wide, grayscale, RGBA.
WIDE = IMG + "wide_50x30.png"
TALL = IMG + "tall_17x64.png"
PHOTO = IMG + "photo_200x120.png"
GRAY = IMG + "gray_48x40.png"
RGBA = IMG + "qwen_rgba_32x24.png"
ODD = IMG + "idefics_odd_64x48.png"
WIDE_2TO1 = IMG + "idefics_wide_64x32.png"


def user(*parts):
    return {"role": "user", "content": list(parts)}


def text(t):
    return {"text": t}


def image(path):
    return {"image": path}


def standard_cases(max_new_tokens=16):
    """The same requests for every family: one image of each awkward kind, then two images."""
    return [
        {"id": "wide_50x30", "messages": [user(image(WIDE), text("What is in this image?"))]},
        {"id": "tall_17x64", "messages": [user(text("Describe the picture."), image(TALL))]},
        {"id": "photo_200x120", "messages": [user(image(PHOTO), text("What do you see?"))]},
        {"id": "gray_48x40", "messages": [user(image(GRAY), text("Which colours?"))]},
        {"id": "rgba_32x24", "messages": [user(image(RGBA), text("What shapes?"))]},
        {"id": "odd_64x48", "messages": [user(image(ODD), text("Describe the colours."))]},
        {"id": "wide_64x32", "messages": [user(image(WIDE_2TO1), text("Where is the blue band?"))]},
    ], max_new_tokens


# ------------------------------------------------------------------ processors


def load_processor(model_dir, family):
    """The model's processor with the PIL image backend, built from its parts where the Auto
    class would also ask for a video processor (which needs torchvision)."""
    from transformers import AutoImageProcessor

    # LFM2-VL's processor has only the torchvision backend (see lfm2_processor).
    image_processor = None if family == "lfm2_vl" else AutoImageProcessor.from_pretrained(model_dir, backend="pil")
    # The class tokenizer_config.json names, loaded directly: AutoTokenizer would also parse
    # config.json, whose Qwen vision block (mlp_ratio 2.0) transformers 5 rejects as a float.
    tok_cfg = read_json(os.path.join(model_dir, "tokenizer_config.json"))
    tokenizer = getattr(transformers, tok_cfg["tokenizer_class"]).from_pretrained(model_dir)
    template = tokenizer.chat_template
    proc_cfg = read_json(os.path.join(model_dir, "processor_config.json"))
    extra = {k: v for k, v in proc_cfg.items() if k not in ("processor_class",)}
    if family == "llava":
        from transformers import LlavaProcessor
        # Python counts (size / patch)^2 + num_additional_image_tokens - 1 image tokens under the
        # "default" strategy (the real CLIP tower has a CLS token that the model drops). The
        # fixture's tower has no CLS token and yields all 16 patches, as the fixture's own
        # num_additional_image_tokens 0 intends for transformers.js; 1 gives Python the same 16.
        extra["num_additional_image_tokens"] = 1
        return LlavaProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=template, **extra)
    if family == "idefics3":
        from transformers import Idefics3Processor
        return Idefics3Processor(image_processor=image_processor, tokenizer=tokenizer, chat_template=template, **extra)
    if family == "smolvlm":
        from transformers.models.smolvlm import processing_smolvlm
        # The processor insists on num2words, which only words video frame counts; no video here
        # (and the package is not on this machine's mirror).
        if processing_smolvlm.num2words is None:
            processing_smolvlm.num2words = lambda n: str(n)
        SmolVLMProcessor = processing_smolvlm.SmolVLMProcessor
        return SmolVLMProcessor(
            image_processor=image_processor, tokenizer=tokenizer, video_processor=no_video_processor(),
            chat_template=template, **extra)
    if family == "lfm2_vl":
        return lfm2_processor(model_dir, tokenizer, template)
    if family in ("qwen2_vl", "qwen2_5_vl"):
        cls = transformers.Qwen2VLProcessor if family == "qwen2_vl" else transformers.Qwen2_5_VLProcessor
        return cls(image_processor=image_processor, tokenizer=tokenizer, video_processor=no_video_processor(),
                   chat_template=template, **extra)
    raise ValueError(family)


def lfm2_processor(model_dir, tokenizer, template):
    """LFM2-VL's processor. transformers 5.18 has one image processor class for it,
    Lfm2VlImageProcessor, on the torchvision backend only (the auto mapping for lfm2_vl, and the
    legacy name Lfm2VlImageProcessorFast, both resolve to it): there is no PIL variant to prefer.
    It turns the image into a uint8 tensor and resizes that with torchvision (antialiased, on the
    8-bit values), then normalizes in float32. torchvision is imported through torchvision_cpu."""
    if not HAVE_TORCHVISION:
        raise SystemExit("tiny-lfm2-vl needs torchvision==0.28.0 (requirements-python.txt): "
                         "Lfm2VlImageProcessor exists only on the torchvision backend")
    from transformers import AutoImageProcessor
    image_processor = AutoImageProcessor.from_pretrained(model_dir)
    assert image_processor.backend == "torchvision", type(image_processor)
    # processor_config.json's token names (image_token, image_start_token, ...) are read from the
    # tokenizer in transformers 5 and are not constructor arguments; they are the defaults here.
    return transformers.Lfm2VlProcessor(image_processor=image_processor, tokenizer=tokenizer, chat_template=template)


def no_video_processor():
    """A video processor object that is never called: the real ones need torchvision, which
    this machine's mirror lacks, and no case has a video."""
    # The processor checks the class against the package's top-level name, which without
    # torchvision is a placeholder class.
    stand_in = object.__new__(transformers.BaseVideoProcessor)
    stand_in.__dict__.update(num_frames=None, fps=None)  # SmolVLM's template defaults read these
    return stand_in


def hf_messages(messages):
    """API-shaped messages as the chat template takes them, and the images in order."""
    out, images = [], []
    for m in messages:
        content = []
        for part in m["content"]:
            if "text" in part:
                content.append({"type": "text", "text": part["text"]})
            else:
                content.append({"type": "image"})
                images.append(part["image"])
        out.append({"role": m["role"], "content": content})
    return out, images


def open_image(path):
    # The processor converts to RGB itself (do_convert_rgb), as it would for a user's file.
    with open(os.path.join(REPO, path), "rb") as f:
        img = Image.open(io.BytesIO(f.read()))
        img.load()
    return img


# ------------------------------------------------------------------ ONNX drivers


class Graphs:
    def __init__(self, model_dir):
        onnx_dir = os.path.join(model_dir, "onnx")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self.vision = ort.InferenceSession(os.path.join(onnx_dir, "vision_encoder.onnx"), opts)
        self.embed = ort.InferenceSession(os.path.join(onnx_dir, "embed_tokens.onnx"), opts)
        self.decoder = ort.InferenceSession(os.path.join(onnx_dir, "decoder_model_merged.onnx"), opts)
        self.cache_inputs = [i for i in self.decoder.get_inputs() if i.name.startswith("past_")]

    def embed_ids(self, ids):
        return self.embed.run(None, {"input_ids": np.asarray([ids], dtype=np.int64)})[0]

    def empty_cache(self):
        cache = {}
        for i in self.cache_inputs:
            shape = [1 if d == "batch_size" else (0 if isinstance(d, str) else d) for d in i.shape]
            cache[i.name] = np.zeros(shape, dtype=np.float32)
        return cache

    def step(self, embeds, mask_len, positions, cache):
        feeds = {"inputs_embeds": embeds, "attention_mask": np.ones((1, mask_len), dtype=np.int64)}
        names = {i.name for i in self.decoder.get_inputs()}
        if "position_ids" in names:
            feeds["position_ids"] = positions
        feeds.update(cache)
        outs = self.decoder.run(None, feeds)
        out_names = [o.name for o in self.decoder.get_outputs()]
        logits = outs[0][0, -1].astype(np.float64)
        new_cache = {}
        for name, value in zip(out_names[1:], outs[1:]):
            new_cache[name.replace("present_conv", "past_conv").replace("present", "past_key_values")] = value
        return logits, new_cache


def greedy(graphs, embeds, positions_for, max_new_tokens, eos):
    """Greedy decoding with the KV cache: positions_for(start, length) gives the decoder's ids."""
    length = embeds.shape[1]
    logits, cache = graphs.step(embeds, length, positions_for(0, length), graphs.empty_cache())
    generated, margins = [], []
    while True:
        top2 = np.argsort(-logits, kind="stable")[:2]
        token = int(top2[0])
        margins.append(float(logits[top2[0]] - logits[top2[1]]))
        generated.append(token)
        if token in eos or len(generated) == max_new_tokens:
            return generated, margins, ("stop" if token in eos else "length")
        logits, cache = graphs.step(graphs.embed_ids([token]), length + 1, positions_for(length, 1), cache)
        length += 1


def merge(embeds, ids, image_token_id, features):
    rows = np.nonzero(np.asarray(ids) == image_token_id)[0]
    if len(rows) != features.shape[0]:
        raise AssertionError(f"{len(rows)} image tokens but {features.shape[0]} feature rows")
    embeds = embeds.copy()
    embeds[0, rows] = features
    return embeds


def linear_positions(start, length):
    return np.arange(start, start + length, dtype=np.int64)[None, :]


def run_llava(graphs, inputs, config):
    ids = inputs["input_ids"][0].tolist()
    embeds = graphs.embed_ids(ids)
    if "pixel_values" in inputs:
        feats = graphs.vision.run(None, {"pixel_values": inputs["pixel_values"].numpy().astype(np.float32)})[0]
        embeds = merge(embeds, ids, config["image_token_index"], feats.reshape(-1, feats.shape[-1]))
    return embeds, linear_positions


def run_idefics3(graphs, inputs, config):
    ids = inputs["input_ids"][0].tolist()
    embeds = graphs.embed_ids(ids)
    if "pixel_values" in inputs:
        feats = graphs.vision.run(None, {
            "pixel_values": inputs["pixel_values"].numpy().astype(np.float32),
            "pixel_attention_mask": inputs["pixel_attention_mask"].numpy().astype(bool),
        })[0]
        embeds = merge(embeds, ids, config["image_token_id"], feats.reshape(-1, feats.shape[-1]))
    return embeds, linear_positions


def run_lfm2(graphs, inputs, config):
    """The image features of every tile, in order, into the image-token rows; the hybrid decoder
    takes no position ids (its conv state and KV cache carry the position)."""
    ids = inputs["input_ids"][0].tolist()
    embeds = graphs.embed_ids(ids)
    if "pixel_values" in inputs:
        feats = graphs.vision.run(None, {
            "pixel_values": inputs["pixel_values"].numpy().astype(np.float32),
            "pixel_attention_mask": inputs["pixel_attention_mask"].numpy().astype(np.int64),
            "spatial_shapes": inputs["spatial_shapes"].numpy().astype(np.int64),
        })[0]
        embeds = merge(embeds, ids, config["image_token_id"], feats)
    return embeds, linear_positions


def run_qwen(graphs, inputs, config, family):
    ids = inputs["input_ids"][0].tolist()
    embeds = graphs.embed_ids(ids)
    if "pixel_values" not in inputs:
        return embeds, lambda s, n: np.broadcast_to(linear_positions(s, n)[None], (3, 1, n)).copy()
    grid_name = graphs.vision.get_inputs()[1].name
    feats = graphs.vision.run(None, {
        "pixel_values": inputs["pixel_values"].numpy().astype(np.float32),
        grid_name: inputs["image_grid_thw"].numpy().astype(np.int64),
    })[0]
    embeds = merge(embeds, ids, config["image_token_id"], feats)
    # The model's own M-RoPE rule (get_rope_index) on a stand-in for the model object: it reads
    # only config.vision_config (merge size; Qwen2.5's tokens_per_second, used for video only)
    # and its sibling get_vision_position_ids.
    if family == "qwen2_vl":
        from transformers.models.qwen2_vl.modeling_qwen2_vl import Qwen2VLModel as M
    else:
        from transformers.models.qwen2_5_vl.modeling_qwen2_5_vl import Qwen2_5_VLModel as M
    stand_in = types.SimpleNamespace(
        config=types.SimpleNamespace(vision_config=types.SimpleNamespace(
            spatial_merge_size=config["vision_config"].get("spatial_merge_size", 2),
            tokens_per_second=config["vision_config"].get("tokens_per_second", 2))))
    stand_in.get_vision_position_ids = types.MethodType(M.get_vision_position_ids, stand_in)
    positions, delta = M.get_rope_index(
        stand_in, inputs["input_ids"], inputs["mm_token_type_ids"], image_grid_thw=inputs["image_grid_thw"])
    prefill = positions.numpy().astype(np.int64)
    delta = int(delta[0, 0])

    def positions_for(start, n):
        if start == 0:
            return prefill
        return np.broadcast_to(linear_positions(start + delta, n)[None], (3, 1, n)).copy()

    return embeds, positions_for


# ------------------------------------------------------------------ models

MODELS = {
    "tiny-llava": "llava",
    "tiny-idefics3": "idefics3",
    "tiny-smolvlm": "smolvlm",
    "tiny-qwen2-vl": "qwen2_vl",
    "tiny-qwen2.5-vl": "qwen2_5_vl",
    "tiny-lfm2-vl": "lfm2_vl",
}


def extra_cases(family):
    """Family-specific cases: several images in one prompt, text only."""
    both = [user(image(WIDE), image(TALL), text("Compare the pictures."))]
    cases = [{"id": "two_images_wide_tall", "messages": both},
             {"id": "text_only", "messages": [user(text("Say something."))]}]
    if family == "llava":
        # LlavaProcessor in Python expands every <image>; one image per prompt keeps the goldens
        # comparable with the transformers.js ones, two are checked anyway.
        pass
    return cases


def read_json(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return json.load(f)


def eos_ids(model_dir, config):
    gen = read_json(os.path.join(model_dir, "generation_config.json"))
    eos = gen.get("eos_token_id", config.get("eos_token_id", config.get("text_config", {}).get("eos_token_id")))
    return set(eos if isinstance(eos, list) else [eos])


def pixel_file(model, image_path):
    return os.path.join("pixels", model, os.path.splitext(os.path.basename(image_path))[0] + ".f32.gz")


def image_pixels(processor, family, img):
    """The processor's pixel_values for one image alone, in the vision graph's layout."""
    if family in ("qwen2_vl", "qwen2_5_vl"):
        out = processor.image_processor(images=[img], return_tensors="np")
        return out["pixel_values"].astype(np.float32), [int(x) for x in out["image_grid_thw"][0]]
    if family == "lfm2_vl":
        out = processor.image_processor(images=[[img]], return_tensors="np")
        return out["pixel_values"].astype(np.float32), {
            "rows_cols": [int(out["image_rows"][0]), int(out["image_cols"][0])],
            "spatial_shapes": out["spatial_shapes"].astype(int).tolist()}
    out = processor.image_processor(images=[img], return_tensors="np")
    pv = out["pixel_values"].astype(np.float32)
    extra = None
    if family in ("idefics3", "smolvlm"):
        extra = [int(out["rows"][0][0]), int(out["cols"][0][0])] if "rows" in out else None
    return pv, extra


def run_model(model, family, files):
    model_dir = os.path.join(REPO, "testdata", "models", model)
    config = read_json(os.path.join(model_dir, "config.json"))
    processor = load_processor(model_dir, family)
    graphs = Graphs(model_dir)
    eos = eos_ids(model_dir, config)
    cases, max_new = standard_cases()
    cases += extra_cases(family)
    results = []
    pixel_entries = {}
    for case in cases:
        messages, image_paths = hf_messages(case["messages"])
        rendered = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        images = [open_image(p) for p in image_paths]
        kwargs = {"text": [rendered], "return_tensors": "pt"}
        if images:
            kwargs["images"] = [images] if family in ("idefics3", "smolvlm", "lfm2_vl") else images
        inputs = processor(**kwargs)
        if family == "llava":
            embeds, positions = run_llava(graphs, inputs, config)
        elif family in ("idefics3", "smolvlm"):
            embeds, positions = run_idefics3(graphs, inputs, config)
        elif family == "lfm2_vl":
            embeds, positions = run_lfm2(graphs, inputs, config)
        else:
            embeds, positions = run_qwen(graphs, inputs, config, family)
        generated, margins, finish = greedy(graphs, embeds, positions, max_new, eos)
        ids = inputs["input_ids"][0].tolist()
        image_token = config.get("image_token_index", config.get("image_token_id"))
        entry = {
            "id": case["id"],
            "model": f"testdata/models/{model}",
            "messages": case["messages"],
            "max_new_tokens": max_new,
            "rendered_prompt": rendered,
            "input_ids": ids,
            "num_image_tokens": sum(1 for t in ids if t == image_token),
            "pixel_values_dims": list(inputs["pixel_values"].shape) if images else None,
            "generated_ids": generated,
            "text": processor.tokenizer.decode(generated, skip_special_tokens=True),
            "finish_reason": finish,
            "min_logit_margin": round(min(margins), 6),
            "logit_margins": [round(m, 6) for m in margins],
        }
        results.append(entry)
        for p in image_paths:
            if p in pixel_entries:
                continue
            pixels, extra = image_pixels(processor, family, open_image(p))
            rel = pixel_file(model, p)
            files[rel] = gzip_bytes(pixels.astype("<f4").tobytes())
            pixel_entries[p] = {"image": p, "file": rel, "dims": list(pixels.shape),
                                "sha256": hashlib.sha256(pixels.astype("<f4").tobytes()).hexdigest()}
            if isinstance(extra, dict):
                pixel_entries[p].update(extra)
            elif extra is not None:
                pixel_entries[p]["grid" if family.startswith("qwen") else "rows_cols"] = extra
    ip = processor.image_processor
    doc = {
        "generator": "tools/reference/python_goldens.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "onnxruntime": ort.__version__,
        "image_processor": type(ip).__name__,
        "image_processor_backend": ip.backend,
        **({"torchvision": sys.modules["torchvision"].__version__ + " (its Python code; the wheel's C++ extension "
                           "is not loaded, see tools/reference/torchvision_cpu.py)"}
           if ip.backend == "torchvision" else {}),
        "preprocessor_config_class": read_json(os.path.join(model_dir, "preprocessor_config.json")).get(
            "image_processor_type"),
        "decoding": "greedy, KV cache, batch size 1, onnxruntime on the fixture's ONNX graphs",
        "pixel_values": list(pixel_entries.values()),
        "cases": results,
    }
    files[f"{model}.json"] = (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode()


def cross_check():
    """Runs this script's drivers on the transformers.js goldens' requests whose images need no
    resampling (where both processors agree): the generated tokens must agree on the common
    prefix (the two sets of goldens use different max_new_tokens). Checks the drivers, not the
    processors."""
    global standard_cases, extra_cases
    bad = 0
    for model, family in MODELS.items():
        with open(os.path.join(REPO, "testdata", "goldens", model + ".json")) as f:
            js = json.load(f)
        cases = [c for c in js["cases"] if "messages" in c and not c.get("image_processor_overrides")
                 and c.get("model", "").endswith(model) and model + "/" + c["id"] not in JS_RESAMPLED_APART]
        standard_cases = lambda: ([{"id": c["id"], "messages": c["messages"]} for c in cases], 24)
        extra_cases = lambda family: []
        files = {}
        run_model(model, family, files)
        mine = {c["id"]: c for c in json.loads(files[model + ".json"])["cases"]}
        for c in cases:
            n = min(len(c["generated_ids"]), len(mine[c["id"]]["generated_ids"]))
            same = c["input_ids"] == mine[c["id"]]["input_ids"] and \
                c["generated_ids"][:n] == mine[c["id"]]["generated_ids"][:n]
            print(("agrees  " if same else "DIFFERS ") + model + "/" + c["id"])
            bad += 0 if same else 1
    return bad


# transformers.js cases whose images both processors resample, differently (see the README).
JS_RESAMPLED_APART = {"tiny-idefics3/wide_text_first_1x2", "tiny-idefics3/two_images_one_turn",
                      "tiny-idefics3/odd_size_resampled_2x2", "tiny-smolvlm/stretch_resampled",
                      "tiny-lfm2-vl/tiled_quadrants"}


def gzip_bytes(data):
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as g:
        g.write(data)
    return buf.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="compare with the committed files")
    parser.add_argument("--model", action="append", help="only these fixture models")
    parser.add_argument("--cross-check", action="store_true",
                        help="run the drivers on the transformers.js goldens' unresampled requests")
    args = parser.parse_args()
    if args.cross_check:
        sys.exit(1 if cross_check() else 0)
    files = {}
    for model, family in MODELS.items():
        if args.model and model not in args.model:
            continue
        run_model(model, family, files)
    bad = 0
    for rel, data in sorted(files.items()):
        path = os.path.join(OUT, rel)
        if args.check:
            with open(path, "rb") as f:
                old = f.read()
            if rel.endswith(".gz"):
                old, data = gzip.decompress(old), gzip.decompress(data)
            if old != data:
                print("differs:", rel)
                bad += 1
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
            print("wrote", os.path.relpath(path, REPO))
    if bad:
        sys.exit(1)


if __name__ == "__main__":
    main()
