"""Greedy decoding through a fixture's three exported graphs, as the server drives them: the
prompt's embeddings with the vision encoder's rows written over the image positions, one prefill,
then one token at a time with the concatenated KV cache and explicit position ids. The generators
check with it that the exports give the tokens of the transformers model they came from."""
import os

import numpy as np
import onnxruntime as ort


def greedy(onnx_dir, ids, image_rows, pixel_values, eos, max_new):
    """Token ids after ``ids``; ``image_rows`` are the prompt positions the image features fill, in
    order, and ``pixel_values`` the vision encoder's input."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    vision = ort.InferenceSession(os.path.join(onnx_dir, "vision_encoder.onnx"), opts)
    embed = ort.InferenceSession(os.path.join(onnx_dir, "embed_tokens.onnx"), opts)
    decoder = ort.InferenceSession(os.path.join(onnx_dir, "decoder_model_merged.onnx"), opts)
    embeds = embed.run(None, {"input_ids": np.asarray([ids], dtype=np.int64)})[0]
    feats = vision.run(None, {"pixel_values": pixel_values.astype(np.float32)})[0].reshape(-1, embeds.shape[-1])
    assert len(image_rows) == len(feats)
    embeds[0, image_rows] = feats
    cache = {i.name: np.zeros((1, i.shape[1], 0, i.shape[3]), dtype=np.float32)
             for i in decoder.get_inputs() if i.name.startswith("past_")}
    length, feeds, positions, out = embeds.shape[1], embeds, np.arange(embeds.shape[1], dtype=np.int64)[None], []
    names = [o.name for o in decoder.get_outputs()]
    while True:
        res = decoder.run(None, {"inputs_embeds": feeds, "attention_mask": np.ones((1, length), dtype=np.int64),
                                 "position_ids": positions, **cache})
        cache = {n.replace("present", "past_key_values"): v for n, v in zip(names[1:], res[1:])}
        token = int(np.argmax(res[0][0, -1]))
        out.append(token)
        if token == eos or len(out) == max_new:
            return out
        feeds = embed.run(None, {"input_ids": np.asarray([[token]], dtype=np.int64)})[0]
        positions = np.asarray([[length]], dtype=np.int64)
        length += 1
