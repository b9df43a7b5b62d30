#!/usr/bin/python3
"""Writes a random-weight Qwen2-VL or Qwen2.5-VL model in the transformers.js ONNX export layout.

Deterministic for a given seed and arguments: running it twice writes identical files.

    /usr/bin/python3 tools/testmodels/generate_qwen2_vl.py --variant qwen2_vl     # testdata/models/tiny-qwen2-vl
    /usr/bin/python3 tools/testmodels/generate_qwen2_vl.py --variant qwen2_5_vl   # testdata/models/tiny-qwen2.5-vl

Layout written:
    config.json, generation_config.json, preprocessor_config.json, processor_config.json,
    tokenizer.json, tokenizer_config.json,
    onnx/vision_encoder.onnx, onnx/embed_tokens.onnx,
    onnx/decoder_model_merged.onnx + onnx/decoder_model_merged.onnx_data

The two variants share the text side (a Qwen2 decoder with 3-D multimodal rotary embeddings,
M-RoPE) and differ in the vision tower: Qwen2-VL uses LayerNorm, a QuickGELU MLP and full
attention; Qwen2.5-VL uses RMSNorm, a SiLU-gated MLP and window attention in every layer not
listed in fullatt_block_indexes. Window attention is written as a mask instead of the
reference's reorder-into-windows / restore, which gives the same result because attention
within a block does not depend on the order of its tokens. Both vision towers take the
flattened patches and the per-image (t, h, w) grid, and attend only within one frame of one
image, so several images in one call give the same features as each image alone.
See tools/testmodels/QWEN2_VL.md.
"""
import argparse
import json
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe_tokenizer import CORPUS, bytes_to_unicode, train_merges  # noqa: E402
from onnx_export import export  # noqa: E402

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
DECODER_DATA = "decoder_model_merged.onnx_data"

VARIANTS = {
    "qwen2_vl": {
        "out": "testdata/models/tiny-qwen2-vl",
        "architecture": "Qwen2VLForConditionalGeneration",
        "processor_class": "Qwen2VLProcessor",
        # transformers.js (modeling_qwen2_vl.js) feeds the grid to the vision encoder under this name
        "grid_input": "grid_thw",
        # picked for varied goldens with clear logit margins and one answer ending with EOS
        "seed": 1,
        "eos_scale": 0.9,
    },
    "qwen2_5_vl": {
        "out": "testdata/models/tiny-qwen2.5-vl",
        "architecture": "Qwen2_5_VLForConditionalGeneration",
        "processor_class": "Qwen2_5_VLProcessor",
        # ... and under this one for Qwen2.5-VL (modeling_qwen2_5_vl.js)
        "grid_input": "image_grid_thw",
        # ... two answers ending with EOS here, one with each of the two stop ids
        "seed": 16,
        "eos_scale": 1.15,
    },
}

# Qwen2 special tokens in the real id order (151643.. in the real vocabulary). The Qwen2.5
# tokenizer adds eight more that are added tokens but not special (decode keeps them).
SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>",
    "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
]
QWEN2_5_NON_SPECIAL_ADDED = [
    "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>",
]

# Qwen2's pre-tokenizer split: case-insensitive contractions, letters with one optional leading
# non-letter, single digits, punctuation runs, newlines, spaces.
QWEN2_SPLIT_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."

