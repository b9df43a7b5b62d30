#!/usr/bin/python3
"""Writes a random-weight LLaVA-1.5 model in the optimum / transformers.js ONNX export layout.

Deterministic for a given seed and arguments: running it twice writes identical files.
Defaults make the tiny test fixture (testdata/models/tiny-llava); larger sizes make bench models, e.g.

    /usr/bin/python3 tools/testmodels/generate_llava.py --out /tmp/bench-llava \\
        --hidden 768 --intermediate 2048 --layers 12 --heads 12 --kv-heads 4

Layout written:
    config.json, generation_config.json, preprocessor_config.json, processor_config.json,
    tokenizer.json, tokenizer_config.json,
    onnx/vision_encoder.onnx, onnx/embed_tokens.onnx,
    onnx/decoder_model_merged.onnx + onnx/decoder_model_merged.onnx_data
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bpe_tokenizer import TokenizerSpec  # noqa: E402
from llava_modules import Decoder, EmbedTokens, TextConfig, VisionConfig, VisionEncoder, llama_text_config  # noqa: E402
from onnx_export import concat_decoder_io, export  # noqa: E402

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]
DECODER_DATA = "decoder_model_merged.onnx_data"

# Rendered like llava-hf's LLaVA-1.5 template: "USER: <image>\n<text> ASSISTANT:". System turns
# have no role prefix; images of a turn come before its text. One line, no whitespace control,
# so every Jinja implementation renders it the same way.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] != 'system' %}{{ message['role'].upper() + ': ' }}{% endif %}"
    "{% if message['content'] is string %}{{ message['content'] + ' ' }}{% else %}"
    "{% for part in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>\\n' }}{% endfor %}"
    "{% for part in message['content'] | selectattr('type', 'equalto', 'text') %}{{ part['text'] + ' ' }}{% endfor %}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ 'ASSISTANT:' }}{% endif %}"
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Generate a random-weight LLaVA-1.5 ONNX model directory.")
    p.add_argument("--out", default="testdata/models/tiny-llava", help="output model directory")
    p.add_argument("--seed", type=int, default=6, help="picked for varied goldens with clear logit margins")
    p.add_argument("--vocab", type=int, default=768, help="target tokenizer/model vocabulary size")
    p.add_argument("--hidden", type=int, default=64, help="text hidden size")
    p.add_argument("--intermediate", type=int, default=128, help="text MLP size")
    p.add_argument("--layers", type=int, default=2, help="text decoder layers")
    p.add_argument("--heads", type=int, default=4, help="text attention heads")
    p.add_argument("--kv-heads", type=int, default=2, help="text key/value heads (GQA)")
    p.add_argument("--head-dim", type=int, default=None, help="default: hidden / heads")
    p.add_argument("--max-positions", type=int, default=512)
    p.add_argument("--rope-theta", type=float, default=10000.0)
    p.add_argument("--vision-hidden", type=int, default=32)
    p.add_argument("--vision-intermediate", type=int, default=64)
    p.add_argument("--vision-layers", type=int, default=2)
    p.add_argument("--vision-heads", type=int, default=2)
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--patch-size", type=int, default=8)
    p.add_argument("--init-std", type=float, default=0.15,
                   help="std of the random weights; larger gives more varied greedy output")
    p.add_argument("--embed-std", type=float, default=1.0, help="std of the token embedding")
    p.add_argument("--ascii-byte-scale", type=float, default=0.6, help="lm_head row scale, ASCII byte tokens")
    p.add_argument("--high-byte-scale", type=float, default=0.3, help="lm_head row scale, bytes >= 0x80")
    p.add_argument("--eos-scale", type=float, default=1.0, help="lm_head row scale of EOS")
    args = p.parse_args(argv)
    if args.head_dim is None:
        args.head_dim = args.hidden // args.heads
    if args.heads % args.kv_heads:
        p.error("--heads must be a multiple of --kv-heads")
    if args.image_size % args.patch_size:
        p.error("--image-size must be a multiple of --patch-size")
    return args


def init_weights(modules, args):
    """Seeded init with one scale for all matrices: the default torch inits draw from the
    global RNG in module-construction order, which is fragile; this is explicit."""
    gen = torch.Generator().manual_seed(args.seed)
    for module in modules:
        for name, param in module.named_parameters():
            with torch.no_grad():
                if "norm" in name and name.endswith("weight"):
                    param.copy_(1.0 + 0.1 * torch.randn(param.shape, generator=gen))
                elif name.endswith("embed_tokens.weight"):
                    param.copy_(args.embed_std * torch.randn(param.shape, generator=gen))
                elif name.endswith("bias"):
                    param.copy_(0.02 * torch.randn(param.shape, generator=gen))
                else:
                    fan_in = param.shape[1] if param.dim() == 2 else param[0].numel() if param.dim() > 1 else 1
                    scale = args.init_std if param.dim() < 2 else args.init_std * (64.0 / fan_in) ** 0.5
                    param.copy_(scale * torch.randn(param.shape, generator=gen))


def shape_output_head(decoder, tok, args):
    """Rescales lm_head rows so greedy output of random weights reads like text.

    Tokens that a real model never emits mid-answer (<unk>, <s>, <pad>, <image>) get zero rows,
    i.e. logit 0 against a max of hundreds of random logits; single-byte tokens get smaller rows
    so learned words dominate (bytes >= 0x80 most of all, to keep partial UTF-8 rare); EOS is
    damped so it ends some answers but not after a few tokens.
    """
    with torch.no_grad():
        rows = decoder.lm_head.weight
        for token_id in (tok.unk_id, tok.bos_id, tok.pad_id, tok.image_id):
            rows[token_id].zero_()
        for byte, token_id in tok.byte_ids().items():
            rows[token_id] *= args.ascii_byte_scale if byte < 0x80 else args.high_byte_scale
        rows[tok.eos_id] *= args.eos_scale


def export_models(out, args, tok, vision_cfg, text_cfg):
    vision = VisionEncoder(vision_cfg, text_cfg.hidden_size, feature_layer=-2).eval()
    embed = EmbedTokens(text_cfg).eval()
    decoder = Decoder(text_cfg).eval()
    init_weights([vision, embed, decoder], args)
    shape_output_head(decoder, tok, args)
    onnx_dir = os.path.join(out, "onnx")
    os.makedirs(onnx_dir, exist_ok=True)

    pixel_values = torch.randn(2, 3, vision_cfg.image_size, vision_cfg.image_size)
    export(vision, (pixel_values,), os.path.join(onnx_dir, "vision_encoder.onnx"),
           ["pixel_values"], ["image_features"],
           {"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"}},
           static_dims={"image_features": {1: vision_cfg.num_patches}})

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
    return {
        "architectures": ["LlavaForConditionalGeneration"],
        "model_type": "llava",
        "ignore_index": -100,
        "image_token_index": tok.image_id,
        "pad_token_id": tok.pad_id,
        "projector_hidden_act": "gelu",
        "vision_feature_layer": -2,
        "vision_feature_select_strategy": "default",
        "image_seq_length": vision_cfg.num_patches,
        "tie_word_embeddings": False,
        "vocab_size": tok.size,
        "torch_dtype": "float32",
        "text_config": llama_text_config(text_cfg, tok.size, args.max_positions,
                                         bos=tok.bos_id, eos=tok.eos_id, pad=tok.pad_id),
        "vision_config": {
            "model_type": "clip_vision_model",
            "hidden_size": vision_cfg.hidden_size,
            "intermediate_size": vision_cfg.intermediate_size,
            "num_hidden_layers": vision_cfg.num_hidden_layers,
            "num_attention_heads": vision_cfg.num_attention_heads,
            "num_channels": vision_cfg.num_channels,
            "image_size": vision_cfg.image_size,
            "patch_size": vision_cfg.patch_size,
            "hidden_act": "quick_gelu",
            "layer_norm_eps": vision_cfg.layer_norm_eps,
            "projection_dim": vision_cfg.hidden_size,
        },
        "transformers.js_config": {
            "use_external_data_format": {"decoder_model_merged.onnx": 1},
        },
    }


def preprocessor_config(vision_cfg):
    size = vision_cfg.image_size
    return {
        "image_processor_type": "CLIPImageProcessor",
        "processor_class": "LlavaProcessor",
        "do_convert_rgb": True,
        "do_resize": True,
        "size": {"shortest_edge": size},
        "resample": 3,
        "do_center_crop": True,
        "crop_size": {"height": size, "width": size},
        "do_rescale": True,
        "rescale_factor": 1 / 255,
        "do_normalize": True,
        "image_mean": CLIP_MEAN,
        "image_std": CLIP_STD,
    }


def processor_config(vision_cfg):
    return {
        "processor_class": "LlavaProcessor",
        "image_token": "<image>",
        "patch_size": vision_cfg.patch_size,
        "vision_feature_select_strategy": "default",
        # 0, not llava-hf's 1: see tools/testmodels/README.md.
        "num_additional_image_tokens": 0,
    }


def tokenizer_config(tok, args):
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": True,
        "add_eos_token": False,
        "bos_token": "<s>",
        "eos_token": "</s>",
        "unk_token": "<unk>",
        "pad_token": "<pad>",
        "image_token": "<image>",
        "padding_side": "left",
        "clean_up_tokenization_spaces": False,
        "model_max_length": args.max_positions,
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


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    tok = TokenizerSpec(args.vocab)
    vision_cfg = VisionConfig(args.vision_hidden, args.vision_intermediate, args.vision_layers,
                              args.vision_heads, args.image_size, args.patch_size)
    text_cfg = TextConfig(args.hidden, args.intermediate, args.layers, args.heads, args.kv_heads,
                          args.head_dim, tok.size, rms_norm_eps=1e-5, rope_theta=args.rope_theta)
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "config.json"), model_config(args, tok, vision_cfg, text_cfg))
    write_json(os.path.join(args.out, "generation_config.json"), generation_config(tok))
    write_json(os.path.join(args.out, "preprocessor_config.json"), preprocessor_config(vision_cfg))
    write_json(os.path.join(args.out, "processor_config.json"), processor_config(vision_cfg))
    write_json(os.path.join(args.out, "tokenizer.json"), tok.tokenizer_json())
    write_json(os.path.join(args.out, "tokenizer_config.json"), tokenizer_config(tok, args))
    export_models(args.out, args, tok, vision_cfg, text_cfg)
    print(f"wrote {args.out}: vocab {tok.size} (<image> {tok.image_id}, <pad> {tok.pad_id}), "
          f"{vision_cfg.num_patches} image tokens")


if __name__ == "__main__":
    main()
