#!/usr/bin/env python3
"""Builds a tiny random Kosmos-2.5 with the real transformers classes, exports it to the
optimum / transformers.js ONNX layout, and records Python goldens from the real model.

Run with the Python reference environment (tools/reference/requirements-python.txt):

    python tools/testmodels/generate_kosmos2_5.py            # writes the fixture and the goldens
    python tools/testmodels/generate_kosmos2_5.py --check    # recomputes the goldens and compares

Writes testdata/models/tiny-kosmos2.5/ (configs, a byte-level BPE tokenizer in Kosmos-2.5's id
layout, model.safetensors, onnx/vision_encoder.onnx, onnx/embed_tokens.onnx,
onnx/decoder_model_merged.onnx + .onnx_data), testdata/goldens/python/tiny-kosmos2.5.json and the
processor's flattened patches per image under testdata/goldens/python/pixels/tiny-kosmos2.5/.

The model is ``Kosmos2_5ForConditionalGeneration`` (Pix2Struct-style vision encoder over
flattened patches, an image-to-text projection whose ``latent_query_num`` learned queries
cross-attend to the patches, a Kosmos text decoder: scaled embeddings, sinusoidal positions offset
by the pad id, a segment embedding marking the image span). The processor is
``Kosmos2_5Processor`` with ``Kosmos2_5ImageProcessorPil``: torchvision is not installed, so
transformers falls back to the PIL backend, which does the resize with
``torch.nn.functional.interpolate(bilinear, align_corners=False, antialias=True)`` on the
per-image-normalized float image (not PIL's ``Image.resize``). The processor lays out every prompt
as ``<s><image>`` + ``num_image_tokens`` x ``<s>`` + ``</image>`` + text: the image placeholder
token is the BOS token itself, and the image span is marked by position
(``image_embeds_position_mask``), not by token id.

Tokenizer: the real one's ids 0-3 (``<s> <pad> </s> <unk>``), then bytes and BPE merges, then the
task and layout tokens in the real model's order (``<ocr> <image> </image> <bbox> </bbox>
<delimiter_of_multi_objects/> <md>``) and a few coordinate tokens ``<x_N>``, ``<y_N>``. Only
``<s> <pad> </s> <unk> <image> </image>`` are special (skipped by ``skip_special_tokens``), so the
task and layout tokens survive decoding, as in the model card's output. No BOS is added by the
tokenizer: the processor writes ``<s>`` itself.

Exports (see docs/MODELS.md): vision_encoder = ``vision_model`` (attention mask from the patches,
as the model computes it when none is passed), L2 normalization and ``image_to_text_projection``;
its input is called ``pixel_values`` (the server's name for the vision input) and holds the
flattened patches ``[batch, max_patches, 2 + 3 * ph * pw]``. embed_tokens = the token embedding,
unscaled. decoder_model_merged = the Kosmos-2.5 text decoder written out below (same math as
transformers': embeddings times sqrt(embed_dim), sinusoidal positions ``position_ids + pad + 1``,
segment embedding 1 on positions 1 .. num_image_tokens + 2 (the processor's image span, which is
always there), pre-LayerNorm blocks, GELU FFN with its inner LayerNorm, final LayerNorm, lm_head
tied to the embedding) loaded with the real model's weights.
"""
import argparse
import gzip
import json
import math
import os
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from bpe_tokenizer import CORPUS, bytes_to_unicode, train_merges  # noqa: E402
from generate_idefics2 import open_image, write_json  # noqa: E402
import graph_greedy  # noqa: E402
from onnx_export import concat_decoder_io, export  # noqa: E402

NAME = "tiny-kosmos2.5"
OUT = os.path.join(REPO, "testdata", "models", NAME)
GOLDEN = os.path.join(REPO, "testdata", "goldens", "python", NAME + ".json")
PIXELS = os.path.join(REPO, "testdata", "goldens", "python", "pixels", NAME)
SEED = 25
BOS, PAD, EOS, UNK = 0, 1, 2, 3
LATENTS = 8
PATCH = 4
MAX_PATCHES = 64
COORDINATES = 32
IMG = "testdata/images/"

