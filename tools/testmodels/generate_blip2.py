#!/usr/bin/env python3
"""Builds a tiny random BLIP-2 (OPT decoder) with the real transformers classes, exports it to the
optimum / transformers.js ONNX layout, and records Python goldens from the real model.

Run with the Python reference environment (tools/reference/requirements-python.txt):

    python tools/testmodels/generate_blip2.py            # writes the fixture and the goldens
    python tools/testmodels/generate_blip2.py --check    # recomputes the goldens and compares

Writes testdata/models/tiny-blip2/ (configs, tokenizer files from tiny-llava, model.safetensors,
onnx/vision_encoder.onnx, onnx/embed_tokens.onnx, onnx/decoder_model_merged.onnx + .onnx_data)
and testdata/goldens/python/tiny-blip2.json.

The model is ``Blip2ForConditionalGeneration`` (ViT, Q-Former with ``num_query_tokens`` queries,
language projection, OPT decoder with learned absolute positions); the processor is
``Blip2Processor`` with ``BlipImageProcessorPil`` (exact resize, bicubic, CLIP mean and std), which
puts the query tokens' ``<image>`` ids in front of the tokenized text (before its BOS).

Goldens: greedy tokens of ``model.generate`` with and without the KV cache, which must agree, and
of the exported graphs under onnxruntime, which must agree too. BLIP-2 has no chat template; the
server takes raw prompts with one ``<image>`` placeholder per image, so each case's ``prompt`` is
the server's and the Python text is the same prompt without the placeholder.

Exports: vision_encoder = ``get_image_features`` (ViT, Q-Former, projection: ``[batch, queries,
hidden]``); embed_tokens = OPT's token embedding; decoder_model_merged = the OPT decoder written out
below (same math as transformers' OPT: pre-LayerNorm, biased projections, query scaled before the
product, ReLU MLP, positions ``position_ids + 2`` from a learned table) loaded with the real
model's weights.
"""
import argparse
import json
import math
import os
import shutil
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
from generate_idefics2 import open_image, write_json  # noqa: E402
import graph_greedy  # noqa: E402
from onnx_export import concat_decoder_io, export  # noqa: E402

OUT = os.path.join(REPO, "testdata", "models", "tiny-blip2")
GOLDEN = os.path.join(REPO, "testdata", "goldens", "python", "tiny-blip2.json")
TOKENIZER_FROM = os.path.join(REPO, "testdata", "models", "tiny-llava")
SEED = 11
VOCAB = 768
IMAGE_TOKEN = 766
QUERIES = 8
BOS, EOS, PAD = 1, 2, 767
IMG = "testdata/images/"

CHAT_TEMPLATE = (
    "{% for message in messages %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<image>' }}"
    "{% elif part['type'] == 'text' %}{{ 'Question: ' + part['text'] + ' Answer:' }}{% endif %}"
    "{% endfor %}{% endfor %}"
)

PREPROCESSOR = {
    "image_processor_type": "BlipImageProcessor",
    "processor_class": "Blip2Processor",
    "do_convert_rgb": True,
    "do_resize": True,
    "size": {"height": 32, "width": 32},
    "resample": 3,
    "do_rescale": True,
    "rescale_factor": 1 / 255,
    "do_normalize": True,
    "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_std": [0.26862954, 0.26130258, 0.27577711],
}


def config():
    return transformers.Blip2Config(
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                       "image_size": 32, "patch_size": 8},
        qformer_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
                        "encoder_hidden_size": 32, "cross_attention_frequency": 1, "vocab_size": 64,
                        "max_position_embeddings": 64},
        text_config={"model_type": "opt", "hidden_size": 64, "ffn_dim": 128, "num_hidden_layers": 2,
                     "num_attention_heads": 4, "vocab_size": VOCAB, "max_position_embeddings": 512,
                     "word_embed_proj_dim": 64, "do_layer_norm_before": True, "activation_function": "relu",
                     "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD, "tie_word_embeddings": False},
        num_query_tokens=QUERIES,
        image_token_index=IMAGE_TOKEN,
        tie_word_embeddings=False,
    )


def build_model():
    torch.manual_seed(SEED)
    cfg = config()
    cfg._attn_implementation = "eager"
    model = transformers.Blip2ForConditionalGeneration(cfg).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() >= 2:
                p.normal_(0.0, 0.08 if "embed" not in name else 0.5)
        model.language_model.lm_head.weight.normal_(0.0, 0.25)
        model.language_model.lm_head.weight[EOS] *= 1.5
    return model


