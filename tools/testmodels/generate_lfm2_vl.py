#!/usr/bin/python3
"""Writes a random-weight LFM2-VL model in the ONNX export layout that transformers.js loads.

Deterministic for a given seed and arguments: running it twice writes identical files.
Defaults make the tiny test fixture (testdata/models/tiny-lfm2-vl); every size is a flag, e.g.

    /usr/bin/python3 tools/testmodels/generate_lfm2_vl.py --out /tmp/bench-lfm2-vl \\
        --hidden 512 --intermediate 1536 --layer-types conv,conv,full_attention,conv,conv,full_attention

Layout written (the one of LFM2-VL exports for transformers.js, `model_type` lfm2_vl):
    config.json, generation_config.json, preprocessor_config.json, processor_config.json,
    tokenizer.json, tokenizer_config.json,
    onnx/vision_encoder.onnx    pixel_values + pixel_attention_mask + spatial_shapes -> image_features
    onnx/embed_tokens.onnx      input_ids -> inputs_embeds
    onnx/decoder_model_merged.onnx (+ .onnx_data)
                                inputs_embeds + attention_mask + past_conv.{i} / past_key_values.{i}.*
                                -> logits + present_conv.{i} / present.{i}.*

The math follows the Hugging Face definitions of LFM2-VL (SigLIP2 NaFlex vision tower,
pixel-unshuffle + MLP projector, LFM2 hybrid short-convolution / attention decoder); the
vectorised vision graph is checked against a per-tile reference before export.
See tools/testmodels/LFM2_VL.md for the IO contract and the preprocessing pipeline.
"""
import argparse
import json
import math
import os
import sys

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe_tokenizer import CORPUS, bytes_to_unicode, train_merges  # noqa: E402
from onnx_export import fix_dims, save, trace  # noqa: E402

DECODER_DATA = "decoder_model_merged.onnx_data"
SIGLIP_MEAN_STD = [0.5, 0.5, 0.5]