# Renders like the Qwen2-VL / Qwen2.5-VL chat template: ChatML turns, a default system turn when
# the conversation does not start with one, content parts in their given order, each image as
# <|vision_start|><|image_pad|><|vision_end|> (optionally numbered with add_vision_id). Written
# on one line with '\n' inside string literals, so no whitespace control is involved.
CHAT_TEMPLATE = (
    "{% set seen = namespace(images=0, videos=0) %}"
    "{% for message in messages %}"
    "{% if loop.first and message['role'] != 'system' %}"
    "{{ '<|im_start|>system\\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\\n' }}"
    "{% endif %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}"
    "{% else %}{% for part in message['content'] %}"
    "{% if part['type'] == 'image' or 'image' in part or 'image_url' in part %}"
    "{% set seen.images = seen.images + 1 %}"
    "{% if add_vision_id %}{{ 'Picture ' ~ seen.images ~ ': ' }}{% endif %}"
    "{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{% elif part['type'] == 'video' or 'video' in part %}"
    "{% set seen.videos = seen.videos + 1 %}"
    "{% if add_vision_id %}{{ 'Video ' ~ seen.videos ~ ': ' }}{% endif %}"
    "{{ '<|vision_start|><|video_pad|><|vision_end|>' }}"
    "{% elif 'text' in part %}{{ part['text'] }}"
    "{% endif %}{% endfor %}{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


# --------------------------------------------------------------------------------------------
# Tokenizer


class QwenTokenizerSpec:
    """Byte-level BPE laid out like Qwen2's: 256 byte symbols (GPT-2 byte order), merges, then
    the added tokens. No BOS is added (Qwen2's post-processor is plain ByteLevel)."""

    def __init__(self, merges, variant):
        table = bytes_to_unicode()
        self.vocab = {}
        for symbol in table.values():  # printable bytes first, like GPT-2 / Qwen2 ("!" is id 0)
            self.vocab[symbol] = len(self.vocab)
        self.merges = []
        for a, b in train_merges(CORPUS, merges):
            self.merges.append((a, b))
            if a + b not in self.vocab:  # two different merges may build the same string
                self.vocab[a + b] = len(self.vocab)
        self.regular_size = len(self.vocab)
        self.added = [(t, True) for t in SPECIAL_TOKENS]
        if variant == "qwen2_5_vl":
            self.added += [(t, False) for t in QWEN2_5_NON_SPECIAL_ADDED]
        self.ids = {token: self.regular_size + i for i, (token, _) in enumerate(self.added)}
        self.size = self.regular_size + len(self.added)

    def id(self, token):
        return self.ids[token]

    def byte_ids(self):
        """byte value -> id of its single-byte token."""
        table = bytes_to_unicode()
        return {b: self.vocab[table[b]] for b in range(256)}

    def tokenizer_json(self):
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.ids[token], "content": token, "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": special}
                for token, special in self.added
            ],
            "normalizer": {"type": "NFC"},
            "pre_tokenizer": {
                "type": "Sequence",
                "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": QWEN2_SPLIT_REGEX}, "behavior": "Isolated",
                     "invert": False},
                    byte_level,
                ],
            },
            "post_processor": dict(byte_level),
            "decoder": dict(byte_level),
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": "",
                "end_of_word_suffix": "",
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def added_tokens_decoder(self):
        return {
            str(self.ids[token]): {"content": token, "lstrip": False, "normalized": False, "rstrip": False,
                                   "single_word": False, "special": special}
            for token, special in self.added
        }


# --------------------------------------------------------------------------------------------
# Torch modules


class RmsNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


def floor_div(a, b):
    return torch.div(a, b, rounding_mode="floor")