class OptDecoder(nn.Module):
    """OPT over inputs_embeds with a concatenating KV cache, in the optimum decoder layout."""

    def __init__(self, text):
        super().__init__()
        self.heads = text.num_attention_heads
        self.hidden = text.hidden_size
        self.head_dim = self.hidden // self.heads
        self.embed_positions = nn.Embedding(text.max_position_embeddings + 2, self.hidden)
        self.layers = nn.ModuleList()
        for _ in range(text.num_hidden_layers):
            layer = nn.Module()
            layer.self_attn = nn.Module()
            for proj in ("q_proj", "k_proj", "v_proj", "out_proj"):
                setattr(layer.self_attn, proj, nn.Linear(self.hidden, self.hidden))
            layer.self_attn_layer_norm = nn.LayerNorm(self.hidden)
            layer.fc1 = nn.Linear(self.hidden, text.ffn_dim)
            layer.fc2 = nn.Linear(text.ffn_dim, self.hidden)
            layer.final_layer_norm = nn.LayerNorm(self.hidden)
            self.layers.append(layer)
        self.final_layer_norm = nn.LayerNorm(self.hidden)
        self.lm_head = nn.Linear(self.hidden, text.vocab_size, bias=False)

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        b, s, _ = inputs_embeds.shape
        x = inputs_embeds + self.embed_positions(position_ids + 2)
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

            q = split(attn.q_proj(h) * (self.head_dim ** -0.5))
            key = torch.cat([past[2 * i], split(attn.k_proj(h))], dim=2)
            value = torch.cat([past[2 * i + 1], split(attn.v_proj(h))], dim=2)
            scores = torch.matmul(q, key.transpose(-1, -2))
            scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
            out = torch.matmul(torch.softmax(scores, dim=-1), value).transpose(1, 2).reshape(b, s, self.hidden)
            x = x + attn.out_proj(out)
            x = x + layer.fc2(torch.relu(layer.fc1(layer.final_layer_norm(x))))
            presents += [key, value]
        return (self.lm_head(self.final_layer_norm(x)), *presents)


def opt_decoder(model):
    text = model.config.text_config
    decoder = OptDecoder(text).eval()
    state = {}
    for key, value in model.language_model.model.decoder.state_dict().items():
        if key.startswith("embed_tokens"):
            continue
        state[key] = value
    state["lm_head.weight"] = model.language_model.lm_head.weight
    decoder.load_state_dict(state, strict=True)
    return decoder, text


class VisionExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model.get_image_features(pixel_values=pixel_values).pooler_output


