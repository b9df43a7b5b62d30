#!/usr/bin/python3
"""Writes the GroupQueryAttention variant of a tiny LLaVA model (onnxruntime-genai decoder layout).

The weights are the ones of the concatenating-cache model written by generate_llava.py: they
are regenerated from the same seed and flags, and every decoder matrix is checked against the
initializers of the source model's decoder_model_merged.onnx, so the two variants cannot drift
apart silently. Everything but the decoder (configs, tokenizer, vision encoder, embedding) is
copied unchanged from the source directory.

    /usr/bin/python3 tools/testmodels/generate_llava_gqa.py
        # reads testdata/models/tiny-llava, writes testdata/models/tiny-llava-gqa

For a model made with non-default flags, pass the same flags after `--`:

    /usr/bin/python3 tools/testmodels/generate_llava_gqa.py --source /tmp/bench-llava \\
        --out /tmp/bench-llava-gqa -- --hidden 768 --intermediate 3072 --layers 12 --heads 12 --kv-heads 4

The decoder (onnx/decoder_model_merged.onnx + .onnx_data) uses one com.microsoft
GroupQueryAttention node per layer, with rotary embedding inside the op (cos/sin caches as
initializers) and seqlens_k / total_sequence_length derived from attention_mask in the graph,
as onnxruntime-genai's builder does. See tools/testmodels/README.md for the IO contract.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import generate_llava  # noqa: E402
from bpe_tokenizer import TokenizerSpec  # noqa: E402
from llava_modules import Decoder, EmbedTokens, TextConfig, VisionConfig, VisionEncoder  # noqa: E402
from onnx_export import save  # noqa: E402

OPSET = 17
MS_OPSET = 1
DECODER = "decoder_model_merged.onnx"
DECODER_DATA = "decoder_model_merged.onnx_data"
COPIED_FILES = [
    "config.json", "generation_config.json", "preprocessor_config.json", "processor_config.json",
    "tokenizer.json", "tokenizer_config.json", "onnx/vision_encoder.onnx", "onnx/embed_tokens.onnx",
]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="Write the GroupQueryAttention variant of a generated LLaVA model.",
                                epilog="Arguments after -- go to generate_llava.py's parser (sizes, seed, scales).")
    p.add_argument("--source", default="testdata/models/tiny-llava", help="model written by generate_llava.py")
    p.add_argument("--out", default="testdata/models/tiny-llava-gqa", help="output model directory")
    p.add_argument("--max-seq-len", type=int, default=None,
                   help="rows of the rotary caches = longest total sequence (default: max_position_embeddings)")
    argv = sys.argv[1:] if argv is None else argv
    if "--" in argv:
        split = argv.index("--")
        own, generator_argv = argv[:split], argv[split + 1:]
    else:
        own, generator_argv = argv, []
    args = p.parse_args(own)
    gen_args = generate_llava.parse_args(generator_argv + ["--out", args.source])
    if args.max_seq_len is None:
        args.max_seq_len = gen_args.max_positions
    if gen_args.head_dim % 16:
        # onnxruntime's GroupQueryAttention refuses cos/sin caches otherwise.
        p.error(f"head_dim {gen_args.head_dim} must be a multiple of 16 for rotary inside GroupQueryAttention")
    return args, gen_args


def regenerate_weights(gen_args):
    """Rebuilds the torch modules exactly as generate_llava.export_models does (same order, same seed)."""
    torch.manual_seed(gen_args.seed)
    tok = TokenizerSpec(gen_args.vocab)
    vision_cfg = VisionConfig(gen_args.vision_hidden, gen_args.vision_intermediate, gen_args.vision_layers,
                              gen_args.vision_heads, gen_args.image_size, gen_args.patch_size)
    text_cfg = TextConfig(gen_args.hidden, gen_args.intermediate, gen_args.layers, gen_args.heads,
                          gen_args.kv_heads, gen_args.head_dim, tok.size, rms_norm_eps=1e-5,
                          rope_theta=gen_args.rope_theta)
    vision = VisionEncoder(vision_cfg, text_cfg.hidden_size, feature_layer=-2).eval()
    embed = EmbedTokens(text_cfg).eval()
    decoder = Decoder(text_cfg).eval()
    generate_llava.init_weights([vision, embed, decoder], gen_args)
    generate_llava.shape_output_head(decoder, tok, gen_args)
    return decoder, text_cfg


def check_same_weights(decoder, source):
    """Fails unless every decoder parameter is an initializer of the source decoder (MatMul weights
    are stored transposed there), i.e. unless the regenerated weights are the committed ones."""
    model = onnx.load(os.path.join(source, "onnx", DECODER))  # loads the external data too
    stored = [numpy_helper.to_array(t) for t in model.graph.initializer]
    for name, param in decoder.named_parameters():
        value = param.detach().numpy()
        candidates = [value, value.T] if value.ndim == 2 else [value]
        if not any(s.shape == c.shape and np.array_equal(s, c) for s in stored for c in candidates):
            raise SystemExit(f"{name} differs from {source}: pass generate_llava.py's flags after --")


def rotary_caches(text_cfg, max_seq_len):
    """cos/sin [max_seq_len, head_dim / 2], computed in float32 the way the concat decoder does
    at run time (position * inv_freq, then cos/sin), so both variants rotate alike."""
    dim = text_cfg.head_dim
    inv_freq = 1.0 / (text_cfg.rope_theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    freqs = torch.arange(max_seq_len, dtype=torch.float32).unsqueeze(-1) * inv_freq
    return freqs.cos().numpy(), freqs.sin().numpy()


class GraphBuilder:
    """Collects nodes and initializers; names follow onnxruntime-genai's /model/... scheme loosely."""

    def __init__(self):
        self.nodes = []
        self.initializers = []

    def const(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def op(self, op_type, inputs, name, outputs=1, domain=None, **attrs):
        names = [f"{name}/output_{i}" for i in range(outputs)]
        self.nodes.append(helper.make_node(op_type, inputs, names, name=name, domain=domain, **attrs))
        return names[0] if outputs == 1 else names

    def rms_norm(self, x, weight, eps, prefix):
        squared = self.op("Pow", [x, "two"], f"{prefix}/Pow")
        mean = self.op("ReduceMean", [squared], f"{prefix}/ReduceMean", axes=[-1], keepdims=1)
        std = self.op("Sqrt", [self.op("Add", [mean, self.const(f"{prefix}.eps", np.float32(eps))], f"{prefix}/Add")],
                      f"{prefix}/Sqrt")
        normed = self.op("Mul", [x, self.op("Div", ["one", std], f"{prefix}/Div")], f"{prefix}/Mul")
        return self.op("Mul", [self.const(f"{prefix}.weight", weight), normed], f"{prefix}/Scale")

    def linear(self, x, weight, prefix):
        # torch Linear weight is [out, in]; MatMul wants [in, out].
        return self.op("MatMul", [x, self.const(f"{prefix}.weight_t", weight.T)], f"{prefix}/MatMul")


def tensor(module):
    return module.weight.detach().numpy().astype(np.float32)


def build_decoder(decoder, text_cfg, max_seq_len):
    g = GraphBuilder()
    g.const("one", np.float32(1.0))
    g.const("two", np.float32(2.0))
    kv_heads, head_dim = text_cfg.num_key_value_heads, text_cfg.head_dim

    # As onnxruntime-genai builds it: seqlens_k = sum(mask) - 1 per row (int32),
    # total_sequence_length = width of the mask (int32 scalar).
    mask_sum = g.op("ReduceSum", ["attention_mask", g.const("axis_1", np.array([1], np.int64))],
                    "/model/attn_mask_reformat/ReduceSum", keepdims=0)
    seqlens_k = g.op("Cast", [g.op("Sub", [mask_sum, g.const("one_i64", np.int64(1))],
                                   "/model/attn_mask_reformat/Sub")],
                     "/model/attn_mask_reformat/seqlens_k", to=TensorProto.INT32)
    mask_shape = g.op("Shape", ["attention_mask"], "/model/attn_mask_reformat/Shape")
    total_len = g.op("Cast", [g.op("Gather", [mask_shape, g.const("index_1", np.int64(1))],
                                   "/model/attn_mask_reformat/Gather", axis=0)],
                     "/model/attn_mask_reformat/total_sequence_length", to=TensorProto.INT32)
    cos, sin = rotary_caches(text_cfg, max_seq_len)
    g.const("cos_cache", cos)
    g.const("sin_cache", sin)

    x = "inputs_embeds"
    for i, layer in enumerate(decoder.layers):
        p = f"/model/layers.{i}"
        attn = layer.self_attn
        h = g.rms_norm(x, tensor(layer.input_layernorm), text_cfg.rms_norm_eps, f"{p}/input_layernorm")
        q = g.linear(h, tensor(attn.q_proj), f"{p}/attn/q_proj")
        k = g.linear(h, tensor(attn.k_proj), f"{p}/attn/k_proj")
        v = g.linear(h, tensor(attn.v_proj), f"{p}/attn/v_proj")
        gqa = f"{p}/attn/GroupQueryAttention"
        g.nodes.append(helper.make_node(
            "GroupQueryAttention",
            [q, k, v, f"past_key_values.{i}.key", f"past_key_values.{i}.value", seqlens_k, total_len,
             "cos_cache", "sin_cache"],
            [f"{gqa}/output_0", f"present.{i}.key", f"present.{i}.value"],
            name=gqa, domain="com.microsoft",
            num_heads=text_cfg.num_attention_heads, kv_num_heads=kv_heads,
            do_rotary=1, rotary_interleaved=0))
        x = g.op("Add", [x, g.linear(f"{gqa}/output_0", tensor(attn.o_proj), f"{p}/attn/o_proj")], f"{p}/attn/Add")
        h = g.rms_norm(x, tensor(layer.post_attention_layernorm), text_cfg.rms_norm_eps,
                       f"{p}/post_attention_layernorm")
        gate = g.linear(h, tensor(layer.gate_proj), f"{p}/mlp/gate_proj")
        silu = g.op("Mul", [gate, g.op("Sigmoid", [gate], f"{p}/mlp/Sigmoid")], f"{p}/mlp/silu")
        up = g.linear(h, tensor(layer.up_proj), f"{p}/mlp/up_proj")
        down = g.linear(g.op("Mul", [silu, up], f"{p}/mlp/Mul"), tensor(layer.down_proj), f"{p}/mlp/down_proj")
        x = g.op("Add", [x, down], f"{p}/mlp/Add")
    h = g.rms_norm(x, tensor(decoder.norm), text_cfg.rms_norm_eps, "/model/norm")
    g.nodes.append(helper.make_node("MatMul", [h, g.const("lm_head.weight_t", tensor(decoder.lm_head).T)],
                                    ["logits"], name="/lm_head/MatMul"))

    hidden, vocab = text_cfg.hidden_size, text_cfg.vocab_size
    f32 = TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("inputs_embeds", f32, ["batch_size", "sequence_length", hidden]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", f32, ["batch_size", "sequence_length", vocab])]
    for i in range(text_cfg.num_hidden_layers):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                f"past_key_values.{i}.{kind}", f32, ["batch_size", kv_heads, "past_sequence_length", head_dim]))
            # max(total_sequence_length, past_sequence_length): the past buffer's length when it is preallocated.
            outputs.append(helper.make_tensor_value_info(
                f"present.{i}.{kind}", f32, ["batch_size", kv_heads, "present_sequence_length", head_dim]))
    graph = helper.make_graph(g.nodes, "llava_text_decoder_gqa", inputs, outputs, g.initializers)
    model = helper.make_model(graph, producer_name="generate_llava_gqa.py", opset_imports=[
        helper.make_opsetid("", OPSET), helper.make_opsetid("com.microsoft", MS_OPSET)])
    return model


