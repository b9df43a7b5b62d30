#!/usr/bin/env python3
"""Builds a tiny random Idefics2 with the real transformers classes, exports it to the
optimum / transformers.js ONNX layout, and records Python goldens from the real model.

Run with the Python reference environment (tools/reference/requirements-python.txt):

    python tools/testmodels/generate_idefics2.py            # writes the fixture and the goldens
    python tools/testmodels/generate_idefics2.py --check    # recomputes the goldens and compares
    python tools/testmodels/generate_idefics2.py --goldens-only   # rewrites the goldens only

Writes testdata/models/tiny-idefics2/ (config.json, generation_config.json,
preprocessor_config.json, processor_config.json, tokenizer.json, tokenizer_config.json,
model.safetensors with the torch weights, onnx/vision_encoder.onnx, onnx/embed_tokens.onnx,
onnx/decoder_model_merged.onnx + .onnx_data) and testdata/goldens/python/tiny-idefics2.json.

The model is ``Idefics2ForConditionalGeneration`` from a tiny random config (SigLIP-style vision
tower, MLP modality projection + perceiver resampler giving ``resampler_n_latents`` tokens per
frame, Mistral decoder); the processor is ``Idefics2Processor`` with ``Idefics2ImageProcessorPil``
(image splitting on: four quarter crops plus the whole image, each resized within
shortest_edge..longest_edge). The tokenizer files are tiny-idefics3's (same special tokens:
``<fake_token_around_image>``, ``<image>``, ``<end_of_utterance>``) with Idefics2's chat template.

Goldens are greedy tokens from ``model.generate`` with and without the KV cache (they must agree),
and again from the exported graphs run by onnxruntime on the same processor outputs, one frame per
vision call as the server runs them (they must agree too).

What the export contains (see docs/MODELS.md): vision_encoder = the vision tower with its
position-id bucketing written as comparisons (``torch.bucketize`` has no ONNX form; the values are
the same, checked below), post layer norm and the connector, for unpadded frames: pixel_values
[batch, frames, 3, H, W] with any H, W and no pixel_attention_mask (every patch is real; a padded
batch of frames is not what this graph takes, the server sends one frame per call). embed_tokens = the
Mistral embedding. decoder_model_merged = the Mistral decoder with lm_head, written by the
fixtures' own Llama module (llava_modules.Decoder, the same architecture) loaded with the real
model's weights.
"""
import argparse
import io
import json
import os
import shutil
import sys

import numpy as np
import onnxruntime as ort
import torch
import transformers
from transformers.image_utils import load_image
from PIL import Image
from transformers.models.idefics2 import modeling_idefics2
from safetensors.torch import save_file

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from llava_modules import Decoder, TextConfig  # noqa: E402
from onnx_export import concat_decoder_io, export  # noqa: E402

OUT = os.path.join(REPO, "testdata", "models", "tiny-idefics2")
GOLDEN = os.path.join(REPO, "testdata", "goldens", "python", "tiny-idefics2.json")
TOKENIZER_FROM = os.path.join(REPO, "testdata", "models", "tiny-idefics3")
SEED = 7
VOCAB = 768
IMAGE_TOKEN = 766
FAKE_TOKEN = 765
END_OF_UTTERANCE = 767
LATENTS = 8

# Idefics2's chat template structure: "Role:" directly before a turn that opens with an image,
# "Role: " otherwise, the parts in order with images as "<image>", each turn closed by
# "<end_of_utterance>\n", the generation prompt "Assistant:".
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ message['role'].capitalize() }}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for line in message['content'] %}"
    "{% if line['type'] == 'text' %}{{ line['text'] }}"
    "{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}"
    "{% endfor %}<end_of_utterance>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)

PREPROCESSOR = {
    "image_processor_type": "Idefics2ImageProcessor",
    "processor_class": "Idefics2Processor",
    "do_convert_rgb": True,
    "do_resize": True,
    "size": {"shortest_edge": 12, "longest_edge": 32},
    "resample": 2,
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": True,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "do_pad": True,
    "do_image_splitting": True,
}

IMG = "testdata/images/"