class VisionAttention(nn.Module):
    """Multi-head self-attention over all patches of the call, restricted by a [N, N] mask,
    with 2-D rotary embeddings (cos/sin [N, head_dim])."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.head_dim = dim // heads
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, cos, sin, allowed):
        n, d = x.shape
        qkv = self.qkv(x).view(n, 3, self.heads, self.head_dim).permute(1, 2, 0, 3)  # [3, heads, n, hd]
        q, k, v = qkv[0], qkv[1], qkv[2]
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), v)  # [heads, n, hd]
        return self.proj(out.transpose(0, 1).reshape(n, d))


class Qwen2VisionBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.attn = VisionAttention(cfg.dim, cfg.heads)
        self.norm2 = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.fc1 = nn.Linear(cfg.dim, cfg.intermediate)
        self.fc2 = nn.Linear(cfg.intermediate, cfg.dim)

    def forward(self, x, cos, sin, allowed):
        x = x + self.attn(self.norm1(x), cos, sin, allowed)
        return x + self.fc2(quick_gelu(self.fc1(self.norm2(x))))


class Qwen2_5VisionBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.norm1 = RmsNorm(cfg.dim, 1e-6)
        self.attn = VisionAttention(cfg.dim, cfg.heads)
        self.norm2 = RmsNorm(cfg.dim, 1e-6)
        self.gate_proj = nn.Linear(cfg.dim, cfg.intermediate)
        self.up_proj = nn.Linear(cfg.dim, cfg.intermediate)
        self.down_proj = nn.Linear(cfg.intermediate, cfg.dim)

    def forward(self, x, cos, sin, allowed):
        x = x + self.attn(self.norm1(x), cos, sin, allowed)
        h = self.norm2(x)
        return x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))


class VisionConfig:
    def __init__(self, args):
        self.variant = args.variant
        self.dim = args.vision_hidden
        self.intermediate = args.vision_intermediate
        self.depth = args.vision_layers
        self.heads = args.vision_heads
        self.head_dim = args.vision_hidden // args.vision_heads
        self.channels = 3
        self.patch_size = args.patch_size
        self.temporal_patch_size = args.temporal_patch_size
        self.merge_size = args.merge_size
        self.window_size = args.window_size
        self.fullatt_blocks = args.fullatt_blocks
        self.out_dim = args.hidden

    @property
    def patch_dim(self):
        return self.channels * self.temporal_patch_size * self.patch_size * self.patch_size

    @property
    def window_units(self):
        """Window side in merged units (Qwen2.5-VL: window_size // merge_size // patch_size)."""
        return self.window_size // self.merge_size // self.patch_size


class VisionEncoder(nn.Module):
    """pixel_values [N, C*T*P*P] + grid [I, 3] -> image_features [N / merge^2, text hidden].

    Patch rows arrive in the processor's order: per image, per frame, merge blocks row by row
    and the merge_size x merge_size patches of a block consecutively, so the merger can group
    each run of merge^2 rows. Everything the reference computes in Python loops over the grid
    (rotary positions, per-frame attention blocks, windows) is computed here with tensor ops,
    so the exported graph takes any number of images of any grid size.
    """

    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.cfg = cfg
        # Conv3d with kernel = stride = (T, P, P) and no bias, written as the equal Linear over
        # the flattened (C, T, P, P) patch.
        self.patch_embed = nn.Linear(cfg.patch_dim, cfg.dim, bias=False)
        block = Qwen2_5VisionBlock if cfg.variant == "qwen2_5_vl" else Qwen2VisionBlock
        self.blocks = nn.ModuleList(block(cfg) for _ in range(cfg.depth))
        merged = cfg.dim * cfg.merge_size ** 2
        self.ln_q = RmsNorm(cfg.dim, 1e-6) if cfg.variant == "qwen2_5_vl" else nn.LayerNorm(cfg.dim, eps=1e-6)
        self.merger_fc1 = nn.Linear(merged, merged)
        self.merger_fc2 = nn.Linear(merged, cfg.out_dim)
        rotary_dim = cfg.head_dim // 2  # half of head_dim for rows, half for columns
        inv_freq = 1.0 / (10000.0 ** (torch.arange(0, rotary_dim, 2, dtype=torch.float32) / rotary_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def layout(self, n, grid):
        """Per patch: image index, frame index, (row, col) in its frame, (row, col) of its merge block."""
        m = self.cfg.merge_size
        t, h, w = grid[:, 0], grid[:, 1], grid[:, 2]
        frame_size = h * w
        ends = torch.cumsum(t * frame_size, dim=0)
        starts = ends - t * frame_size
        index = torch.cumsum(torch.ones(n, dtype=torch.int64), dim=0) - 1  # arange(n), traced dynamically
        image = (index.unsqueeze(1) >= ends.unsqueeze(0)).to(torch.int64).sum(dim=1)
        local = index - starts[image]
        frame = floor_div(local, frame_size[image])
        q = local - frame * frame_size[image]
        blocks_per_row = floor_div(w[image], m)
        block = floor_div(q, m * m)
        block_row = floor_div(block, blocks_per_row)
        block_col = block - block_row * blocks_per_row
        within = q - block * m * m
        row = block_row * m + floor_div(within, m)
        col = block_col * m + (within - floor_div(within, m) * m)
        return image, frame, row, col, block_row, block_col

    def forward(self, pixel_values, grid):
        x = self.patch_embed(pixel_values)
        n = pixel_values.shape[0]
        image, frame, row, col, block_row, block_col = self.layout(n, grid)

        freqs = torch.cat([row.to(torch.float32).unsqueeze(1) * self.inv_freq,
                           col.to(torch.float32).unsqueeze(1) * self.inv_freq], dim=-1)  # [n, hd/2]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos, sin = emb.cos(), emb.sin()

        def same(v):
            return v.unsqueeze(1) == v.unsqueeze(0)

        full = same(image) & same(frame)  # attention never crosses images or frames
        windowed = full
        if self.cfg.variant == "qwen2_5_vl":
            units = self.cfg.window_units
            windowed = full & same(floor_div(block_row, units)) & same(floor_div(block_col, units))
        for i, blk in enumerate(self.blocks):
            use_full = self.cfg.variant != "qwen2_5_vl" or i in self.cfg.fullatt_blocks
            x = blk(x, cos, sin, full if use_full else windowed)

        merged = self.ln_q(x).reshape(-1, self.cfg.dim * self.cfg.merge_size ** 2)
        return self.merger_fc2(nn.functional.gelu(self.merger_fc1(merged)))


class EmbedTokens(nn.Module):
    def __init__(self, vocab_size, hidden):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab_size, hidden)

    def forward(self, input_ids):
        return self.embed_tokens(input_ids)


class TextConfig:
    def __init__(self, args, vocab_size):
        self.hidden = args.hidden
        self.intermediate = args.intermediate
        self.layers = args.layers
        self.heads = args.heads
        self.kv_heads = args.kv_heads
        self.head_dim = args.head_dim
        self.vocab_size = vocab_size
        self.rms_norm_eps = 1e-6
        self.rope_theta = args.rope_theta
        self.mrope_section = args.mrope_section


class Qwen2Attention(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.heads = cfg.heads
        self.kv_heads = cfg.kv_heads
        self.head_dim = cfg.head_dim
        # Qwen2: biases on q/k/v, none on o
        self.q_proj = nn.Linear(cfg.hidden, cfg.heads * cfg.head_dim)
        self.k_proj = nn.Linear(cfg.hidden, cfg.kv_heads * cfg.head_dim)
        self.v_proj = nn.Linear(cfg.hidden, cfg.kv_heads * cfg.head_dim)
        self.o_proj = nn.Linear(cfg.heads * cfg.head_dim, cfg.hidden, bias=False)

    def _repeat_kv(self, t):
        """GQA: each KV head serves heads / kv_heads consecutive query heads."""
        groups = self.heads // self.kv_heads
        if groups == 1:
            return t
        b, kv, n, d = t.shape
        return t.unsqueeze(2).expand(b, kv, groups, n, d).reshape(b, kv * groups, n, d)

    def forward(self, x, cos, sin, allowed, past_key, past_value):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        key = torch.cat([past_key, k], dim=2)
        value = torch.cat([past_value, v], dim=2)
        scores = torch.matmul(q, self._repeat_kv(key).transpose(-1, -2)) / math.sqrt(self.head_dim)
        # dtype minimum, not -inf: a fully masked row (a left-padding query) stays finite
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), self._repeat_kv(value))
        out = out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        return self.o_proj(out), key, value


class Qwen2Layer(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.input_layernorm = RmsNorm(cfg.hidden, cfg.rms_norm_eps)
        self.self_attn = Qwen2Attention(cfg)
        self.post_attention_layernorm = RmsNorm(cfg.hidden, cfg.rms_norm_eps)
        self.gate_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.up_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate, cfg.hidden, bias=False)

    def forward(self, x, cos, sin, allowed, past_key, past_value):
        attn, key, value = self.self_attn(self.input_layernorm(x), cos, sin, allowed, past_key, past_value)
        x = x + attn
        h = self.post_attention_layernorm(x)
        x = x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))
        return x, key, value