# Written in the style of LFM2-VL's ChatML template: BOS from the template, one
# "<|im_start|>role\n...<|im_end|>\n" block per message, content parts rendered in their
# order ("<image>" where an image part is), and "<|im_start|>assistant\n" as generation
# prompt. One line without whitespace control, so every Jinja implementation renders it alike.
CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' }}"
    "{% if message['content'] is string %}{{ message['content'] }}{% else %}"
    "{% for item in message['content'] %}"
    "{% if item['type'] == 'image' %}{{ '<image>' }}"
    "{% elif item['type'] == 'text' %}{{ item['text'] }}{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "{{ '<|im_end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


# ----------------------------------------------------------------------------- tokenizer

class Lfm2Tokenizer:
    """Byte-level BPE with LFM2-VL's special tokens.

    Ids: <|pad|> 0, <|startoftext|> 1 (BOS), <|endoftext|> 2, <|im_start|> 3, <|im_end|> 4 (EOS),
    the 256 single bytes, learned merges, then <image>, <|image_start|>, <|image_end|>,
    <|img_thumbnail|> and <|img_row_R_col_C|> for R, C in 1..max_tiles.
    """

    LEADING = ("<|pad|>", "<|startoftext|>", "<|endoftext|>", "<|im_start|>", "<|im_end|>")
    IMAGE = ("<image>", "<|image_start|>", "<|image_end|>", "<|img_thumbnail|>")

    def __init__(self, vocab_size, max_tiles):
        self.tile_tokens = [f"<|img_row_{r}_col_{c}|>" for r in range(1, max_tiles + 1)
                            for c in range(1, max_tiles + 1)]
        trailing = list(self.IMAGE) + self.tile_tokens
        base = len(self.LEADING) + 256
        merges = train_merges(CORPUS, max(0, vocab_size - base - len(trailing)))
        table = bytes_to_unicode()
        self.vocab = {}
        for token in self.LEADING:
            self.vocab[token] = len(self.vocab)
        for b in range(256):
            self.vocab[table[b]] = len(self.vocab)
        self.merges = []
        for a, b in merges:
            self.merges.append((a, b))
            if a + b not in self.vocab:  # two different merges may build the same string
                self.vocab[a + b] = len(self.vocab)
        for token in trailing:
            self.vocab[token] = len(self.vocab)
        self.size = len(self.vocab)
        self.specials = list(self.LEADING) + trailing

    def id(self, token):
        return self.vocab[token]

    @property
    def pad_id(self):
        return self.vocab["<|pad|>"]

    @property
    def bos_id(self):
        return self.vocab["<|startoftext|>"]

    @property
    def eos_id(self):
        return self.vocab["<|im_end|>"]

    @property
    def image_id(self):
        return self.vocab["<image>"]

    def byte_ids(self):
        """byte value -> id of its single-byte token."""
        table = bytes_to_unicode()
        return {b: self.vocab[table[b]] for b in range(256)}

    def tokenizer_json(self):
        added = [{"id": self.vocab[c], "content": c, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for c in self.specials]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": byte_level,
            # No post-processor: BOS comes from the chat template, so tokenizing the rendered
            # prompt with or without special tokens gives the same ids.
            "post_processor": None,
            "decoder": dict(byte_level),
            "model": {
                "type": "BPE",
                "dropout": None,
                "unk_token": None,
                "continuing_subword_prefix": None,
                "end_of_word_suffix": None,
                "fuse_unk": False,
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def added_tokens_decoder(self):
        return {str(self.vocab[c]): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                                     "single_word": False, "special": True} for c in self.specials}


# ----------------------------------------------------------------------------- configs

class VisionConfig:
    def __init__(self, args):
        self.hidden_size = args.vision_hidden
        self.intermediate_size = args.vision_intermediate
        self.num_hidden_layers = args.vision_layers
        self.num_attention_heads = args.vision_heads
        self.patch_size = args.patch_size
        self.num_patches = args.position_grid ** 2  # learned position grid, resized per image
        self.num_channels = 3
        self.layer_norm_eps = 1e-6


class TextConfig:
    def __init__(self, args, vocab_size):
        self.hidden_size = args.hidden
        self.intermediate_size = args.intermediate
        self.layer_types = args.layer_types
        self.num_hidden_layers = len(args.layer_types)
        self.num_attention_heads = args.heads
        self.num_key_value_heads = args.kv_heads
        self.head_dim = args.hidden // args.heads
        self.vocab_size = vocab_size
        self.norm_eps = 1e-5
        self.rope_theta = args.rope_theta
        self.conv_l_cache = args.conv_cache


class ImageConfig:
    """The processor settings that the vision graph and the token counts depend on."""

    def __init__(self, args):
        self.patch_size = args.patch_size
        self.downsample_factor = 2
        self.tile_size = args.tile_size
        self.min_image_tokens = args.min_image_tokens
        self.max_image_tokens = args.max_image_tokens
        self.min_tiles = args.min_tiles
        self.max_tiles = args.max_tiles
        self.max_num_patches = max(args.max_image_tokens * self.downsample_factor ** 2,
                                   (args.tile_size // args.patch_size) ** 2)


# ----------------------------------------------------------------------------- vision tower

class RmsNorm(nn.Module):
    def __init__(self, size, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(size))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


class SiglipAttention(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x, key_valid):
        b, n, d = x.shape

        def split(t):
            return t.view(b, n, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        # Padding patches are never attended to; padding queries still see the real patches,
        # so every row stays finite.
        scores = scores.masked_fill(~key_valid[:, None, None, :], torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out_proj(out.transpose(1, 2).reshape(b, n, d))


class SiglipLayer(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.self_attn = SiglipAttention(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x, key_valid):
        x = x + self.self_attn(self.layer_norm1(x), key_valid)
        return x + self.fc2(F.gelu(self.fc1(self.layer_norm2(x)), approximate="tanh"))


def resize_weights(out_index, out_size, in_size):
    """Weights [.., in_size] of bilinear resizing with antialias (as torch's
    interpolate(mode='bilinear', align_corners=False, antialias=True)) for output
    coordinates `out_index` of an axis resized from `in_size` to `out_size`.

    Triangle filter of half-width max(1, scale) centred on (i + 0.5) * scale, normalised:
    plain bilinear when enlarging, an averaging filter when shrinking.
    """
    scale = in_size / out_size
    support = torch.clamp(scale, min=1.0)
    center = (out_index + 0.5) * scale
    source = torch.arange(in_size, dtype=torch.float32) + 0.5
    weights = torch.clamp(1.0 - torch.abs(source - center.unsqueeze(-1)) / support.unsqueeze(-1), min=0.0)
    return weights / weights.sum(-1, keepdim=True)


class VisionEncoder(nn.Module):
    """SigLIP2 NaFlex tower + pixel unshuffle + projector, over a batch of padded tiles.

    forward(pixel_values [T, N, 3*p*p] float32, pixel_attention_mask [T, N] int64,
            spatial_shapes [T, 2] int64 (patch rows, patch cols))
      -> image_features [sum over tiles of (rows/2)*(cols/2), text_hidden] float32

    Every tile may have its own shape; only its first rows*cols patches are real.
    """

    def __init__(self, cfg: VisionConfig, projector_hidden, text_hidden):
        super().__init__()
        self.cfg = cfg
        self.grid = int(round(math.sqrt(cfg.num_patches)))
        self.factor = 2
        c = cfg.hidden_size
        self.patch_embedding = nn.Linear(cfg.num_channels * cfg.patch_size ** 2, c)
        self.position_embedding = nn.Embedding(cfg.num_patches, c)
        self.layers = nn.ModuleList(SiglipLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.post_layernorm = nn.LayerNorm(c, eps=cfg.layer_norm_eps)
        merged = c * self.factor ** 2
        self.layer_norm = nn.LayerNorm(merged)
        self.linear_1 = nn.Linear(merged, projector_hidden)
        self.linear_2 = nn.Linear(projector_hidden, text_hidden)

    def position_embeddings(self, spatial_shapes, num_patches):
        """The learned grid resized to each tile's (rows, cols), laid out row-major over patches."""
        rows = spatial_shapes[:, 0:1].to(torch.float32)  # [T, 1]
        cols = spatial_shapes[:, 1:2].to(torch.float32)
        n = torch.arange(num_patches, dtype=torch.float32).unsqueeze(0)  # [1, N]
        row = torch.floor(n / cols)
        col = n - row * cols
        row = torch.minimum(row, rows - 1.0)  # padding patches: any finite value will do
        w_row = resize_weights(row, rows, self.grid)  # [T, N, G]
        w_col = resize_weights(col, cols, self.grid)
        pair = (w_row.unsqueeze(-1) * w_col.unsqueeze(-2)).flatten(2)  # [T, N, G*G]
        return torch.matmul(pair, self.position_embedding.weight)

    def forward(self, pixel_values, pixel_attention_mask, spatial_shapes):
        num_patches = pixel_values.shape[1]
        key_valid = pixel_attention_mask != 0
        x = self.patch_embedding(pixel_values) + self.position_embeddings(spatial_shapes, num_patches)
        for layer in self.layers:
            x = layer(x, key_valid)
        x = self.post_layernorm(x)  # [T, N, C]

        # Pixel unshuffle as a gather: output token m of a tile (rows x cols patches) sits at
        # (i, j) = divmod(m, cols/2) and concatenates the patches (2i+dy, 2j+dx) in the
        # order dy, dx (channel index (dy*2 + dx)*C + c, as Hugging Face's reshapes give).
        rows = spatial_shapes[:, 0:1]
        cols = spatial_shapes[:, 1:2]
        out_cols = torch.div(cols, self.factor, rounding_mode="floor")
        out_rows = torch.div(rows, self.factor, rounding_mode="floor")
        m = torch.div(torch.arange(0, num_patches, self.factor ** 2), self.factor ** 2,
                      rounding_mode="floor").unsqueeze(0)  # [1, M], M = N / 4
        i = torch.div(m, out_cols, rounding_mode="floor")
        j = m - i * out_cols
        sources = []
        for dy in range(self.factor):
            for dx in range(self.factor):
                sources.append((self.factor * i + dy) * cols + (self.factor * j + dx))
        index = torch.stack(sources, dim=-1)  # [T, M, 4]
        index = torch.clamp(index, max=num_patches - 1)  # slots past the tile's tokens
        t, mm, k = index.shape
        gathered = torch.gather(x, 1, index.reshape(t, mm * k, 1).expand(t, mm * k, x.shape[-1]))
        merged = gathered.reshape(t, mm, k * x.shape[-1])
        features = self.linear_2(F.gelu(self.linear_1(self.layer_norm(merged))))  # [T, M, D]

        valid = (m < out_rows * out_cols).reshape(-1)  # tile-major, row-major inside a tile
        keep = torch.nonzero(valid).squeeze(1)
        return features.reshape(t * mm, features.shape[-1]).index_select(0, keep)

    # -- reference, one tile at a time, written after the Hugging Face model (self-check only)
    def reference(self, pixel_values, pixel_attention_mask, spatial_shapes):
        outputs = []
        grid = self.position_embedding.weight.reshape(self.grid, self.grid, -1).permute(2, 0, 1).unsqueeze(0)
        for t in range(pixel_values.shape[0]):
            h, w = (int(v) for v in spatial_shapes[t])
            length = int(pixel_attention_mask[t].sum())
            pos = F.interpolate(grid, size=(h, w), mode="bilinear", align_corners=False, antialias=True)
            pos = pos.reshape(pos.shape[1], h * w).transpose(0, 1)
            x = self.patch_embedding(pixel_values[t:t + 1, :length]) + pos.unsqueeze(0)
            valid = torch.ones(1, length, dtype=torch.bool)
            for layer in self.layers:
                x = layer(x, valid)
            x = self.post_layernorm(x).reshape(1, h, w, -1)
            c = x.shape[-1]
            x = x.reshape(1, h, w // 2, c * 2).permute(0, 2, 1, 3)
            x = x.reshape(1, w // 2, h // 2, c * 4).permute(0, 2, 1, 3)
            y = self.linear_2(F.gelu(self.linear_1(self.layer_norm(x))))
            outputs.append(y.reshape(-1, y.shape[-1]))
        return torch.cat(outputs, dim=0)


# ----------------------------------------------------------------------------- decoder

class EmbedTokens(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)

    def forward(self, input_ids):
        return self.embed_tokens(input_ids)


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Lfm2Attention(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.kv_heads = cfg.num_key_value_heads
        self.head_dim = cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.out_proj = nn.Linear(self.heads * self.head_dim, cfg.hidden_size, bias=False)
        self.q_layernorm = RmsNorm(self.head_dim, cfg.norm_eps)
        self.k_layernorm = RmsNorm(self.head_dim, cfg.norm_eps)

    def _repeat_kv(self, t):
        """GQA: each KV head serves heads / kv_heads consecutive query heads."""
        groups = self.heads // self.kv_heads
        if groups == 1:
            return t
        b, kv, n, d = t.shape
        return t.unsqueeze(2).expand(b, kv, groups, n, d).reshape(b, kv * groups, n, d)

    def forward(self, x, cos, sin, allowed, past_key, past_value):
        b, s, _ = x.shape
        q = self.q_layernorm(self.q_proj(x).view(b, s, self.heads, self.head_dim)).transpose(1, 2)
        k = self.k_layernorm(self.k_proj(x).view(b, s, self.kv_heads, self.head_dim)).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        key = torch.cat([past_key, k], dim=2)
        value = torch.cat([past_value, v], dim=2)
        scores = torch.matmul(q, self._repeat_kv(key).transpose(-1, -2)) / math.sqrt(self.head_dim)
        # masked_fill with the dtype minimum: a fully masked row (a left-padding query) stays finite.
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), self._repeat_kv(value))
        out = out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        return self.out_proj(out), key, value


class Lfm2ShortConv(nn.Module):
    """Gated depthwise causal convolution: out_proj(C * conv(B * x)), kernel conv_L_cache.

    The state is the last L values of B*x ([batch, hidden, L], oldest first), zeros at the start.
    A chunk of s tokens convolves [state, B*x] and hands on its last L columns, so prefill,
    chunked prefill and one-token steps agree.
    """

    def __init__(self, cfg: TextConfig):
        super().__init__()
        h = cfg.hidden_size
        self.l_cache = cfg.conv_l_cache
        self.in_proj = nn.Linear(h, 3 * h, bias=False)
        self.conv = nn.Conv1d(h, h, kernel_size=cfg.conv_l_cache, groups=h, bias=False)
        self.out_proj = nn.Linear(h, h, bias=False)

    def forward(self, x, new_mask, past_state):
        # Zeroing padding positions (in_proj has no bias) makes them contribute nothing, exactly
        # as the zero initial state of a row that has no padding.
        x = x * new_mask.unsqueeze(-1)
        bcx = self.in_proj(x).transpose(1, 2)  # [b, 3h, s]
        b_gate, c_gate, x_in = bcx.chunk(3, dim=1)
        bx = b_gate * x_in
        window = torch.cat([past_state, bx], dim=2)  # [b, h, L + s]
        conv = F.conv1d(window[:, :, 1:], self.conv.weight, groups=bx.shape[1])  # [b, h, s]
        y = (c_gate * conv).transpose(1, 2)
        return self.out_proj(y), window[:, :, -self.l_cache:]


class Lfm2Layer(nn.Module):
    def __init__(self, cfg: TextConfig, layer_type):
        super().__init__()
        self.is_attention = layer_type == "full_attention"
        self.operator_norm = RmsNorm(cfg.hidden_size, cfg.norm_eps)
        if self.is_attention:
            self.self_attn = Lfm2Attention(cfg)
        else:
            self.conv = Lfm2ShortConv(cfg)
        self.ffn_norm = RmsNorm(cfg.hidden_size, cfg.norm_eps)
        self.w1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.w3 = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.w2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x, ctx, cache):
        h = self.operator_norm(x)
        if self.is_attention:
            out, key, value = self.self_attn(h, ctx["cos"], ctx["sin"], ctx["allowed"], *cache)
            new_cache = (key, value)
        else:
            out, state = self.conv(h, ctx["new_mask"], *cache)
            new_cache = (state,)
        x = x + out
        h = self.ffn_norm(x)
        return x + self.w2(F.silu(self.w1(h)) * self.w3(h)), new_cache


class Decoder(nn.Module):
    """LFM2 hybrid decoder over inputs_embeds.

    forward(inputs_embeds [b,s,h], attention_mask [b,past+s] int64, *cache) -> (logits [b,s,vocab], *new cache)
    where the cache holds, layer by layer, one conv state [b,h,L] for a conv layer or a key and
    a value [b,kv_heads,past,head_dim] for an attention layer. There is no position_ids input:
    positions are cumsum(attention_mask) - 1, so left padding does not shift them.
    """

    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.layers = nn.ModuleList(Lfm2Layer(cfg, t) for t in cfg.layer_types)
        self.embedding_norm = RmsNorm(cfg.hidden_size, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, inputs_embeds, attention_mask, *cache):
        total = attention_mask.shape[1]
        seq = inputs_embeds.shape[1]
        new_mask = attention_mask[:, total - seq:]
        positions = torch.cumsum(attention_mask, dim=1)[:, total - seq:] - 1
        positions = positions.masked_fill(new_mask == 0, 1)
        freqs = positions.to(torch.float32).unsqueeze(-1) * self.inv_freq  # [b, s, d/2]
        emb = torch.cat([freqs, freqs], dim=-1)

        # Query i sits at absolute index total - s + i; it may see key j when j <= that index
        # and the key is not padding.
        key_index = torch.arange(total)
        query_index = torch.arange(seq) + (total - seq)
        causal = key_index.unsqueeze(0) <= query_index.unsqueeze(1)
        ctx = {
            "cos": emb.cos().unsqueeze(1),
            "sin": emb.sin().unsqueeze(1),
            "allowed": causal.unsqueeze(0).unsqueeze(0) & (attention_mask != 0).unsqueeze(1).unsqueeze(2),
            "new_mask": new_mask.to(inputs_embeds.dtype),
        }
        x = inputs_embeds
        outputs = []
        cursor = 0
        for layer in self.layers:
            width = 2 if layer.is_attention else 1
            x, new_cache = layer(x, ctx, cache[cursor:cursor + width])
            cursor += width
            outputs.extend(new_cache)
        return (self.lm_head(self.embedding_norm(x)), *outputs)


# ----------------------------------------------------------------------------- weights

def init_weights(modules, args):
    """Seeded init with one scale for all matrices (explicit, not the construction-order RNG)."""
    gen = torch.Generator().manual_seed(args.seed)
    for module in modules:
        for name, param in module.named_parameters():
            with torch.no_grad():
                if ("norm" in name) and name.endswith("weight"):
                    param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=gen))
                elif name.endswith("embed_tokens.weight"):
                    param.copy_(args.embed_std * torch.randn(param.shape, generator=gen))
                elif name.endswith("position_embedding.weight"):
                    param.copy_(0.5 * torch.randn(param.shape, generator=gen))
                elif name.endswith("bias"):
                    param.copy_(0.02 * torch.randn(param.shape, generator=gen))
                elif name.endswith("conv.weight"):
                    param.copy_(args.conv_std * torch.randn(param.shape, generator=gen))
                else:
                    fan_in = param.shape[1] if param.dim() == 2 else 1
                    scale = args.init_std * (64.0 / fan_in) ** 0.5 if param.dim() == 2 else args.init_std
                    param.copy_(scale * torch.randn(param.shape, generator=gen))


def strengthen_attention(decoder, args):
    """Scales the attention output projections. With q/k norms, random attention is nearly
    uniform and adds little to the residual stream, so the last few prompt tokens (the same
    chat suffix in every request) would decide the first answer tokens; a larger scale lets
    the image and the question steer them."""
    with torch.no_grad():
        for layer in decoder.layers:
            if layer.is_attention:
                layer.self_attn.out_proj.weight.mul_(args.attn_out_scale)


def shape_output_head(decoder, tok, args):
    """Rescales lm_head rows so greedy output of random weights reads like text.

    Special tokens other than EOS get zero rows (logit 0 against a max of many random logits),
    single-byte tokens smaller rows (bytes >= 0x80 most of all, to keep partial UTF-8 rare),
    and EOS a damped row so it ends some answers but not after a few tokens.
    """
    with torch.no_grad():
        rows = decoder.lm_head.weight
        for token in tok.specials:
            if tok.id(token) != tok.eos_id:
                rows[tok.id(token)].zero_()
        for byte, token_id in tok.byte_ids().items():
            rows[token_id] *= args.ascii_byte_scale if byte < 0x80 else args.high_byte_scale
        rows[tok.eos_id] *= args.eos_scale


# ----------------------------------------------------------------------------- self-checks

def random_tiles(image_cfg, vision_cfg, shapes, gen):
    """Padded pixel_values / mask / spatial_shapes for tiles of the given patch shapes."""
    n = image_cfg.max_num_patches
    dim = vision_cfg.num_channels * vision_cfg.patch_size ** 2
    pixel_values = torch.zeros(len(shapes), n, dim)
    mask = torch.zeros(len(shapes), n, dtype=torch.int64)
    for t, (h, w) in enumerate(shapes):
        pixel_values[t, :h * w] = torch.randn(h * w, dim, generator=gen)
        mask[t, :h * w] = 1
    return pixel_values, mask, torch.tensor(shapes, dtype=torch.int64)


def self_check(vision, decoder, image_cfg, vision_cfg, text_cfg):
    """Vectorised graphs == per-tile reference; cached decoding == one full pass."""
    gen = torch.Generator().manual_seed(99)
    tile = image_cfg.tile_size // image_cfg.patch_size
    shapes = [(tile, tile), (2, 8), (4, 10), (tile // 2, tile), (8, 6)]
    shapes = [(h, w) for h, w in shapes if h * w <= image_cfg.max_num_patches]
    with torch.no_grad():
        tiles = random_tiles(image_cfg, vision_cfg, shapes, gen)
        fast, ref = vision(*tiles), vision.reference(*tiles)
        assert fast.shape == ref.shape, (fast.shape, ref.shape)
        assert torch.allclose(fast, ref, atol=1e-4), (fast - ref).abs().max()

        embeds = torch.randn(1, 9, text_cfg.hidden_size, generator=gen)
        full = decoder(embeds, torch.ones(1, 9, dtype=torch.int64), *empty_cache(text_cfg, 1))[0]
        out = decoder(embeds[:, :5], torch.ones(1, 5, dtype=torch.int64), *empty_cache(text_cfg, 1))
        steps = [out[0]]
        for t in range(5, 9):
            out = decoder(embeds[:, t:t + 1], torch.ones(1, t + 1, dtype=torch.int64), *out[1:])
            steps.append(out[0])
        assert torch.allclose(torch.cat(steps, dim=1), full, atol=1e-4)


def empty_cache(text_cfg, batch, past=0):
    cache = []
    for layer_type in text_cfg.layer_types:
        if layer_type == "full_attention":
            shape = (batch, text_cfg.num_key_value_heads, past, text_cfg.head_dim)
            cache += [torch.zeros(shape), torch.zeros(shape)]
        else:
            cache.append(torch.zeros(batch, text_cfg.hidden_size, text_cfg.conv_l_cache))
    return cache


# ----------------------------------------------------------------------------- export

def export(module, inputs, path, input_names, output_names, dynamic_axes, external_data=None):
    model = trace(module, inputs, input_names, output_names, dynamic_axes)
    with torch.no_grad():
        traced = module(*inputs)
    traced = traced if isinstance(traced, tuple) else (traced,)
    # The tracer names every output dim it cannot prove constant; pin all dims that are not
    # declared dynamic to their (static) traced size.
    fix_dims(model.graph.output, {
        output.name: {i: value.shape[i] for i in range(value.dim()) if i not in dynamic_axes.get(output.name, {})}
        for output, value in zip(model.graph.output, traced)})
    save(model, path, external_data)


def export_models(out, args, tok, vision_cfg, text_cfg, image_cfg):
    vision = VisionEncoder(vision_cfg, args.projector_hidden, text_cfg.hidden_size).eval()
    embed = EmbedTokens(text_cfg).eval()
    decoder = Decoder(text_cfg).eval()
    init_weights([vision, embed, decoder], args)
    strengthen_attention(decoder, args)
    shape_output_head(decoder, tok, args)
    self_check(vision, decoder, image_cfg, vision_cfg, text_cfg)
    onnx_dir = os.path.join(out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)

    # Tiles of different shapes, so nothing about one tile's shape gets baked in.
    tile = image_cfg.tile_size // image_cfg.patch_size
    tiles = random_tiles(image_cfg, vision_cfg, [(tile, tile), (2, 4)], torch.Generator().manual_seed(7))
    export(vision, tiles, os.path.join(onnx_dir, "vision_encoder.onnx"),
           ["pixel_values", "pixel_attention_mask", "spatial_shapes"], ["image_features"],
           {"pixel_values": {0: "batch_size", 1: "num_patches"},
            "pixel_attention_mask": {0: "batch_size", 1: "num_patches"},
            "spatial_shapes": {0: "batch_size"},
            "image_features": {0: "num_image_tokens"}})

    input_ids = torch.randint(0, text_cfg.vocab_size, (2, 5))
    export(embed, (input_ids,), os.path.join(onnx_dir, "embed_tokens.onnx"),
           ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})

    # Trace with a non-empty past and more than one new token so no length gets specialised.
    batch, past_len, seq = 2, 3, 4
    input_names = ["inputs_embeds", "attention_mask"]
    output_names = ["logits"]
    dynamic_axes = {
        "inputs_embeds": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i, layer_type in enumerate(text_cfg.layer_types):
        if layer_type == "full_attention":
            for kind in ("key", "value"):
                # transformers.js sizes the empty first-step cache from these symbolic dim names:
                # only "batch_size" is filled in, every other symbolic dim becomes 0.
                input_names.append(f"past_key_values.{i}.{kind}")
                dynamic_axes[input_names[-1]] = {0: "batch_size", 2: "past_sequence_length"}
                output_names.append(f"present.{i}.{kind}")
                dynamic_axes[output_names[-1]] = {0: "batch_size", 2: "total_sequence_length"}
        else:
            # Static hidden and kernel dims: transformers.js then starts with zeros [batch, hidden, L].
            input_names.append(f"past_conv.{i}")
            dynamic_axes[input_names[-1]] = {0: "batch_size"}
            output_names.append(f"present_conv.{i}")
            dynamic_axes[output_names[-1]] = {0: "batch_size"}
    inputs = (torch.randn(batch, seq, text_cfg.hidden_size),
              torch.ones(batch, past_len + seq, dtype=torch.int64),
              *[torch.randn(t.shape) for t in empty_cache(text_cfg, batch, past_len)])
    export(decoder, inputs, os.path.join(onnx_dir, "decoder_model_merged.onnx"),
           input_names, output_names, dynamic_axes, external_data=DECODER_DATA)


# ----------------------------------------------------------------------------- json files

def model_config(args, tok, vision_cfg, text_cfg, image_cfg):
    return {
        "architectures": ["Lfm2VlForConditionalGeneration"],
        "model_type": "lfm2_vl",
        "image_token_id": tok.image_id,
        "downsample_factor": image_cfg.downsample_factor,
        "encoder_patch_size": image_cfg.patch_size,
        "do_image_splitting": True,
        "tile_size": image_cfg.tile_size,
        "min_tiles": image_cfg.min_tiles,
        "max_tiles": image_cfg.max_tiles,
        "use_thumbnail": True,
        "min_image_tokens": image_cfg.min_image_tokens,
        "max_image_tokens": image_cfg.max_image_tokens,
        "max_num_patches": image_cfg.max_num_patches,
        "max_pixels_tolerance": 2.0,
        "use_image_special_tokens": True,
        "projector_hidden_act": "gelu",
        "projector_hidden_size": args.projector_hidden,
        "projector_bias": True,
        "projector_use_layernorm": True,
        "vision_feature_layer": -1,
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
        "text_config": {
            "model_type": "lfm2",
            "architectures": ["Lfm2ForCausalLM"],
            "hidden_size": text_cfg.hidden_size,
            "intermediate_size": text_cfg.intermediate_size,
            "block_auto_adjust_ff_dim": False,
            "num_hidden_layers": text_cfg.num_hidden_layers,
            "layer_types": text_cfg.layer_types,
            "num_attention_heads": text_cfg.num_attention_heads,
            "num_key_value_heads": text_cfg.num_key_value_heads,
            "head_dim": text_cfg.head_dim,
            "conv_L_cache": text_cfg.conv_l_cache,
            "conv_bias": False,
            "norm_eps": text_cfg.norm_eps,
            "rope_theta": text_cfg.rope_theta,
            "max_position_embeddings": args.max_positions,
            "vocab_size": tok.size,
            "tie_word_embeddings": False,
            "bos_token_id": tok.bos_id,
            "eos_token_id": tok.eos_id,
            "pad_token_id": tok.pad_id,
            "torch_dtype": "float32",
        },
        "vision_config": {
            "model_type": "siglip2_vision_model",
            "hidden_size": vision_cfg.hidden_size,
            "intermediate_size": vision_cfg.intermediate_size,
            "num_hidden_layers": vision_cfg.num_hidden_layers,
            "num_attention_heads": vision_cfg.num_attention_heads,
            "num_channels": vision_cfg.num_channels,
            "num_patches": vision_cfg.num_patches,
            "patch_size": vision_cfg.patch_size,
            "hidden_act": "gelu_pytorch_tanh",
            "layer_norm_eps": vision_cfg.layer_norm_eps,
            "vision_use_head": False,
        },
        "transformers.js_config": {
            "use_external_data_format": {"decoder_model_merged.onnx": 1},
        },
    }


def preprocessor_config(image_cfg):
    # No "size" / "do_resize": transformers.js's base preprocess() would otherwise resize every
    # image to that size before the LFM2-VL smart resize and tiling run.
    return {
        "image_processor_type": "Lfm2VlImageProcessor",
        "processor_class": "Lfm2VlProcessor",
        "do_convert_rgb": True,
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": SIGLIP_MEAN_STD,
        "image_std": SIGLIP_MEAN_STD,
        "do_pad": True,
        "resample": 2,
        "do_image_splitting": True,
        "downsample_factor": image_cfg.downsample_factor,
        "encoder_patch_size": image_cfg.patch_size,
        "tile_size": image_cfg.tile_size,
        "min_tiles": image_cfg.min_tiles,
        "max_tiles": image_cfg.max_tiles,
        "use_thumbnail": True,
        "min_image_tokens": image_cfg.min_image_tokens,
        "max_image_tokens": image_cfg.max_image_tokens,
        "max_num_patches": image_cfg.max_num_patches,
        "max_pixels_tolerance": 2.0,
        "return_row_col_info": True,
    }


def processor_config():
    return {
        "processor_class": "Lfm2VlProcessor",
        "image_token": "<image>",
        "image_start_token": "<|image_start|>",
        "image_end_token": "<|image_end|>",
        "image_thumbnail": "<|img_thumbnail|>",
        "use_image_special_tokens": True,
    }


def tokenizer_config(tok, args):
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": False,
        "add_eos_token": False,
        "bos_token": "<|startoftext|>",
        "eos_token": "<|im_end|>",
        "pad_token": "<|pad|>",
        "image_token": "<image>",
        "image_start_token": "<|image_start|>",
        "image_end_token": "<|image_end|>",
        "image_thumbnail": "<|img_thumbnail|>",
        "padding_side": "left",
        "clean_up_tokenization_spaces": False,
        "model_max_length": args.max_positions,
        "processor_class": "Lfm2VlProcessor",
        "added_tokens_decoder": tok.added_tokens_decoder(),
        "chat_template": CHAT_TEMPLATE,
    }


def generation_config(tok):
    return {
        "_from_model_config": True,
        "bos_token_id": tok.bos_id,
        "eos_token_id": tok.eos_id,
        "pad_token_id": tok.pad_id,
    }


def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


# ----------------------------------------------------------------------------- main

def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Generate a random-weight LFM2-VL ONNX model directory.")
    p.add_argument("--out", default="testdata/models/tiny-lfm2-vl", help="output model directory")
    p.add_argument("--seed", type=int, default=4, help="picked for varied goldens with clear logit margins")
    p.add_argument("--vocab", type=int, default=768, help="target tokenizer/model vocabulary size")
    p.add_argument("--hidden", type=int, default=64, help="text hidden size")
    p.add_argument("--intermediate", type=int, default=128, help="text MLP size")
    p.add_argument("--layer-types", default="conv,full_attention,conv,full_attention",
                   help="comma-separated 'conv' / 'full_attention', one per decoder layer")
    p.add_argument("--heads", type=int, default=4, help="text attention heads")
    p.add_argument("--kv-heads", type=int, default=2, help="text key/value heads (GQA)")
    p.add_argument("--conv-cache", type=int, default=3, help="short convolution kernel (conv_L_cache)")
    p.add_argument("--max-positions", type=int, default=512)
    p.add_argument("--rope-theta", type=float, default=1000000.0)
    p.add_argument("--vision-hidden", type=int, default=32)
    p.add_argument("--vision-intermediate", type=int, default=64)
    p.add_argument("--vision-layers", type=int, default=2)
    p.add_argument("--vision-heads", type=int, default=2)
    p.add_argument("--patch-size", type=int, default=4, help="encoder_patch_size (pixels)")
    p.add_argument("--position-grid", type=int, default=4, help="side of the learned position grid")
    p.add_argument("--projector-hidden", type=int, default=64)
    p.add_argument("--tile-size", type=int, default=32)
    p.add_argument("--min-image-tokens", type=int, default=4)
    p.add_argument("--max-image-tokens", type=int, default=16)
    p.add_argument("--min-tiles", type=int, default=2)
    p.add_argument("--max-tiles", type=int, default=4)
    p.add_argument("--init-std", type=float, default=0.15,
                   help="std of the random weights; larger gives more varied greedy output")
    p.add_argument("--attn-out-scale", type=float, default=3.0,
                   help="scale of the attention output projections (see strengthen_attention)")
    p.add_argument("--conv-std", type=float, default=0.5, help="std of the depthwise conv kernels")
    p.add_argument("--embed-std", type=float, default=1.0, help="std of the token embedding")
    p.add_argument("--ascii-byte-scale", type=float, default=0.6, help="lm_head row scale, ASCII byte tokens")
    p.add_argument("--high-byte-scale", type=float, default=0.3, help="lm_head row scale, bytes >= 0x80")
    p.add_argument("--eos-scale", type=float, default=1.3, help="lm_head row scale of EOS")
    args = p.parse_args(argv)
    args.layer_types = [t.strip() for t in args.layer_types.split(",") if t.strip()]
    if any(t not in ("conv", "full_attention") for t in args.layer_types):
        p.error("--layer-types takes 'conv' and 'full_attention' only")
    if "full_attention" not in args.layer_types:
        p.error("at least one full_attention layer is needed (transformers.js reads the past length from it)")
    if args.heads % args.kv_heads or args.hidden % args.heads:
        p.error("--hidden must be a multiple of --heads, --heads a multiple of --kv-heads")
    if args.tile_size % (2 * args.patch_size):
        p.error("--tile-size must be a multiple of 2 * --patch-size")
    return args


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    tok = Lfm2Tokenizer(args.vocab, args.max_tiles)
    vision_cfg = VisionConfig(args)
    text_cfg = TextConfig(args, tok.size)
    image_cfg = ImageConfig(args)
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "config.json"), model_config(args, tok, vision_cfg, text_cfg, image_cfg))
    write_json(os.path.join(args.out, "generation_config.json"), generation_config(tok))
    write_json(os.path.join(args.out, "preprocessor_config.json"), preprocessor_config(image_cfg))
    write_json(os.path.join(args.out, "processor_config.json"), processor_config())
    write_json(os.path.join(args.out, "tokenizer.json"), tok.tokenizer_json())
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(tok, args))
    export_models(args.out, args, tok, vision_cfg, text_cfg, image_cfg)
    print(f"wrote {args.out}: vocab {tok.size} (<image> {tok.image_id}, EOS {tok.eos_id}), "
          f"layers {','.join(text_cfg.layer_types)}, {image_cfg.max_num_patches} patches per tile slot")


if __name__ == "__main__":
    main()