def genai_config(config, text_cfg, max_seq_len):
    """onnxruntime-genai style config; file names are relative to the model directory."""
    text = config["text_config"]
    return {
        "model": {
            "type": config["model_type"],
            "bos_token_id": text["bos_token_id"],
            "eos_token_id": text["eos_token_id"],
            "pad_token_id": config["pad_token_id"],
            "vocab_size": text_cfg.vocab_size,
            "context_length": max_seq_len,
            "decoder": {
                "filename": f"onnx/{DECODER}",
                "head_size": text_cfg.head_dim,
                "hidden_size": text_cfg.hidden_size,
                "num_attention_heads": text_cfg.num_attention_heads,
                "num_key_value_heads": text_cfg.num_key_value_heads,
                "num_hidden_layers": text_cfg.num_hidden_layers,
                "inputs": {
                    "inputs_embeds": "inputs_embeds",
                    "attention_mask": "attention_mask",
                    "past_key_names": "past_key_values.%d.key",
                    "past_value_names": "past_key_values.%d.value",
                },
                "outputs": {
                    "logits": "logits",
                    "present_key_names": "present.%d.key",
                    "present_value_names": "present.%d.value",
                },
            },
            "embedding": {
                "filename": "onnx/embed_tokens.onnx",
                "inputs": {"input_ids": "input_ids"},
                "outputs": {"inputs_embeds": "inputs_embeds"},
            },
            "vision": {
                "filename": "onnx/vision_encoder.onnx",
                "inputs": {"pixel_values": "pixel_values"},
                "outputs": {"image_features": "image_features"},
            },
        },
        "search": {
            "do_sample": False,
            "num_beams": 1,
            "max_length": max_seq_len,
            "past_present_share_buffer": True,
        },
    }


def main(argv=None):
    args, gen_args = parse_args(argv)
    decoder, text_cfg = regenerate_weights(gen_args)
    check_same_weights(decoder, args.source)
    os.makedirs(os.path.join(args.out, "onnx"), exist_ok=True)
    for name in COPIED_FILES:
        shutil.copyfile(os.path.join(args.source, name), os.path.join(args.out, name))
    model = build_decoder(decoder, text_cfg, args.max_seq_len)
    save(model, os.path.join(args.out, "onnx", DECODER), DECODER_DATA)
    with open(os.path.join(args.source, "config.json"), encoding="utf-8") as f:
        config = json.load(f)
    generate_llava.write_json(os.path.join(args.out, "genai_config.json"),
                              genai_config(config, text_cfg, args.max_seq_len))
    print(f"wrote {args.out}: {text_cfg.num_hidden_layers} GroupQueryAttention layers, "
          f"rotary caches for {args.max_seq_len} positions")


if __name__ == "__main__":
    main()