# The real tokenizer's order after its text vocabulary (ids 100282.. in microsoft/kosmos-2.5:
# <ocr> 100282, <image> 100283, </image> 100284, <md> 100288 per transformers' processor test).
TASK_TOKENS = ["<ocr>", "<image>", "</image>", "<bbox>", "</bbox>", "<delimiter_of_multi_objects/>", "<md>"]
SPECIAL = {"<s>", "<pad>", "</s>", "<unk>", "<image>", "</image>"}
MERGES = 437

# The real model ships no chat template; the server needs one, so the fixture has the smallest
# that says where the image goes (the family moves it to the front, as Python's processor does).
CHAT_TEMPLATE = (
    "{% for message in messages %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<image>' }}"
    "{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endfor %}"
)

PREPROCESSOR = {
    "image_processor_type": "Kosmos2_5ImageProcessor",
    "processor_class": "Kosmos2_5Processor",
    "do_convert_rgb": True,
    "do_normalize": True,
    "patch_size": {"height": PATCH, "width": PATCH},
    "max_patches": MAX_PATCHES,
}


# ------------------------------------------------------------------ tokenizer


def tokenizer_files():
    table = bytes_to_unicode()
    vocab = {"<s>": BOS, "<pad>": PAD, "</s>": EOS, "<unk>": UNK}
    for b in range(256):
        vocab[table[b]] = len(vocab)
    merges = train_merges(CORPUS, MERGES)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    added_names = ["<s>", "<pad>", "</s>", "<unk>"] + TASK_TOKENS \
        + [f"<x_{i}>" for i in range(COORDINATES)] + [f"<y_{i}>" for i in range(COORDINATES)]
    for token in added_names[4:]:
        vocab[token] = len(vocab)
    added = [{"id": vocab[c], "content": c, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": c in SPECIAL} for c in added_names]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
        "pre_tokenizer": byte_level, "post_processor": None, "decoder": dict(byte_level),
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": vocab, "merges": [f"{a} {b}" for a, b in merges]},
    }
    config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>",
        "extra_special_tokens": {"boi_token": "<image>", "eoi_token": "</image>", "image_token": "<s>"},
        "added_tokens_decoder": {str(a["id"]): {k: a[k] for k in ("content", "lstrip", "normalized", "rstrip",
                                                                   "single_word", "special")} for a in added},
        "model_max_length": 4096,
        "processor_class": "Kosmos2_5Processor",
        "chat_template": CHAT_TEMPLATE,
    }
    return tokenizer, config, len(vocab), vocab


# ------------------------------------------------------------------ model


def config(vocab_size):
    return transformers.Kosmos2_5Config(
        vision_config={"hidden_size": 32, "patch_embed_hidden_size": 3 * PATCH * PATCH, "intermediate_size": 64,
                       "head_dim": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "max_num_patches": 2 * MAX_PATCHES, "dense_act_fn": "gelu_new"},
        text_config={"vocab_size": vocab_size, "max_position_embeddings": 512, "embed_dim": 64, "layers": 2,
                     "ffn_dim": 128, "attention_heads": 4, "activation_function": "gelu", "scale_embedding": True,
                     "pad_token_id": PAD, "bos_token_id": BOS, "eos_token_id": EOS, "tie_word_embeddings": True},
        latent_query_num=LATENTS,
        tie_word_embeddings=True,
    )


def build_model(vocab_size):
    torch.manual_seed(SEED)
    cfg = config(vocab_size)
    cfg._attn_implementation = "eager"
    model = transformers.Kosmos2_5ForConditionalGeneration(cfg).eval()
    # Random init gives flat logits; wider weights give greedy choices clear margins. The
    # embedding stays small: it is scaled by sqrt(embed_dim) and tied to lm_head, so a large one
    # makes every step repeat the token before it whatever the image.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2 and "embed_tokens" not in name:
                p.normal_(0.0, 0.25)
        embed = model.text_model.model.embed_tokens.weight
        embed.normal_(0.0, 0.03)
        embed[PAD] = 0.0  # nn.Embedding(padding_idx) starts the pad row at zero; tied, pad's logit is 0
        embed[EOS] *= 1.5  # likelier EOS, so some cases stop
    return model