class Decoder(nn.Module):
    """Qwen2 decoder with M-RoPE over inputs_embeds and a concatenating KV cache.

    forward(inputs_embeds [b,s,h], attention_mask [b,past+s] int64, position_ids [3,b,s] int64,
    past_0_key, past_0_value, ...) -> (logits [b,s,vocab], present_0_key, present_0_value, ...)
    """

    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.layers = nn.ModuleList(Qwen2Layer(cfg) for _ in range(cfg.layers))
        self.norm = RmsNorm(cfg.hidden, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden, cfg.vocab_size, bias=False)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def rotary(self, position_ids):
        """cos/sin [b, 1, s, head_dim]: M-RoPE. Frequency slot j of the rotary half takes its angle
        from the temporal, height or width position row according to mrope_section (t first);
        the second half of head_dim repeats the first."""
        freqs = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq  # [3, b, s, hd/2]
        emb = torch.cat([freqs, freqs], dim=-1)  # [3, b, s, hd]
        chunks = emb.split(list(self.cfg.mrope_section) * 2, dim=-1)
        picked = torch.cat([chunk[i % 3] for i, chunk in enumerate(chunks)], dim=-1)  # [b, s, hd]
        return picked.cos().unsqueeze(1), picked.sin().unsqueeze(1)

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        cos, sin = self.rotary(position_ids)
        # Query i sits at absolute index total - s + i; it may see key j when j <= that index
        # and the key is not padding.
        total = attention_mask.shape[1]
        seq = inputs_embeds.shape[1]
        key_index = torch.arange(total, device=inputs_embeds.device)
        query_index = torch.arange(seq, device=inputs_embeds.device) + (total - seq)
        causal = key_index.unsqueeze(0) <= query_index.unsqueeze(1)  # [s, total]
        allowed = causal.unsqueeze(0).unsqueeze(0) & (attention_mask != 0).unsqueeze(1).unsqueeze(2)

        x = inputs_embeds
        presents = []
        for i, layer in enumerate(self.layers):
            x, key, value = layer(x, cos, sin, allowed, past[2 * i], past[2 * i + 1])
            presents += [key, value]
        return (self.lm_head(self.norm(x)), *presents)