def config():
    return transformers.Idefics2Config(
        vision_config={
            "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
            "image_size": 32, "patch_size": 4, "num_channels": 3, "hidden_act": "gelu_pytorch_tanh",
        },
        perceiver_config={
            "hidden_act": "silu", "hidden_size": 64, "rms_norm_eps": 1e-5, "resampler_n_latents": LATENTS,
            "resampler_depth": 2,
            "resampler_n_heads": 2, "resampler_head_dim": 16, "num_key_value_heads": 1,
        },
        text_config={
            "model_type": "mistral", "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
            "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": VOCAB,
            "max_position_embeddings": 4096, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
            "sliding_window": None, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": 0,
            "tie_word_embeddings": False,
        },
        image_token_id=IMAGE_TOKEN,
        tie_word_embeddings=False,
    )


def build_model():
    torch.manual_seed(SEED)
    cfg = config()
    cfg._attn_implementation = "eager"
    model = transformers.Idefics2ForConditionalGeneration(cfg).eval()
    # Random init gives logits with std ~0.1; widen the weights so greedy choices have margins.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.08 if "embed" not in name else 0.5)
        model.lm_head.weight.normal_(0.0, 0.25)
        # Make the end-of-utterance token likelier, so some cases end with it.
        model.lm_head.weight[END_OF_UTTERANCE] *= 1.5
    return model


# ------------------------------------------------------------------ fixture files


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def write_fixture(model):
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    cfg = model.config.to_dict()
    cfg["architectures"] = ["Idefics2ForConditionalGeneration"]
    for key in ("_attn_implementation_autoset", "transformers_version", "_name_or_path", "dtype", "torch_dtype"):
        cfg.pop(key, None)
    write_json(os.path.join(OUT, "config.json"), cfg)
    write_json(os.path.join(OUT, "generation_config.json"),
               {"bos_token_id": 1, "eos_token_id": [2, END_OF_UTTERANCE], "pad_token_id": 0})
    write_json(os.path.join(OUT, "preprocessor_config.json"), PREPROCESSOR)
    write_json(os.path.join(OUT, "processor_config.json"),
               {"processor_class": "Idefics2Processor", "image_seq_len": LATENTS})
    shutil.copyfile(os.path.join(TOKENIZER_FROM, "tokenizer.json"), os.path.join(OUT, "tokenizer.json"))
    with open(os.path.join(TOKENIZER_FROM, "tokenizer_config.json")) as f:
        tok_cfg = json.load(f)
    tok_cfg["chat_template"] = CHAT_TEMPLATE
    tok_cfg["processor_class"] = "Idefics2Processor"
    write_json(os.path.join(OUT, "tokenizer_config.json"), tok_cfg)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    save_file(state, os.path.join(OUT, "model.safetensors"), metadata={"format": "pt"})


# ------------------------------------------------------------------ export


class ExportableEmbeddings(torch.nn.Module):
    """Idefics2VisionEmbeddings for unpadded frames, with bucketize written as a count of the
    boundaries at or below each coordinate (what ``bucketize(right=True)`` returns)."""

    def __init__(self, real):
        super().__init__()
        self.real = real

    def forward(self, pixel_values, patch_attention_mask):
        real = self.real
        patch_embeds = real.patch_embedding(pixel_values)  # [n, d, h, w]
        embeddings = patch_embeds.flatten(2).transpose(1, 2)
        side = real.num_patches_per_side
        boundaries = torch.arange(1 / side, 1.0, 1 / side)

        def buckets(length_ones):
            count = length_ones.sum()  # float32, the patch count along this side
            indices = torch.cumsum(length_ones, 0) - 1
            coords = torch.clamp(indices * (1.0 / count), max=(1.0 - 1e-6))
            return (coords[:, None] >= boundaries[None, :]).sum(-1)

        rows = buckets(torch.ones_like(patch_embeds[0, 0, :, 0]))
        cols = buckets(torch.ones_like(patch_embeds[0, 0, 0, :]))
        position_ids = (rows[:, None] * side + cols[None, :]).reshape(1, -1)
        return embeddings + real.position_embedding(position_ids)