def text_model(model):
    return model.text_model.model


class KosmosTextDecoder(nn.Module):
    """The Kosmos-2.5 text decoder over unscaled inputs_embeds with a concatenating KV cache, in
    the optimum decoder layout; the image span's segment embedding is chosen by position."""

    def __init__(self, model):
        super().__init__()
        text = model.config.text_config
        self.heads = text.attention_heads
        self.hidden = text.embed_dim
        self.head_dim = self.hidden // self.heads
        self.scale = math.sqrt(text.embed_dim) if text.scale_embedding else 1.0
        self.offset = text.pad_token_id + 1
        self.span_end = LATENTS + 2  # <image> at 1, image tokens 2 .. LATENTS + 1, </image> at LATENTS + 2
        real = text_model(model)
        self.positions = nn.Parameter(real.embed_positions.weights.detach().clone(), requires_grad=False)
        self.segment_emb = real.segment_emb
        self.layers = real.layers
        self.layer_norm = real.layer_norm
        self.lm_head = model.text_model.lm_head

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        b, s, _ = inputs_embeds.shape
        segment = ((position_ids >= 1) & (position_ids <= self.span_end)).long()
        x = inputs_embeds * self.scale + self.positions[position_ids + self.offset] + self.segment_emb(segment)
        total = attention_mask.shape[1]
        key_index = torch.arange(total)
        query_index = torch.arange(s) + (total - s)
        allowed = (key_index.unsqueeze(0) <= query_index.unsqueeze(1)).unsqueeze(0).unsqueeze(0) \
            & (attention_mask != 0).unsqueeze(1).unsqueeze(2)
        presents = []
        for i, layer in enumerate(self.layers):
            attn = layer.self_attn
            h = layer.self_attn_layer_norm(x)

            def split(t):
                return t.view(b, s, self.heads, self.head_dim).transpose(1, 2)

            q = split(attn.q_proj(h)) * (self.head_dim ** -0.5)
            key = torch.cat([past[2 * i], split(attn.k_proj(h))], dim=2)
            value = torch.cat([past[2 * i + 1], split(attn.v_proj(h))], dim=2)
            scores = torch.matmul(q, key.transpose(-1, -2))
            scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
            out = torch.matmul(torch.softmax(scores, dim=-1), value).transpose(1, 2).reshape(b, s, self.hidden)
            x = x + attn.out_proj(out)
            x = x + layer.ffn(layer.final_layer_norm(x))
            presents += [key, value]
        return (self.lm_head(self.layer_norm(x)), *presents)


