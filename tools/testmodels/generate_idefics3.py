#!/usr/bin/python3
"""Writes a random-weight Idefics3 / SmolVLM model in the optimum / transformers.js ONNX export layout.

Two variants share the architecture (SigLIP-style vision tower, pixel-shuffle connector, Llama
decoder) and differ in config, as SmolDocling-256M (model_type idefics3) and SmolVLM2
(model_type smolvlm) do:

    --variant idefics3   testdata/models/tiny-idefics3: image splitting on, size.longest_edge 64,
                         max_image_size 32, patch 4, scale_factor 2 -> 16 <image> tokens per frame
    --variant smolvlm    testdata/models/tiny-smolvlm: image splitting off, size.longest_edge 32,
                         max_image_size 32, patch 4, scale_factor 4 -> 4 <image> tokens per frame

Deterministic for a given seed and arguments: running it twice writes identical files.
Layout written:
    config.json, generation_config.json, preprocessor_config.json, processor_config.json,
    tokenizer.json, tokenizer_config.json,
    onnx/vision_encoder.onnx, onnx/embed_tokens.onnx,
    onnx/decoder_model_merged.onnx + onnx/decoder_model_merged.onnx_data
See tools/testmodels/IDEFICS3.md.
"""
import argparse
import math
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe_tokenizer import CORPUS, bytes_to_unicode, train_merges  # noqa: E402
from generate_llava import init_weights, write_json  # noqa: E402
from llava_modules import Decoder, EmbedTokens, TextConfig, llama_text_config  # noqa: E402
from onnx_export import concat_decoder_io, export  # noqa: E402

DECODER_DATA = "decoder_model_merged.onnx_data"

VARIANTS = {
    "idefics3": dict(
        out="testdata/models/tiny-idefics3", seed=2, eos_scale=1.6,
        longest_edge=64, split=True, scale_factor=2,
        model_type="idefics3", architecture="Idefics3ForConditionalGeneration",
        vision_model_type="idefics3_vision",
        processor="Idefics3Processor", image_processor="Idefics3ImageProcessor"),
    "smolvlm": dict(
        out="testdata/models/tiny-smolvlm", seed=4, eos_scale=1.3,
        longest_edge=32, split=False, scale_factor=4,
        model_type="smolvlm", architecture="SmolVLMForConditionalGeneration",
        vision_model_type="smolvlm_vision",
        processor="SmolVLMProcessor", image_processor="SmolVLMImageProcessor"),
}