# --------------------------------------------------------------------------------------------
# Weights and export


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Generate a random-weight Qwen2-VL / Qwen2.5-VL ONNX model directory.")
    p.add_argument("--variant", choices=sorted(VARIANTS), default="qwen2_vl")
    p.add_argument("--out", default=None, help="output directory (default: the variant's test fixture)")
    p.add_argument("--seed", type=int, default=None, help="default: the value picked for the fixture")
    p.add_argument("--merges", type=int, default=226, help="BPE merges learned from the corpus")
    p.add_argument("--vocab-multiple", type=int, default=64,
                   help="config vocab_size = tokenizer size rounded up to this (Qwen pads its embedding too)")
    p.add_argument("--hidden", type=int, default=64, help="text hidden size")
    p.add_argument("--intermediate", type=int, default=128, help="text MLP size")
    p.add_argument("--layers", type=int, default=2, help="text decoder layers")
    p.add_argument("--heads", type=int, default=4, help="text attention heads")
    p.add_argument("--kv-heads", type=int, default=2, help="text key/value heads (GQA)")
    p.add_argument("--head-dim", type=int, default=None, help="default: hidden / heads")
    p.add_argument("--rope-theta", type=float, default=100.0,
                   help="small so that height/width positions of image tokens move the logits at head_dim 16")
    p.add_argument("--mrope-section", type=int, nargs=3, default=None,
                   help="t h w frequency slots, summing to head_dim / 2 (default: 1/4, 3/8, 3/8 as in Qwen)")
    p.add_argument("--max-positions", type=int, default=4096)
    p.add_argument("--vision-hidden", type=int, default=32)
    p.add_argument("--vision-intermediate", type=int, default=64)
    p.add_argument("--vision-layers", type=int, default=2)
    p.add_argument("--vision-heads", type=int, default=2)
    p.add_argument("--patch-size", type=int, default=4)
    p.add_argument("--temporal-patch-size", type=int, default=2)
    p.add_argument("--merge-size", type=int, default=2)
    p.add_argument("--window-size", type=int, default=16, help="Qwen2.5-VL window side in pixels")
    p.add_argument("--fullatt-blocks", type=int, nargs="*", default=None,
                   help="Qwen2.5-VL vision layers with full attention (default: the last one)")
    p.add_argument("--min-pixels", type=int, default=256)
    p.add_argument("--max-pixels", type=int, default=4096)
    p.add_argument("--init-std", type=float, default=0.15, help="std of the random matrices (at fan-in 64)")
    p.add_argument("--embed-std", type=float, default=1.0, help="std of the token embedding")
    p.add_argument("--image-feature-scale", type=float, default=1.0,
                   help="scale of the vision merger's last layer, to bring image features near the token scale")
    p.add_argument("--ascii-byte-scale", type=float, default=0.6, help="lm_head row scale, ASCII byte tokens")
    p.add_argument("--high-byte-scale", type=float, default=0.3, help="lm_head row scale, bytes >= 0x80")
    p.add_argument("--eos-scale", type=float, default=None,
                   help="lm_head row scale of <|im_end|> and <|endoftext|> (default: the value picked for the fixture)")
    p.add_argument("--self-check", action="store_true",
                   help="only compare the vision tower with the reference's loop/reorder algorithm, write nothing")
    p.add_argument("--logit-scale", type=float, default=3.0,
                   help="scale of the whole lm_head: wider top-1/top-2 logit margins, so float noise cannot flip greedy picks")
    args = p.parse_args(argv)
    variant = VARIANTS[args.variant]
    args.out = args.out or variant["out"]
    args.seed = variant["seed"] if args.seed is None else args.seed
    args.eos_scale = variant["eos_scale"] if args.eos_scale is None else args.eos_scale
    if args.head_dim is None:
        args.head_dim = args.hidden // args.heads
    half = args.head_dim // 2
    if args.mrope_section is None:
        t = half // 4
        if (half - t) % 2:
            p.error("cannot derive --mrope-section for this head_dim; pass it")
        args.mrope_section = [t, (half - t) // 2, (half - t) // 2]
    if sum(args.mrope_section) != half:
        p.error("--mrope-section must sum to head_dim / 2")
    if args.heads % args.kv_heads:
        p.error("--heads must be a multiple of --kv-heads")
    if (args.vision_hidden // args.vision_heads) % 4:
        p.error("vision head dim must be a multiple of 4 (2-D rotary)")
    if args.fullatt_blocks is None:
        args.fullatt_blocks = [args.vision_layers - 1]
    if args.window_size % (args.patch_size * args.merge_size):
        p.error("--window-size must be a multiple of patch_size * merge_size")
    return args


def init_weights(modules, args):
    """Seeded init with one scale for all matrices, independent of module construction order."""
    gen = torch.Generator().manual_seed(args.seed)
    for module in modules:
        for name, param in module.named_parameters():
            with torch.no_grad():
                if ("norm" in name or "ln_q" in name) and name.endswith("weight"):
                    param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=gen))
                elif name.endswith("embed_tokens.weight"):
                    param.copy_(args.embed_std * torch.randn(param.shape, generator=gen))
                elif name.endswith("bias"):
                    param.copy_(0.02 * torch.randn(param.shape, generator=gen))
                else:
                    fan_in = param.shape[1]
                    param.copy_(args.init_std * (64.0 / fan_in) ** 0.5 * torch.randn(param.shape, generator=gen))


