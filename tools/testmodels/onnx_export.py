"""Exporting the fixture generators' torch modules to ONNX files, shared by every family.

Deterministic: the same module and inputs give byte-identical files.
"""
import io
import os

import onnx
import torch

OPSET = 17


def trace(module, inputs, input_names, output_names, dynamic_axes):
    """Traces ``module`` on ``inputs`` and returns the ONNX model, not yet saved."""
    buffer = io.BytesIO()
    # torch 2.x defaults to the dynamo exporter; the fixtures use the TorchScript tracer, which
    # torch 1.13 (Debian's, for the older generators) only has.
    legacy = {"dynamo": False} if int(torch.__version__.split(".")[0]) >= 2 else {}
    torch.onnx.export(module, inputs, buffer, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True, **legacy)
    return onnx.load_from_string(buffer.getvalue())


def fix_dims(values, static_dims):
    """Replaces the dims the tracer names but are constant: {value name: {axis: size}}."""
    for value in values:
        for i, dim in enumerate(value.type.tensor_type.shape.dim):
            fixed = static_dims.get(value.name, {}).get(i)
            if fixed is not None:
                dim.Clear()
                dim.dim_value = fixed


def save(model, path, external_data=None):
    """Checks the model and writes it, its weights in the file ``external_data`` beside it if given."""
    onnx.checker.check_model(model)
    if external_data:
        data_path = os.path.join(os.path.dirname(path), external_data)
        if os.path.exists(data_path):
            os.remove(data_path)  # onnx appends to an existing data file
        onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=external_data, size_threshold=1024)
    else:
        onnx.save_model(model, path)


def export(module, inputs, path, input_names, output_names, dynamic_axes, external_data=None, static_dims=None):
    """Traces and saves; ``static_dims`` names the input and output dims the tracer cannot prove constant."""
    model = trace(module, inputs, input_names, output_names, dynamic_axes)
    # The tracer invents names for dims it cannot prove constant; state the static ones.
    fix_dims(list(model.graph.input) + list(model.graph.output), static_dims or {})
    save(model, path, external_data)


def concat_decoder_io(layers, kv_heads, head_dim, hidden_size):
    """Example inputs, names and dynamic axes of an optimum-layout decoder (inputs_embeds,
    attention_mask, position_ids, past_key_values.N.key/value -> logits, present.N.key/value),
    traced with a non-empty past and more than one new token so no length gets specialised."""
    batch, past_len, seq = 2, 3, 4
    past = []
    input_names = ["inputs_embeds", "attention_mask", "position_ids"]
    output_names = ["logits"]
    dynamic_axes = {
        "inputs_embeds": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "past_sequence_length + sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(layers):
        for kind in ("key", "value"):
            past.append(torch.randn(batch, kv_heads, past_len, head_dim))
            # transformers.js sizes the empty first-step cache from these symbolic dim names:
            # only "batch_size" is filled in, every other symbolic dim becomes 0.
            input_names.append(f"past_key_values.{i}.{kind}")
            dynamic_axes[input_names[-1]] = {0: "batch_size", 2: "past_sequence_length"}
            output_names.append(f"present.{i}.{kind}")
            dynamic_axes[output_names[-1]] = {0: "batch_size", 2: "past_sequence_length + sequence_length"}
    inputs = (torch.randn(batch, seq, hidden_size),
              torch.ones(batch, past_len + seq, dtype=torch.int64),
              torch.arange(past_len, past_len + seq, dtype=torch.int64).expand(batch, seq).contiguous(),
              *past)
    return inputs, input_names, output_names, dynamic_axes