# SmolVLM-style template: "<|im_start|>" once, then per turn "Role:" (no space when the turn opens
# with an image) and its parts in order, images as "<image>", each turn closed by
# "<end_of_utterance>\n"; the generation prompt is "Assistant:". One line, no whitespace control.
CHAT_TEMPLATE = (
    "{{ '<|im_start|>' }}"
    "{% for message in messages %}"
    "{{ message['role'] | capitalize }}"
    "{% if message['content'] is string %}{{ ': ' + message['content'] }}"
    "{% else %}"
    "{% if message['content'][0]['type'] == 'image' %}{{ ':' }}{% else %}{{ ': ' }}{% endif %}"
    "{% for part in message['content'] %}"
    "{% if part['type'] == 'image' %}{{ '<image>' }}{% else %}{{ part['text'] }}{% endif %}"
    "{% endfor %}"
    "{% endif %}"
    "{{ '<end_of_utterance>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


class SmolTokenizerSpec:
    """Byte-level BPE with SmolVLM's special tokens, laid out like the real vocabulary.

    Ids: <|endoftext|> 0, <|im_start|> 1, <|im_end|> 2, the 256 byte symbols, learned merges,
    then the added image tokens: <global-img>, <row_r_col_c> (r, c = 1..grid), <fake_token_around_image>,
    <image>, <end_of_utterance>. No post-processor template: nothing is added around the prompt
    (the chat template writes <|im_start|> itself).
    """

    HEAD = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")

    def __init__(self, vocab_size, grid):
        table = bytes_to_unicode()
        tail = ["<global-img>"]
        tail += [f"<row_{r}_col_{c}>" for r in range(1, grid + 1) for c in range(1, grid + 1)]
        tail += ["<fake_token_around_image>", "<image>", "<end_of_utterance>"]
        merges = train_merges(CORPUS, max(0, vocab_size - len(self.HEAD) - 256 - len(tail)))
        self.vocab = {token: i for i, token in enumerate(self.HEAD)}
        for b in range(256):
            self.vocab[table[b]] = len(self.vocab)
        self.merges = []
        for a, b in merges:
            self.merges.append((a, b))
            if a + b not in self.vocab:
                self.vocab[a + b] = len(self.vocab)
        self.added = list(self.HEAD) + tail
        for token in tail:
            self.vocab[token] = len(self.vocab)
        self.size = len(self.vocab)
        self.id = self.vocab.__getitem__

    def byte_ids(self):
        table = bytes_to_unicode()
        return {b: self.vocab[table[b]] for b in range(256)}

    def tokenizer_json(self):
        added = [{"id": self.id(t), "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                  "normalized": False, "special": True} for t in self.added]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": dict(byte_level),
            "decoder": dict(byte_level),
            "model": {
                "type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                "vocab": self.vocab,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def added_tokens_decoder(self):
        return {str(self.id(t)): {"content": t, "lstrip": False, "normalized": False, "rstrip": False,
                                  "single_word": False, "special": True} for t in self.added}


class VisionSpec:
    def __init__(self, hidden, intermediate, layers, heads, image_size, patch_size, scale_factor, eps=1e-6):
        self.hidden_size = hidden
        self.intermediate_size = intermediate
        self.num_hidden_layers = layers
        self.num_attention_heads = heads
        self.image_size = image_size
        self.patch_size = patch_size
        self.scale_factor = scale_factor
        self.layer_norm_eps = eps

    @property
    def grid(self):
        return self.image_size // self.patch_size

    @property
    def image_seq_len(self):
        return (self.grid // self.scale_factor) ** 2


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x * x * x)))


class VisionAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.heads = cfg.num_attention_heads
        self.head_dim = cfg.hidden_size // cfg.num_attention_heads
        self.q_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.k_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.v_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)
        self.out_proj = nn.Linear(cfg.hidden_size, cfg.hidden_size)

    def forward(self, x, key_allowed):
        b, n, d = x.shape

        def heads(t):
            return t.view(b, n, self.heads, self.head_dim).transpose(1, 2)

        q, k, v = heads(self.q_proj(x)), heads(self.k_proj(x)), heads(self.v_proj(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        scores = scores.masked_fill(~key_allowed[:, None, None, :], torch.finfo(scores.dtype).min)
        out = torch.matmul(torch.softmax(scores, dim=-1), v)
        return self.out_proj(out.transpose(1, 2).reshape(b, n, d))


class VisionLayer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layer_norm1 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.self_attn = VisionAttention(cfg)
        self.layer_norm2 = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.fc1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size)
        self.fc2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size)

    def forward(self, x, key_allowed):
        x = x + self.self_attn(self.layer_norm1(x), key_allowed)
        return x + self.fc2(gelu_tanh(self.fc1(self.layer_norm2(x))))


class VisionEncoder(nn.Module):
    """Frames -> image features: drop padding frames, SigLIP-style encoder, pixel shuffle, projection.

    forward(pixel_values [b, n, 3, S, S] float32, pixel_attention_mask [b, n, S, S] bool)
        -> image_features [real frames, image_seq_len, text hidden]
    """

    def __init__(self, cfg, text_hidden):
        super().__init__()
        self.cfg = cfg
        self.patch_embedding = nn.Conv2d(3, cfg.hidden_size, cfg.patch_size, stride=cfg.patch_size)
        self.position_embedding = nn.Embedding(cfg.grid * cfg.grid, cfg.hidden_size)
        self.layers = nn.ModuleList(VisionLayer(cfg) for _ in range(cfg.num_hidden_layers))
        self.post_layernorm = nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps)
        self.proj = nn.Linear(cfg.hidden_size * cfg.scale_factor ** 2, text_hidden, bias=False)

    def pixel_shuffle(self, x):
        """[m, g*g, d] -> [m, (g/s)^2, d*s*s]: each output token concatenates an s x s block of
        patches (row-major inside the block), blocks in row-major order."""
        m, _, d = x.shape
        g, s = self.cfg.grid, self.cfg.scale_factor
        x = x.reshape(m, g // s, s, g // s, s, d)  # block row, row in block, block col, col in block
        x = x.permute(0, 1, 3, 2, 4, 5)
        return x.reshape(m, (g // s) ** 2, s * s * d)

    def forward(self, pixel_values, pixel_attention_mask):
        b, n, c, h, w = pixel_values.shape
        frames = pixel_values.reshape(b * n, c, h, w)
        masks = pixel_attention_mask.reshape(b * n, h, w)
        # Padding frames (batch rows with fewer frames) are all zeros; like the reference model,
        # drop them, but keep frame 0 when nothing is left.
        zeros = (frames == 0).to(torch.int64).sum(dim=(1, 2, 3))
        real = zeros != c * h * w
        none_real = real.to(torch.int64).sum() == 0
        real = real | ((torch.arange(b * n) == 0) & none_real)
        frames = frames[real]
        masks = masks[real]

        p, g = self.cfg.patch_size, self.cfg.grid
        # A patch takes part in attention when any of its pixels is real.
        patch_allowed = masks.to(torch.int64).reshape(-1, g, p, g, p).sum(dim=(2, 4)).reshape(-1, g * g) > 0
        x = self.patch_embedding(frames).flatten(2).transpose(1, 2) + self.position_embedding.weight
        for layer in self.layers:
            x = layer(x, patch_allowed)
        x = self.post_layernorm(x)
        return self.proj(self.pixel_shuffle(x))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Generate a random-weight Idefics3 / SmolVLM ONNX model directory.")
    p.add_argument("--variant", choices=sorted(VARIANTS), default="idefics3")
    p.add_argument("--out", default=None, help="output model directory (default per variant)")
    # Seeds and EOS scales were picked (among a few) for goldens that vary across prompts and images,
    # keep top-1/top-2 logit margins clear of float noise and end some cases with EOS.
    p.add_argument("--seed", type=int, default=None, help="default per variant")
    p.add_argument("--vocab", type=int, default=768)
    p.add_argument("--hidden", type=int, default=64, help="text hidden size")
    p.add_argument("--intermediate", type=int, default=128)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--kv-heads", type=int, default=2)
    p.add_argument("--head-dim", type=int, default=None, help="default: hidden / heads")
    p.add_argument("--max-positions", type=int, default=1024)
    p.add_argument("--rope-theta", type=float, default=100000.0)
    p.add_argument("--vision-hidden", type=int, default=32)
    p.add_argument("--vision-intermediate", type=int, default=64)
    p.add_argument("--vision-layers", type=int, default=2)
    p.add_argument("--vision-heads", type=int, default=2)
    p.add_argument("--image-size", type=int, default=32, help="vision tower input = max_image_size.longest_edge")
    p.add_argument("--patch-size", type=int, default=4)
    p.add_argument("--scale-factor", type=int, default=None, help="pixel shuffle factor (default per variant)")
    p.add_argument("--longest-edge", type=int, default=None, help="size.longest_edge (default per variant)")
    p.add_argument("--init-std", type=float, default=0.15)
    p.add_argument("--embed-std", type=float, default=1.0)
    p.add_argument("--ascii-byte-scale", type=float, default=0.6)
    p.add_argument("--high-byte-scale", type=float, default=0.3)
    p.add_argument("--eos-scale", type=float, default=None,
                   help="lm_head row scale of <end_of_utterance> (default per variant)")
    args = p.parse_args(argv)
    variant = VARIANTS[args.variant]
    for name in ("out", "seed", "eos_scale", "scale_factor", "longest_edge"):
        if getattr(args, name) is None:
            setattr(args, name, variant[name])
    if args.head_dim is None:
        args.head_dim = args.hidden // args.heads
    if args.heads % args.kv_heads:
        p.error("--heads must be a multiple of --kv-heads")
    if args.image_size % args.patch_size or (args.image_size // args.patch_size) % args.scale_factor:
        p.error("--image-size must be a multiple of --patch-size * --scale-factor")
    if args.longest_edge % args.image_size:
        p.error("--longest-edge must be a multiple of --image-size")
    return args


def shape_output_head(decoder, tok, args):
    """Greedy output of random weights should read like text: tokens a model never writes
    (control and image tokens) get zero lm_head rows, single bytes are damped, and
    <end_of_utterance> (the EOS a SmolVLM answer ends with) gets --eos-scale."""
    with torch.no_grad():
        rows = decoder.lm_head.weight
        for token in tok.added:
            if token != "<end_of_utterance>":
                rows[tok.id(token)].zero_()
        for byte, token_id in tok.byte_ids().items():
            rows[token_id] *= args.ascii_byte_scale if byte < 0x80 else args.high_byte_scale
        rows[tok.id("<end_of_utterance>")] *= args.eos_scale


def export_models(out, args, tok, vision_cfg, text_cfg):
    vision = VisionEncoder(vision_cfg, text_cfg.hidden_size).eval()
    embed = EmbedTokens(text_cfg).eval()
    decoder = Decoder(text_cfg).eval()
    init_weights([vision, embed, decoder], args)
    shape_output_head(decoder, tok, args)
    onnx_dir = os.path.join(out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)

    size = vision_cfg.image_size
    # Trace with a padding frame so the frame filter is exercised; the traced graph keeps it general.
    pixel_values = torch.randn(2, 3, 3, size, size)
    pixel_values[1, 2] = 0
    mask = torch.ones(2, 3, size, size, dtype=torch.bool)
    mask[1, 2] = False
    export(vision, (pixel_values, mask), os.path.join(onnx_dir, "vision_encoder.onnx"),
           ["pixel_values", "pixel_attention_mask"], ["image_features"],
           {"pixel_values": {0: "batch_size", 1: "num_images"},
            "pixel_attention_mask": {0: "batch_size", 1: "num_images"},
            "image_features": {0: "num_real_images"}},
           static_dims={"image_features": {1: vision_cfg.image_seq_len, 2: text_cfg.hidden_size}})

    input_ids = torch.randint(0, text_cfg.vocab_size, (2, 5))
    export(embed, (input_ids,), os.path.join(onnx_dir, "embed_tokens.onnx"),
           ["input_ids"], ["inputs_embeds"],
           {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})

    inputs, input_names, output_names, dynamic_axes = concat_decoder_io(
        text_cfg.num_hidden_layers, text_cfg.num_key_value_heads, text_cfg.head_dim, text_cfg.hidden_size)
    export(decoder, inputs, os.path.join(onnx_dir, "decoder_model_merged.onnx"),
           input_names, output_names, dynamic_axes, external_data=DECODER_DATA)


def model_config(args, tok, vision_cfg, text_cfg):
    variant = VARIANTS[args.variant]
    return {
        "architectures": [variant["architecture"]],
        "model_type": variant["model_type"],
        "image_token_id": tok.id("<image>"),
        "scale_factor": vision_cfg.scale_factor,
        "pad_token_id": tok.id("<|im_end|>"),
        "tie_word_embeddings": False,
        "use_cache": True,
        "vocab_size": tok.size,
        "torch_dtype": "float32",
        "text_config": llama_text_config(text_cfg, tok.size, args.max_positions,
                                         bos=tok.id("<|im_start|>"), eos=tok.id("<end_of_utterance>"), pad=tok.id("<|im_end|>")),
        "vision_config": {
            "model_type": variant["vision_model_type"],
            "hidden_size": vision_cfg.hidden_size,
            "intermediate_size": vision_cfg.intermediate_size,
            "num_hidden_layers": vision_cfg.num_hidden_layers,
            "num_attention_heads": vision_cfg.num_attention_heads,
            "num_channels": 3,
            "image_size": vision_cfg.image_size,
            "patch_size": vision_cfg.patch_size,
            "hidden_act": "gelu_pytorch_tanh",
            "layer_norm_eps": vision_cfg.layer_norm_eps,
        },
        "transformers.js_config": {
            "use_external_data_format": {"decoder_model_merged.onnx": 1},
        },
    }


def preprocessor_config(args, vision_cfg):
    variant = VARIANTS[args.variant]
    return {
        "image_processor_type": variant["image_processor"],
        "processor_class": variant["processor"],
        "do_convert_rgb": True,
        "do_resize": True,
        "size": {"longest_edge": args.longest_edge},
        "resample": 1,
        "do_image_splitting": variant["split"],
        "max_image_size": {"longest_edge": vision_cfg.image_size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_std": [0.5, 0.5, 0.5],
        "do_pad": True,
    }


def processor_config(args, vision_cfg):
    return {"processor_class": VARIANTS[args.variant]["processor"], "image_seq_len": vision_cfg.image_seq_len}


def tokenizer_config(tok, args):
    return {
        "tokenizer_class": "GPT2Tokenizer",
        "add_bos_token": False,
        "add_eos_token": False,
        "add_prefix_space": False,
        "bos_token": "<|im_start|>",
        "eos_token": "<end_of_utterance>",
        "unk_token": "<|endoftext|>",
        "pad_token": "<|im_end|>",
        "additional_special_tokens": ["<fake_token_around_image>", "<image>", "<end_of_utterance>"],
        "padding_side": "left",
        "clean_up_tokenization_spaces": False,
        "model_max_length": args.max_positions,
        "added_tokens_decoder": tok.added_tokens_decoder(),
        "chat_template": CHAT_TEMPLATE,
    }


def generation_config(tok):
    return {
        "_from_model_config": True,
        "bos_token_id": tok.id("<|im_start|>"),
        # SmolVLM lists both; answers end with <end_of_utterance>.
        "eos_token_id": [tok.id("<|im_end|>"), tok.id("<end_of_utterance>")],
        "pad_token_id": tok.id("<|im_end|>"),
    }


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    vision_cfg = VisionSpec(args.vision_hidden, args.vision_intermediate, args.vision_layers, args.vision_heads,
                            args.image_size, args.patch_size, args.scale_factor)
    # Row/col tokens up to the real models' 6x6, or further if the split grid can be larger.
    tok = SmolTokenizerSpec(args.vocab, max(6, args.longest_edge // args.image_size))
    text_cfg = TextConfig(args.hidden, args.intermediate, args.layers, args.heads, args.kv_heads,
                          args.head_dim, tok.size, rms_norm_eps=1e-5, rope_theta=args.rope_theta)
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "config.json"), model_config(args, tok, vision_cfg, text_cfg))
    write_json(os.path.join(args.out, "generation_config.json"), generation_config(tok))
    write_json(os.path.join(args.out, "preprocessor_config.json"), preprocessor_config(args, vision_cfg))
    write_json(os.path.join(args.out, "processor_config.json"), processor_config(args, vision_cfg))
    write_json(os.path.join(args.out, "tokenizer.json"), tok.tokenizer_json())
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(tok, args))
    export_models(args.out, args, tok, vision_cfg, text_cfg)
    print(f"wrote {args.out}: {args.variant}, vocab {tok.size} (<image> {tok.id('<image>')}), "
          f"{vision_cfg.image_seq_len} image tokens per frame")


if __name__ == "__main__":
    main()