class VisionExport(torch.nn.Module):
    """What ``get_image_features`` does for frames without padding: every frame real, every patch
    real (its padding-frame filter and the mask's unfold have no ONNX form for dynamic sizes)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        inner = self.model.model
        frames = pixel_values.flatten(0, 1)
        patch = inner.config.vision_config.patch_size
        mask = torch.ones_like(frames[:, 0, ::patch, ::patch], dtype=torch.bool)
        hidden = inner.vision_model(pixel_values=frames, patch_attention_mask=mask).last_hidden_state
        return inner.connector(hidden, attention_mask=mask.flatten(1))


class EmbedExport(torch.nn.Module):
    def __init__(self, model):
        super().__init__()
        self.embed = model.model.text_model.embed_tokens

    def forward(self, input_ids):
        return self.embed(input_ids)


def mistral_as_llama_decoder(model):
    text = model.config.text_config
    cfg = TextConfig(hidden_size=text.hidden_size, intermediate_size=text.intermediate_size,
                     num_hidden_layers=text.num_hidden_layers, num_attention_heads=text.num_attention_heads,
                     num_key_value_heads=text.num_key_value_heads, head_dim=text.head_dim, vocab_size=text.vocab_size,
                     rms_norm_eps=text.rms_norm_eps, rope_theta=text.rope_parameters["rope_theta"]
                     if getattr(text, "rope_parameters", None) else text.rope_theta)
    decoder = Decoder(cfg).eval()
    state = {}
    for key, value in model.model.text_model.state_dict().items():
        if key.startswith("embed_tokens"):
            continue
        state[key.replace("mlp.", "")] = value
    state["lm_head.weight"] = model.lm_head.weight
    missing, unexpected = decoder.load_state_dict(state, strict=False)
    assert not unexpected and all(k == "inv_freq" for k in missing), (missing, unexpected)
    return decoder, cfg


def export_graphs(model):
    onnx_dir = os.path.join(OUT, "onnx")
    vision = model.model.vision_model
    original = vision.embeddings
    original_mask = modeling_idefics2.create_bidirectional_mask
    vision.embeddings = ExportableEmbeddings(original)
    # Every patch is real, so the bidirectional masks the tower and the resampler build are no
    # masks at all; the tracer would bake their sizes in, so they are left out (None).
    modeling_idefics2.create_bidirectional_mask = lambda **kwargs: None
    try:
        example = torch.randn(1, 1, 3, 28, 20)
        mask = torch.ones(1, 1, 28, 20, dtype=torch.bool)
        with torch.no_grad():
            wrapped = VisionExport(model)(example)
            vision.embeddings = original
            modeling_idefics2.create_bidirectional_mask = original_mask
            reference = model.model.get_image_features(pixel_values=example, pixel_attention_mask=mask).pooler_output
            vision.embeddings = ExportableEmbeddings(original)
            modeling_idefics2.create_bidirectional_mask = lambda **kwargs: None
        assert torch.allclose(wrapped, reference, atol=1e-6), (wrapped - reference).abs().max()
        export(VisionExport(model), (example,), os.path.join(onnx_dir, "vision_encoder.onnx"),
               ["pixel_values"], ["image_features"],
               {"pixel_values": {0: "batch_size", 1: "num_images", 3: "height", 4: "width"},
                "image_features": {0: "num_real_images"}},
               static_dims={"image_features": {1: LATENTS, 2: model.config.text_config.hidden_size}})
    finally:
        vision.embeddings = original
        modeling_idefics2.create_bidirectional_mask = original_mask
    export(EmbedExport(model), (torch.tensor([[1, 2, 3]]),), os.path.join(onnx_dir, "embed_tokens.onnx"),
           ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})
    decoder, cfg = mistral_as_llama_decoder(model)
    inputs, names, outputs, axes = concat_decoder_io(cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim,
                                                     cfg.hidden_size)
    export(decoder, inputs, os.path.join(onnx_dir, "decoder_model_merged.onnx"), names, outputs, axes,
           external_data="decoder_model_merged.onnx_data")


# ------------------------------------------------------------------ goldens


def user(*parts):
    return {"role": "user", "content": list(parts)}


def text(t):
    return {"text": t}


def image(name):
    return {"image": IMG + name}


CASES = [
    ("wide_50x30", [user(image("wide_50x30.png"), text("What is in this image?"))], 16),
    ("tall_17x64_text_first", [user(text("Describe the picture."), image("tall_17x64.png"))], 16),
    ("photo_200x120", [user(image("photo_200x120.png"), text("What do you see?"))], 16),
    ("gray_48x40", [user(image("gray_48x40.png"), text("Which colours?"))], 16),
    ("odd_64x48", [user(image("idefics_odd_64x48.png"), text("Describe the colours."))], 16),
    ("two_images_one_turn", [user(image("wide_50x30.png"), image("tall_17x64.png"), text("Compare them."))], 16),
    ("two_images_two_turns", [
        user(image("idefics_wide_64x32.png"), text("What is this?")),
        {"role": "assistant", "content": [text("A wide picture.")]},
        user(image("gray_48x40.png"), text("And this one?"))], 16),
    ("text_only", [user(text("Say something short."))], 16),
    # Partly transparent (alpha 64 and 255). Idefics2ImageProcessor's own convert_to_rgb would
    # composite it onto white, but Idefics2Processor first loads every image with load_image
    # (EXIF transpose, convert("RGB")), which drops alpha: the model sees the colours as stored.
    ("rgba_transparent_32x24", [user(image("qwen_rgba_32x24.png"), text("What shapes?"))], 16),
    # EXIF orientation 6 and 2 (tools/testmodels/make_exif_images.py): load_image turns them upright.
    ("exif_rotated_40x24", [user(image("exif_rot6_40x24.png"), text("Which way is up?"))], 16),
    ("exif_mirrored_36x20", [user(text("Describe it."), image("exif_mirror2_36x20.png"))], 16),
]


def load_processor(model_dir):
    image_processor = transformers.Idefics2ImageProcessorPil.from_pretrained(model_dir)
    with open(os.path.join(model_dir, "tokenizer_config.json")) as f:
        tok_cfg = json.load(f)
    tokenizer = getattr(transformers, tok_cfg["tokenizer_class"]).from_pretrained(model_dir)
    return transformers.Idefics2Processor(image_processor=image_processor, tokenizer=tokenizer,
                                          image_seq_len=LATENTS, chat_template=tok_cfg["chat_template"])


def hf_messages(messages):
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
    with open(os.path.join(REPO, path), "rb") as f:
        img = Image.open(io.BytesIO(f.read()))
        img.load()
    return img


def ort_greedy(inputs, max_new, eos):
    """The exported graphs, driven as the server drives them: one vision call per frame, unpadded."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    d = os.path.join(OUT, "onnx")
    vision = ort.InferenceSession(os.path.join(d, "vision_encoder.onnx"), opts)
    embed = ort.InferenceSession(os.path.join(d, "embed_tokens.onnx"), opts)
    decoder = ort.InferenceSession(os.path.join(d, "decoder_model_merged.onnx"), opts)
    ids = inputs["input_ids"][0].tolist()
    embeds = embed.run(None, {"input_ids": np.asarray([ids], dtype=np.int64)})[0]
    if "pixel_values" in inputs:
        feats = []
        pv = inputs["pixel_values"][0].numpy()
        pm = inputs["pixel_attention_mask"][0].numpy().astype(bool)
        for frame, mask in zip(pv, pm):
            if not mask.any():
                continue  # a padding frame
            h, w = int(mask[:, 0].sum()), int(mask[0, :].sum())
            crop = np.ascontiguousarray(frame[:, :h, :w])[None, None].astype(np.float32)
            feats.append(vision.run(None, {"pixel_values": crop})[0])
        feats = np.concatenate(feats).reshape(-1, embeds.shape[-1])
        rows = np.nonzero(np.asarray(ids) == IMAGE_TOKEN)[0]
        assert len(rows) == len(feats), (len(rows), len(feats))
        embeds[0, rows] = feats
    cache = {}
    for i in decoder.get_inputs():
        if i.name.startswith("past_"):
            cache[i.name] = np.zeros((1, i.shape[1], 0, i.shape[3]), dtype=np.float32)
    length = embeds.shape[1]
    feeds = embeds
    positions = np.arange(length, dtype=np.int64)[None]
    out = []
    while True:
        res = decoder.run(None, {"inputs_embeds": feeds, "attention_mask": np.ones((1, length), dtype=np.int64),
                                 "position_ids": positions, **cache})
        names = [o.name for o in decoder.get_outputs()]
        cache = {n.replace("present", "past_key_values"): v for n, v in zip(names[1:], res[1:])}
        token = int(np.argmax(res[0][0, -1]))
        out.append(token)
        if token in eos or len(out) == max_new:
            return out
        feeds = embed.run(None, {"input_ids": np.asarray([[token]], dtype=np.int64)})[0]
        positions = np.asarray([[length]], dtype=np.int64)
        length += 1