def shape_output_head(decoder, tok, args):
    """Rescales lm_head rows so greedy output of random weights reads like text.

    Added tokens other than the two stop tokens, and the padding rows past the tokenizer, get
    zero rows (logit 0 against a max of hundreds of random logits), so greedy decoding never
    emits them; single-byte tokens get smaller rows so learned words dominate.
    """
    with torch.no_grad():
        rows = decoder.lm_head.weight
        stop = {tok.id("<|im_end|>"), tok.id("<|endoftext|>")}
        for token_id in tok.ids.values():
            if token_id not in stop:
                rows[token_id].zero_()
        rows[tok.size:].zero_()
        for byte, token_id in tok.byte_ids().items():
            rows[token_id] *= args.ascii_byte_scale if byte < 0x80 else args.high_byte_scale
        for token_id in stop:
            rows[token_id] *= args.eos_scale
        rows *= args.logit_scale


def export_models(out, args, tok, vision_cfg, text_cfg):
    vision = VisionEncoder(vision_cfg).eval()
    embed = EmbedTokens(text_cfg.vocab_size, text_cfg.hidden).eval()
    decoder = Decoder(text_cfg).eval()
    init_weights([vision, embed, decoder], args)
    with torch.no_grad():
        vision.merger_fc2.weight.mul_(args.image_feature_scale)
    shape_output_head(decoder, tok, args)
    onnx_dir = os.path.join(out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)

    # Trace with two images of different grids (one with two frames) so nothing is specialised.
    m = vision_cfg.merge_size
    grid = torch.tensor([[1, 2 * m, 3 * m], [2, m, m]], dtype=torch.int64)
    patches = int((grid[:, 0] * grid[:, 1] * grid[:, 2]).sum())
    grid_name = VARIANTS[args.variant]["grid_input"]
    export(vision, (torch.randn(patches, vision_cfg.patch_dim), grid), os.path.join(onnx_dir, "vision_encoder.onnx"),
           ["pixel_values", grid_name], ["image_features"],
           {"pixel_values": {0: "num_patches"}, grid_name: {0: "num_images"},
            "image_features": {0: "num_image_tokens"}},
           static_dims={"pixel_values": {1: vision_cfg.patch_dim}, grid_name: {1: 3},
                        "image_features": {1: text_cfg.hidden}})

    input_ids = torch.randint(0, text_cfg.vocab_size, (2, 5))
    export(embed, (input_ids,), os.path.join(onnx_dir, "embed_tokens.onnx"),
           ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "inputs_embeds": {0: "batch_size", 1: "sequence_length"}},
           static_dims={"inputs_embeds": {2: text_cfg.hidden}})

    # Trace with a non-empty past and more than one new token so no length gets specialised.
    batch, past_len, seq = 2, 3, 4
    past = []
    input_names = ["inputs_embeds", "attention_mask", "position_ids"]
    output_names = ["logits"]
    dynamic_axes = {
        "inputs_embeds": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {1: "batch_size", 2: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    static_dims = {"inputs_embeds": {2: text_cfg.hidden}, "position_ids": {0: 3},
                   "logits": {2: text_cfg.vocab_size}}
    for i in range(text_cfg.layers):
        for kind in ("key", "value"):
            past.append(torch.randn(batch, text_cfg.kv_heads, past_len, text_cfg.head_dim))
            # transformers.js sizes the empty first-step cache from these symbolic dim names:
            # only "batch_size" is filled in, every other symbolic dim becomes 0.
            name = f"past_key_values.{i}.{kind}"
            input_names.append(name)
            dynamic_axes[name] = {0: "batch_size", 2: "past_sequence_length"}
            static_dims[name] = {1: text_cfg.kv_heads, 3: text_cfg.head_dim}
            name = f"present.{i}.{kind}"
            output_names.append(name)
            dynamic_axes[name] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
            static_dims[name] = {1: text_cfg.kv_heads, 3: text_cfg.head_dim}
    positions = torch.arange(past_len, past_len + seq, dtype=torch.int64).expand(3, batch, seq).contiguous()
    inputs = (torch.randn(batch, seq, text_cfg.hidden),
              torch.ones(batch, past_len + seq, dtype=torch.int64),
              positions,
              *past)
    export(decoder, inputs, os.path.join(onnx_dir, "decoder_model_merged.onnx"),
           input_names, output_names, dynamic_axes, external_data=DECODER_DATA, static_dims=static_dims)


def self_check(args):
    """Compares the vision tower with a loop-based transcription of the reference algorithm:
    per-image (row, col) positions built image by image, and for Qwen2.5-VL the reorder into
    windows, attention within windows / frames given as cumulative lengths, and the reorder
    back. Raises AssertionError on a mismatch."""
    cfg = VisionConfig(args)
    encoder = VisionEncoder(cfg).eval()
    init_weights([encoder], args)
    m, unit = cfg.merge_size, cfg.merge_size ** 2
    grid = torch.tensor([[1, 6 * m // 2, 10 * m // 2], [2, 2 * m, 2 * m], [1, 4 * m, 4 * m]])
    n = int((grid[:, 0] * grid[:, 1] * grid[:, 2]).sum())
    pixels = torch.randn(n, cfg.patch_dim, generator=torch.Generator().manual_seed(0))

    rows, cols = [], []
    for t, h, w in grid.tolist():
        r = torch.arange(h).unsqueeze(1).expand(h, w).reshape(h // m, m, w // m, m).permute(0, 2, 1, 3).flatten()
        c = torch.arange(w).unsqueeze(0).expand(h, w).reshape(h // m, m, w // m, m).permute(0, 2, 1, 3).flatten()
        rows += r.tolist() * t
        cols += c.tolist() * t
    _, _, row, col, _, _ = encoder.layout(n, grid)
    assert row.tolist() == rows and col.tolist() == cols, "patch positions differ from the reference"

    def block_mask(lengths):
        segment = torch.repeat_interleave(torch.arange(len(lengths)), torch.tensor(lengths))
        return segment.unsqueeze(1) == segment.unsqueeze(0)

    frames = torch.repeat_interleave(grid[:, 1] * grid[:, 2], grid[:, 0]).tolist()
    order = torch.arange(n // unit)  # merged units in processor order
    window_lengths = frames
    if args.variant == "qwen2_5_vl":
        units, order, window_lengths, base = cfg.window_units, [], [], 0
        for t, h, w in grid.tolist():
            gh, gw = h // m, w // m
            for f in range(t):
                index = torch.arange(gh * gw).reshape(gh, gw) + base + f * gh * gw
                for wr in range(0, gh, units):
                    for wc in range(0, gw, units):
                        window = index[wr:wr + units, wc:wc + units].flatten()
                        order += window.tolist()
                        window_lengths.append(len(window) * unit)
            base += t * gh * gw
        order = torch.tensor(order)
    patch_order = (order.unsqueeze(1) * unit + torch.arange(unit)).flatten()
    with torch.no_grad():
        expected = encoder(pixels, grid)
        x = encoder.patch_embed(pixels)[patch_order]
        freqs = torch.cat([row.float().unsqueeze(1) * encoder.inv_freq, col.float().unsqueeze(1) * encoder.inv_freq], -1)
        emb = torch.cat([freqs, freqs], dim=-1)[patch_order]
        full, windowed = block_mask(frames), block_mask(window_lengths)
        for i, block in enumerate(encoder.blocks):
            use_full = args.variant != "qwen2_5_vl" or i in cfg.fullatt_blocks
            x = block(x, emb.cos(), emb.sin(), full if use_full else windowed)
        merged = encoder.ln_q(x).reshape(-1, cfg.dim * unit)
        actual = encoder.merger_fc2(nn.functional.gelu(encoder.merger_fc1(merged)))[torch.argsort(order)]
    diff = (actual - expected).abs().max().item()
    assert diff < 1e-4, f"vision tower differs from the reference by {diff}"
    print(f"self-check {args.variant}: vision tower matches the reference algorithm (max |diff| {diff:.1e})")


# --------------------------------------------------------------------------------------------
# Config files


def text_fields(args, tok, text_cfg):
    return {
        "hidden_size": text_cfg.hidden,
        "intermediate_size": text_cfg.intermediate,
        "num_hidden_layers": text_cfg.layers,
        "num_attention_heads": text_cfg.heads,
        "num_key_value_heads": text_cfg.kv_heads,
        "head_dim": text_cfg.head_dim,
        "hidden_act": "silu",
        "max_position_embeddings": args.max_positions,
        "max_window_layers": text_cfg.layers,
        "rms_norm_eps": text_cfg.rms_norm_eps,
        "rope_theta": text_cfg.rope_theta,
        "rope_scaling": {"type": "mrope", "rope_type": "default", "mrope_section": list(text_cfg.mrope_section)},
        "sliding_window": args.max_positions,
        "use_sliding_window": False,
        "attention_dropout": 0.0,
        "tie_word_embeddings": False,
        "use_cache": True,
        "vocab_size": text_cfg.vocab_size,
        "bos_token_id": tok.id("<|endoftext|>"),
        "eos_token_id": tok.id("<|im_end|>"),
        "torch_dtype": "float32",
    }


def vision_fields(args, vision_cfg):
    common = {
        "depth": vision_cfg.depth,
        "num_heads": vision_cfg.heads,
        "in_chans": vision_cfg.channels,
        "in_channels": vision_cfg.channels,
        "patch_size": vision_cfg.patch_size,
        "spatial_patch_size": vision_cfg.patch_size,
        "spatial_merge_size": vision_cfg.merge_size,
        "temporal_patch_size": vision_cfg.temporal_patch_size,
    }
    if args.variant == "qwen2_5_vl":
        return {
            "model_type": "qwen2_5_vl",
            **common,
            "hidden_size": vision_cfg.dim,
            "intermediate_size": vision_cfg.intermediate,
            "out_hidden_size": vision_cfg.out_dim,
            "hidden_act": "silu",
            "window_size": vision_cfg.window_size,
            "fullatt_block_indexes": list(vision_cfg.fullatt_blocks),
            "tokens_per_second": 2,
        }
    return {
        "model_type": "qwen2_vl",
        **common,
        "embed_dim": vision_cfg.dim,
        "mlp_ratio": vision_cfg.intermediate / vision_cfg.dim,
        "hidden_size": vision_cfg.out_dim,  # Qwen2-VL names the merger's output size hidden_size
        "hidden_act": "quick_gelu",
    }


def model_config(args, tok, vision_cfg, text_cfg):
    config = {
        "architectures": [VARIANTS[args.variant]["architecture"]],
        "model_type": args.variant,
        **text_fields(args, tok, text_cfg),
        "vision_start_token_id": tok.id("<|vision_start|>"),
        "vision_end_token_id": tok.id("<|vision_end|>"),
        "vision_token_id": tok.id("<|vision_pad|>"),
        "image_token_id": tok.id("<|image_pad|>"),
        "video_token_id": tok.id("<|video_pad|>"),
        "vision_config": vision_fields(args, vision_cfg),
        "transformers.js_config": {"use_external_data_format": {"decoder_model_merged.onnx": 1}},
    }
    if args.variant == "qwen2_5_vl":
        # transformers.js reads the decoder's KV layout for qwen2_5_vl from text_config
        # (configs.js); Qwen2-VL's is read from the top level, as in the original flat config.
        config["text_config"] = {"model_type": "qwen2_5_vl_text", **text_fields(args, tok, text_cfg)}
    return config


def preprocessor_config(args):
    return {
        "image_processor_type": "Qwen2VLImageProcessor",
        "processor_class": VARIANTS[args.variant]["processor_class"],
        "do_convert_rgb": True,
        "do_resize": True,
        "resample": 3,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
        "min_pixels": args.min_pixels,
        "max_pixels": args.max_pixels,
        "size": {"shortest_edge": args.min_pixels, "longest_edge": args.max_pixels},
        "patch_size": args.patch_size,
        "temporal_patch_size": args.temporal_patch_size,
        "merge_size": args.merge_size,
    }


def processor_config(args):
    return {"processor_class": VARIANTS[args.variant]["processor_class"]}


def tokenizer_config(tok, args):
    return {
        "tokenizer_class": "Qwen2Tokenizer",
        "add_prefix_space": False,
        "bos_token": None,
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "additional_special_tokens": [t for t, special in tok.added if special and t != "<|endoftext|>"],
        "errors": "replace",
        "split_special_tokens": False,
        "padding_side": "left",
        "clean_up_tokenization_spaces": False,
        "model_max_length": args.max_positions,
        "added_tokens_decoder": tok.added_tokens_decoder(),
        "chat_template": CHAT_TEMPLATE,
    }


def generation_config(tok):
    # The real files also carry sampling defaults (temperature, top_p, repetition_penalty);
    # left out so that greedy goldens are plain argmax.
    return {
        "bos_token_id": tok.id("<|endoftext|>"),
        "eos_token_id": [tok.id("<|im_end|>"), tok.id("<|endoftext|>")],
        "pad_token_id": tok.id("<|endoftext|>"),
    }


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    if args.self_check:
        self_check(args)
        return
    tok = QwenTokenizerSpec(args.merges, args.variant)
    vocab_size = -(-tok.size // args.vocab_multiple) * args.vocab_multiple
    text_cfg = TextConfig(args, vocab_size)
    vision_cfg = VisionConfig(args)
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "config.json"), model_config(args, tok, vision_cfg, text_cfg))
    write_json(os.path.join(args.out, "generation_config.json"), generation_config(tok))
    write_json(os.path.join(args.out, "preprocessor_config.json"), preprocessor_config(args))
    write_json(os.path.join(args.out, "processor_config.json"), processor_config(args))
    write_json(os.path.join(args.out, "tokenizer.json"), tok.tokenizer_json())
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(tok, args))
    export_models(args.out, args, tok, vision_cfg, text_cfg)
    print(f"wrote {args.out}: tokenizer {tok.size} tokens (<|image_pad|> {tok.id('<|image_pad|>')}), "
          f"model vocab {vocab_size}")


if __name__ == "__main__":
    main()
