"""Torch modules of a LLaVA-1.5 model, split the way the optimum / transformers.js ONNX export splits it.

- VisionEncoder: CLIP vision tower + multimodal projector (pixel_values -> image_features)
- EmbedTokens: token embedding (input_ids -> inputs_embeds)
- Decoder: Llama decoder with a concatenating KV cache (inputs_embeds + mask + positions + past
  -> logits + present)

The math follows the reference Llama / CLIP definitions; only the split and the IO names are
specific to the export layout.
"""
import math

import torch
from torch import nn


class VisionConfig:
    def __init__(self, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                 image_size, patch_size, num_channels=3, layer_norm_eps=1e-5):
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.image_size = image_size
        self.patch_size = patch_size
        self.num_channels = num_channels
        self.layer_norm_eps = layer_norm_eps

    @property
    def num_patches(self):
        return (self.image_size // self.patch_size) ** 2


class TextConfig:
    def __init__(self, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
                 num_key_value_heads, head_dim, vocab_size, rms_norm_eps=1e-5, rope_theta=10000.0):
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.num_key_value_heads = num_key_value_heads
        self.head_dim = head_dim
        self.vocab_size = vocab_size
        self.rms_norm_eps = rms_norm_eps
        self.rope_theta = rope_theta


def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class ClipAttention(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x):
        b, n, d = x.shape

        def split(t):
            return t.view(b, n, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        out = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out_proj(out.transpose(1, 2).reshape(b, n, d))


class ClipLayer(nn.Module):
    def __init__(self, cfg: VisionConfig):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.self_attn = ClipAttention(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.fc2(quick_gelu(self.fc1(self.layer_norm2(x))))


class VisionEncoder(nn.Module):
    """CLIP vision tower, feature selection (layer, drop CLS) and the two-layer GELU projector."""

    def __init__(self, cfg: VisionConfig, text_hidden_size, feature_layer=-2):
        super().__init__()
        self.cfg = cfg
        self.feature_layer = feature_layer
        self.patch_embedding = nn.Conv2d(cfg.num_channels, cfg.hidden_size, cfg.patch_size,
                                         stride=cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(cfg.hidden_size))
        self.position_embedding = nn.Embedding(cfg.num_patches + 1, cfg.hidden_size)
        self.pre_layrnorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.layers = nn.ModuleList(ClipLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.linear_1 = nn.Linear(cfg.hidden_size, text_hidden_size)
        self.linear_2 = nn.Linear(text_hidden_size, text_hidden_size)

    def forward(self, pixel_values):
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)  # [b, n, d]
        cls = self.class_embedding.expand(patches.shape[0], 1, -1)
        x = torch.cat([cls, patches], dim=1) + self.position_embedding.weight.unsqueeze(0)
        # hidden_states[0] is the pre-layernormed embedding, hidden_states[i] the i-th layer output
        hidden_states = [self.pre_layrnorm(x)]
        for layer in self.layers:
            hidden_states.append(layer(hidden_states[-1]))
        selected = hidden_states[self.feature_layer][:, 1:]  # strategy "default": drop CLS
        return self.linear_2(nn.functional.gelu(self.linear_1(selected)))


class EmbedTokens(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)

    def forward(self, input_ids):
        return self.embed_tokens(input_ids)


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


class LlamaAttention(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.kv_heads = cfg.num_key_value_heads
        self.head_dim = cfg.head_dim
        self.q_proj = nn.Linear(cfg.hidden_size, self.heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, self.kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(self.heads * self.head_dim, cfg.hidden_size, bias=False)

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
        key_rep = self._repeat_kv(key)
        value_rep = self._repeat_kv(value)
        scores = torch.matmul(q, key_rep.transpose(-1, -2)) / math.sqrt(self.head_dim)
        # masked_fill with the dtype minimum (not -inf, not an additive sum): a fully masked
        # row (a left-padding query) then stays finite instead of turning into NaN.
        scores = scores.masked_fill(~allowed, torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), value_rep)
        out = out.transpose(1, 2).reshape(b, s, self.heads * self.head_dim)
        return self.o_proj(out), key, value


class LlamaLayer(nn.Module):
    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.input_layernorm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.self_attn = LlamaAttention(cfg)
        self.post_attention_layernorm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x, cos, sin, allowed, past_key, past_value):
        attn, key, value = self.self_attn(self.input_layernorm(x), cos, sin, allowed, past_key, past_value)
        x = x + attn
        h = self.post_attention_layernorm(x)
        x = x + self.down_proj(nn.functional.silu(self.gate_proj(h)) * self.up_proj(h))
        return x, key, value


class Decoder(nn.Module):
    """Llama decoder over inputs_embeds with a concatenating KV cache.

    forward(inputs_embeds [b,s,h], attention_mask [b,past+s] int64, position_ids [b,s] int64,
    past_0_key, past_0_value, ...) -> (logits [b,s,vocab], present_0_key, present_0_value, ...)
    """

    def __init__(self, cfg: TextConfig):
        super().__init__()
        self.cfg = cfg
        self.layers = nn.ModuleList(LlamaLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.norm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, cfg.head_dim, 2, dtype=torch.float32) / cfg.head_dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        # Rotary angles come from position_ids only, so left-padded rows rotate like unpadded ones.
        freqs = position_ids.to(torch.float32).unsqueeze(-1) * self.inv_freq  # [b, s, d/2]
        emb = torch.cat([freqs, freqs], dim=-1)
        cos = emb.cos().unsqueeze(1)  # [b, 1, s, d]
        sin = emb.sin().unsqueeze(1)

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
        logits = self.lm_head(self.norm(x))
        return (logits, *presents)


def llama_text_config(cfg: TextConfig, vocab_size, max_positions, bos, eos, pad):
    """The ``text_config`` block of config.json for this Llama decoder, as transformers writes it."""
    return {
        "model_type": "llama",
        "architectures": ["LlamaForCausalLM"],
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": cfg.head_dim,
        "hidden_act": "silu",
        "vocab_size": vocab_size,
        "max_position_embeddings": max_positions,
        "rms_norm_eps": cfg.rms_norm_eps,
        "rope_theta": cfg.rope_theta,
        "rope_scaling": None,
        "attention_bias": False,
        "mlp_bias": False,
        "tie_word_embeddings": False,
        "bos_token_id": bos,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "torch_dtype": "float32",
    }