def goldens(model):
    processor = load_processor(OUT)
    eos = [2, END_OF_UTTERANCE]
    cases = []
    pixel_entries = {}
    for case_id, messages, max_new in CASES:
        hf, paths = hf_messages(messages)
        rendered = processor.apply_chat_template(hf, add_generation_prompt=True, tokenize=False)
        kwargs = {"text": [rendered], "return_tensors": "pt"}
        if paths:
            kwargs["images"] = [[open_image(p) for p in paths]]
        inputs = processor(**kwargs)
        gen_kwargs = dict(max_new_tokens=max_new, do_sample=False, eos_token_id=eos, pad_token_id=0)
        with torch.no_grad():
            cached = model.generate(**inputs, use_cache=True, **gen_kwargs)[0, inputs["input_ids"].shape[1]:].tolist()
            uncached = model.generate(**inputs, use_cache=False, **gen_kwargs)[0, inputs["input_ids"].shape[1]:].tolist()
            logits = model(**inputs).logits[0, -1]
        assert cached == uncached, (case_id, cached, uncached)
        onnx_tokens = ort_greedy(inputs, max_new, eos)
        assert onnx_tokens == cached, (case_id, cached, onnx_tokens)
        top2 = torch.topk(logits, 2).values
        ids = inputs["input_ids"][0].tolist()
        cases.append({
            "id": case_id,
            "model": "testdata/models/tiny-idefics2",
            "messages": messages,
            "max_new_tokens": max_new,
            "rendered_prompt": rendered,
            "input_ids": ids,
            "num_image_tokens": ids.count(IMAGE_TOKEN),
            "pixel_values_dims": list(inputs["pixel_values"].shape) if paths else None,
            "generated_ids": cached,
            "text": processor.tokenizer.decode(cached, skip_special_tokens=True),
            "finish_reason": "stop" if cached[-1] in eos else "length",
            "first_step_logit_margin": round(float(top2[0] - top2[1]), 6),
            "checked": "generate with and without KV cache, and the ONNX graphs under onnxruntime, agree",
        })
        for p in paths:
            if p in pixel_entries:
                continue
            # As Idefics2Processor.__call__ does: load_image, then the image processor.
            one = processor.image_processor(images=[[load_image(open_image(p))]], return_tensors="np")
            frames = []
            for frame, mask in zip(one["pixel_values"][0], one["pixel_attention_mask"][0]):
                h, w = int(mask[:, 0].sum()), int(mask[0, :].sum())
                frames.append({"height": h, "width": w,
                               "sum": float(np.float64(frame[:, :h, :w]).sum()),
                               "abs_sum": float(np.abs(np.float64(frame[:, :h, :w])).sum()),
                               "first8": [float(x) for x in frame[:, :h, :w].reshape(-1)[:8]]})
            pixel_entries[p] = {"image": p, "frames": frames}
    return {
        "generator": "tools/testmodels/generate_idefics2.py",
        "transformers": transformers.__version__,
        "torch": torch.__version__,
        "image_processor": "Idefics2ImageProcessorPil",
        "images_loaded_with": "transformers.image_utils.load_image (EXIF transpose, convert RGB: alpha dropped), "
                              "as Idefics2Processor loads them before its image processor",
        "decoding": "greedy, Idefics2ForConditionalGeneration.generate, batch size 1",
        "pixel_values": list(pixel_entries.values()),
        "cases": cases,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true", help="recompute the goldens and compare")
    parser.add_argument("--goldens-only", action="store_true",
                        help="rewrite the goldens from the seeded model, leaving the committed fixture as it is")
    args = parser.parse_args()
    model = build_model()
    if not args.check and not args.goldens_only:
        write_fixture(model)
        export_graphs(model)
    doc = goldens(model)
    data = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.check:
        with open(GOLDEN) as f:
            if f.read() != data:
                sys.exit("differs: " + os.path.relpath(GOLDEN, REPO))
        print("goldens agree")
        return
    os.makedirs(os.path.dirname(GOLDEN), exist_ok=True)
    with open(GOLDEN, "w") as f:
        f.write(data)
    print("wrote", (os.path.relpath(OUT, REPO) + " and ") if not args.goldens_only else "", os.path.relpath(GOLDEN, REPO))


if __name__ == "__main__":
    main()