class EmbedExport(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.embed = model.language_model.model.decoder.embed_tokens

    def forward(self, input_ids):
        return self.embed(input_ids)


def write_fixture(model):
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    cfg = model.config.to_dict()
    cfg["architectures"] = ["Blip2ForConditionalGeneration"]
    for key in ("_attn_implementation_autoset", "transformers_version", "_name_or_path", "dtype", "torch_dtype"):
        cfg.pop(key, None)
    write_json(os.path.join(OUT, "config.json"), cfg)
    write_json(os.path.join(OUT, "generation_config.json"), {"bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD})
    write_json(os.path.join(OUT, "preprocessor_config.json"), PREPROCESSOR)
    write_json(os.path.join(OUT, "processor_config.json"), {"processor_class": "Blip2Processor", "num_query_tokens": QUERIES})
    shutil.copyfile(os.path.join(TOKENIZER_FROM, "tokenizer.json"), os.path.join(OUT, "tokenizer.json"))
    with open(os.path.join(TOKENIZER_FROM, "tokenizer_config.json")) as f:
        tok_cfg = json.load(f)
    # The real model ships no chat template (the server then serves raw prompts only, or a
    # configured chat_template); the fixture has a minimal one in BLIP-2's prompt style (images
    # first, "Question: .. Answer:"), as deploy/templates/blip2-opt.jinja.
    tok_cfg["chat_template"] = CHAT_TEMPLATE
    tok_cfg["processor_class"] = "Blip2Processor"
    write_json(os.path.join(OUT, "tokenizer_config.json"), tok_cfg)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(OUT, "model.safetensors"),
              metadata={"format": "pt"})


def export_graphs(model):
    d = os.path.join(OUT, "onnx")
    hidden = model.config.text_config.hidden_size
    export(VisionExport(model), (torch.randn(2, 3, 32, 32),), os.path.join(d, "vision_encoder.onnx"),
           ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"}},
           static_dims={"image_features": {1: QUERIES, 2: hidden}})
    export(EmbedExport(model), (torch.tensor([[1, 2, 3]]),), os.path.join(d, "embed_tokens.onnx"),
           ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"}, "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})
    decoder, text = opt_decoder(model)
    inputs, names, outputs, axes = concat_decoder_io(text.num_hidden_layers, text.num_attention_heads,
                                                     text.hidden_size // text.num_attention_heads, text.hidden_size)
    export(decoder, inputs, os.path.join(d, "decoder_model_merged.onnx"), names, outputs, axes,
           external_data="decoder_model_merged.onnx_data")


CASES = [
    ("wide_question", "<image>Question: what is in the picture? Answer:", [IMG + "wide_50x30.png"], 16),
    ("photo_caption", "<image>A picture of", [IMG + "photo_200x120.png"], 16),
    ("tall_question", "<image>Question: which colours do you see? Answer:", [IMG + "tall_17x64.png"], 16),
    ("gray_question", "<image>Question: describe the shapes. Answer:", [IMG + "gray_48x40.png"], 16),
    ("square_caption", "<image>The image shows", [IMG + "shapes_32.png"], 16),
]


def goldens(model):
    tokenizer = transformers.PreTrainedTokenizerFast.from_pretrained(OUT)
    processor = transformers.Blip2Processor(image_processor=transformers.BlipImageProcessorPil.from_pretrained(OUT),
                                            tokenizer=tokenizer, num_query_tokens=QUERIES)
    if isinstance(processor.image_token, str):
        # transformers 5.18 takes the tokenizer's image_token (a str here) but then reads .content
        processor.image_token = transformers.AddedToken(processor.image_token, normalized=False, special=True)
    cases, pixel_entries = [], {}
    for case_id, prompt, paths, max_new in CASES:
        python_text = prompt.replace("<image>", "")
        inputs = processor(images=[open_image(p) for p in paths], text=[python_text], return_tensors="pt")
        kw = dict(max_new_tokens=max_new, do_sample=False, eos_token_id=EOS, pad_token_id=PAD)
        with torch.no_grad():
            cached = model.generate(**inputs, use_cache=True, **kw)[0].tolist()
            uncached = model.generate(**inputs, use_cache=False, **kw)[0].tolist()
        # generate returns the prompt ids, then the new tokens
        n = inputs["input_ids"].shape[1]
        assert cached[:n] == uncached[:n] == inputs["input_ids"][0].tolist()
        cached, uncached = cached[n:], uncached[n:]
        assert cached == uncached, (case_id, cached, uncached)
        ids = inputs["input_ids"][0].tolist()
        image_rows = np.nonzero(np.asarray(ids) == IMAGE_TOKEN)[0]
        onnx_tokens = graph_greedy.greedy(os.path.join(OUT, "onnx"), ids, image_rows, inputs["pixel_values"].numpy(), EOS,
                                          max_new)
        assert onnx_tokens == cached, (case_id, cached, onnx_tokens)
        cases.append({
            "id": case_id, "model": "testdata/models/tiny-blip2", "prompt": prompt, "images": paths,
            "python_text": python_text, "max_new_tokens": max_new, "input_ids": ids,
            "num_image_tokens": ids.count(IMAGE_TOKEN), "generated_ids": cached,
            "text": tokenizer.decode(cached, skip_special_tokens=True),
            "finish_reason": "stop" if cached[-1] == EOS else "length",
            "checked": "generate with and without KV cache, and the ONNX graphs under onnxruntime, agree",
        })
        for p in paths:
            pv = inputs["pixel_values"][0].numpy()
            pixel_entries[p] = {"image": p, "sum": float(np.float64(pv).sum()),
                                "abs_sum": float(np.abs(np.float64(pv)).sum()), "first8": [float(x) for x in pv.reshape(-1)[:8]]}
    return {"generator": "tools/testmodels/generate_blip2.py", "transformers": transformers.__version__,
            "torch": torch.__version__, "image_processor": "BlipImageProcessorPil",
            "decoding": "greedy, Blip2ForConditionalGeneration.generate, batch size 1",
            "pixel_values": list(pixel_entries.values()), "cases": cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    model = build_model()
    if not args.check:
        write_fixture(model)
        export_graphs(model)
    # A fresh (identical, seeded) model: tracing leaves state behind that changes cached generate.
    data = json.dumps(goldens(build_model()), indent=2, ensure_ascii=False) + "\n"
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