class VisionExport(nn.Module):
    """What the model does with flattened patches: encoder (mask from the patches), L2 norm,
    the latent-query projection."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        hidden = self.model.vision_model(flattened_patches=pixel_values).last_hidden_state
        features, _ = self.model.image_to_text_projection(nn.functional.normalize(hidden, dim=-1))
        return features


class EmbedExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.embed = text_model(model).embed_tokens

    def forward(self, input_ids):
        return self.embed(input_ids)


def write_fixture(model, tokenizer, tok_cfg):
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    cfg = model.config.to_dict()
    cfg["architectures"] = ["Kosmos2_5ForConditionalGeneration"]
    for key in ("_attn_implementation_autoset", "transformers_version", "_name_or_path", "dtype", "torch_dtype"):
        cfg.pop(key, None)
    write_json(os.path.join(OUT, "config.json"), cfg)
    write_json(os.path.join(OUT, "generation_config.json"), {"bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD})
    write_json(os.path.join(OUT, "preprocessor_config.json"), PREPROCESSOR)
    write_json(os.path.join(OUT, "processor_config.json"),
               {"processor_class": "Kosmos2_5Processor", "num_image_tokens": LATENTS})
    write_json(os.path.join(OUT, "tokenizer.json"), tokenizer)
    write_json(os.path.join(OUT, "tokenizer_config.json"), tok_cfg)
    state = {k: v.contiguous() for k, v in model.state_dict().items()}
    # Tied: safetensors refuses shared storage, and the loader re-ties lm_head to the embedding.
    state.pop("text_model.lm_head.weight", None)
    save_file(state, os.path.join(OUT, "model.safetensors"), metadata={"format": "pt"})


def export_graphs(model):
    d = os.path.join(OUT, "onnx")
    hidden = model.config.text_config.embed_dim
    example = torch.randn(1, MAX_PATCHES, 2 + 3 * PATCH * PATCH)
    example[0, :, 0] = torch.arange(MAX_PATCHES) // 8 + 1
    example[0, :, 1] = torch.arange(MAX_PATCHES) % 8 + 1
    example[0, 40:] = 0  # padding patches, so the traced mask is computed, not constant
    export(VisionExport(model), (example,), os.path.join(d, "vision_encoder.onnx"),
           ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "batch_size", 1: "max_patches"}, "image_features": {0: "batch_size"}},
           static_dims={"image_features": {1: LATENTS, 2: hidden}})
    export(EmbedExport(model), (torch.tensor([[1, 2, 3]]),), os.path.join(d, "embed_tokens.onnx"),
           ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})
    text = model.config.text_config
    decoder = KosmosTextDecoder(model).eval()
    inputs, names, outputs, axes = concat_decoder_io(text.layers, text.attention_heads,
                                                     text.embed_dim // text.attention_heads, text.embed_dim)
    export(decoder, inputs, os.path.join(d, "decoder_model_merged.onnx"), names, outputs, axes,
           external_data="decoder_model_merged.onnx_data")


# ------------------------------------------------------------------ goldens

CASES = [
    ("wide_ocr", "<image><ocr>", IMG + "wide_50x30.png", 16),
    ("wide_md", "<image><md>", IMG + "wide_50x30.png", 16),
    ("tall_ocr", "<image><ocr>", IMG + "tall_17x64.png", 16),
    ("photo_md", "<image><md>", IMG + "photo_200x120.png", 16),
    ("gray_ocr", "<image><ocr>", IMG + "gray_48x40.png", 16),
    ("rgba_md", "<image><md>", IMG + "qwen_rgba_32x24.png", 16),
    ("small_ocr", "<image><ocr>", IMG + "qwen_noise_16x16.png", 16),
    ("narrow_md", "<image><md>", IMG + "lfm2_8x32_bars.png", 16),
    ("task_after_image_text", "<image><ocr> text", IMG + "shapes_32.png", 16),
]


def load_processor():
    tokenizer = transformers.PreTrainedTokenizerFast.from_pretrained(OUT)
    image_processor = transformers.Kosmos2_5ImageProcessorPil.from_pretrained(OUT)
    return transformers.Kosmos2_5Processor(image_processor=image_processor, tokenizer=tokenizer,
                                           num_image_tokens=LATENTS)


def write_patches(path, patches):
    os.makedirs(PIXELS, exist_ok=True)
    name = os.path.splitext(os.path.basename(path))[0] + ".f32.gz"
    # mtime 0: the same values give the same bytes
    with open(os.path.join(PIXELS, name), "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as f:
        f.write(np.ascontiguousarray(patches, dtype="<f4").tobytes())
    return "pixels/" + NAME + "/" + name


def goldens(model, write_pixels):
    processor = load_processor()
    cases, pixel_entries = [], {}
    for case_id, prompt, path, max_new in CASES:
        python_text = prompt.replace("<image>", "")
        # Kosmos2_5Processor's own default (max_patches 4096) overrides the image processor's
        # configured value unless the call passes it; the real model's config says 4096 too.
        inputs = processor(images=open_image(path), text=python_text, max_patches=MAX_PATCHES, return_tensors="pt")
        inputs.pop("height")
        inputs.pop("width")
        kw = dict(max_new_tokens=max_new, do_sample=False, eos_token_id=EOS, pad_token_id=PAD)
        with torch.no_grad():
            cached = model.generate(**inputs, use_cache=True, **kw)[0].tolist()
            uncached = model.generate(**inputs, use_cache=False, **kw)[0].tolist()
            logits = model(**inputs).logits[0, -1]
        n = inputs["input_ids"].shape[1]
        ids = inputs["input_ids"][0].tolist()
        assert cached[:n] == uncached[:n] == ids
        cached, uncached = cached[n:], uncached[n:]
        assert cached == uncached, (case_id, cached, uncached)
        assert PAD not in cached, (case_id, cached)  # Python's positions skip pads when recomputed
        patches = inputs["flattened_patches"].numpy()
        image_rows = np.nonzero(np.asarray(inputs["image_embeds_position_mask"][0].tolist()) == 1)[0]
        onnx_tokens = graph_greedy.greedy(os.path.join(OUT, "onnx"), ids, image_rows, patches, EOS, max_new)
        assert onnx_tokens == cached, (case_id, cached, onnx_tokens)
        top2 = torch.topk(logits, 2).values
        cases.append({
            "id": case_id, "model": "testdata/models/" + NAME, "prompt": prompt, "images": [path],
            "python_text": python_text, "max_new_tokens": max_new, "input_ids": ids,
            "image_embeds_position_mask": inputs["image_embeds_position_mask"][0].tolist(),
            "num_image_tokens": inputs["image_embeds_position_mask"][0].tolist().count(1),
            "generated_ids": cached,
            "text": processor.batch_decode([cached], skip_special_tokens=True)[0],
            "text_with_special_tokens": processor.batch_decode([cached], skip_special_tokens=False)[0],
            "finish_reason": "stop" if cached[-1] == EOS else "length",
            "first_step_logit_margin": round(float(top2[0] - top2[1]), 6),
            "checked": "generate with and without KV cache, and the ONNX graphs under onnxruntime, agree",
        })
        if path not in pixel_entries:
            one = processor.image_processor(open_image(path), return_tensors="np")
            mask = one["attention_mask"][0]
            entry = {"image": path, "dims": list(one["flattened_patches"][0].shape),
                     "rows": int(one["rows"][0]), "cols": int(one["cols"][0]),
                     "resized_width": int(one["width"][0]), "resized_height": int(one["height"][0]),
                     "real_patches": int(mask.sum())}
            assert mask.tolist() == [1.0] * entry["real_patches"] + [0.0] * (MAX_PATCHES - entry["real_patches"])
            assert np.array_equal(one["flattened_patches"], patches)
            if write_pixels:
                entry["file"] = write_patches(path, one["flattened_patches"][0])
            else:
                entry["file"] = "pixels/" + NAME + "/" + os.path.splitext(os.path.basename(path))[0] + ".f32.gz"
            pixel_entries[path] = entry
    return {"generator": "tools/testmodels/generate_kosmos2_5.py", "transformers": transformers.__version__,
            "torch": torch.__version__, "image_processor": "Kosmos2_5ImageProcessorPil",
            "resize": "torch.nn.functional.interpolate(bilinear, align_corners=False, antialias=True) "
                      "on the per-image-normalized float32 image",
            "decoding": "greedy, Kosmos2_5ForConditionalGeneration.generate, batch size 1; text = "
                        "processor.batch_decode(new tokens, skip_special_tokens=True)",
            "pixel_values": list(pixel_entries.values()), "cases": cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    tokenizer, tok_cfg, vocab_size, _ = tokenizer_files()
    model = build_model(vocab_size)
    if not args.check:
        write_fixture(model, tokenizer, tok_cfg)
        export_graphs(model)
    # A fresh (identical, seeded) model: tracing leaves state behind that changes cached generate.
    data = json.dumps(goldens(build_model(vocab_size), not args.check), indent=2, ensure_ascii=False) + "\n"
    if args.check:
        with open(GOLDEN) as f:
            if f.read() != data:
                sys.exit("differs: " + os.path.relpath(GOLDEN, REPO))
        print("goldens agree")
        return
    with open(GOLDEN, "w") as f:
        f.write(data)
    print("wrote", os.path.relpath(OUT, REPO), "and", os.path.relpath(GOLDEN, REPO))


if __name__ == "__main__":
    main()
