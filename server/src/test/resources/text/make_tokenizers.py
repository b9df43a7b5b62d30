#!/usr/bin/python3
"""Writes the tiny tokenizer fixtures used by the dev.vlm.server.text tests.

Three hand-made tokenizers, each small enough to read, each in a real Hugging Face
tokenizer.json layout:
  bytelevel/  GPT-2 style byte-level BPE (ByteLevel pre-tokenizer and decoder).
  llama/      Llama-2 style SentencePiece BPE: Prepend/Replace normalizer, byte fallback,
              decoder Replace + ByteFallback + Fuse + Strip (drops the first leading space).
  metaspace/  Metaspace pre-tokenizer and decoder with byte fallback.
Some merges deliberately stop half-way through a multi-byte UTF-8 character so that the
detokenizer tests see characters split across tokens.

Run from this directory: /usr/bin/python3 make_tokenizers.py
"""
import json
import os

SPECIAL_BYTELEVEL = ["<s>", "</s>", "<image>"]


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable character table."""
    printable = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1))
                 + list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def added(token_id, content, special=True):
    return {"id": token_id, "content": content, "single_word": False, "lstrip": False,
            "rstrip": False, "normalized": False, "special": special}


def template(bos, bos_id):
    return {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
        "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                 {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }


def bpe_model(vocab, merges, **extra):
    model = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
             "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
             "ignore_merges": False, "vocab": vocab, "merges": merges}
    model.update(extra)
    return model


def byte_level():
    table = bytes_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    # Pairs of byte strings; the merged token is their concatenation.
    pairs = [(b"h", b"e"), (b"l", b"l"), (b"he", b"ll"), (b"hell", b"o"), (b"H", b"e"), (b"He", b"ll"),
             (b"Hell", b"o"), (b" ", b"w"), (b"o", b"r"), (b" w", b"or"), (b"l", b"d"), (b" wor", b"ld"),
             (b" ", b"t"), (b"t", b"h"), (b" t", b"h"), (b" th", b"e"), (b"i", b"n"), (b" ", b"i"),
             (b" i", b"s"), (b" ", b" "), (b"c", b"a"), ("é".encode()[:1], "é".encode()[1:]),
             # half of a 3-byte CJK character, halves of a 4-byte emoji
             ("中".encode()[:1], "中".encode()[1:2]),
             ("😀".encode()[:1], "😀".encode()[1:2]), ("😀".encode()[2:3], "😀".encode()[3:4]),
             (b"\n", b"\n")]
    merges = []
    for left, right in pairs:
        a = "".join(table[b] for b in left)
        b = "".join(table[b] for b in right)
        merges.append(a + " " + b)
        vocab.setdefault(a + b, len(vocab))
    base = len(vocab)
    tokens = [added(base + i, t) for i, t in enumerate(SPECIAL_BYTELEVEL)]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": tokens,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": template("<s>", base),
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": bpe_model(vocab, merges),
    }


SP = "\u2581"


def sentencepiece_vocab():
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab["<0x%02X>" % b] = len(vocab)
    for ch in [SP] + list("HWabcdefghilnorstuwy?.,é中"):
        vocab.setdefault(ch, len(vocab))
    pieces = [("l", "l"), ("H", "e"), ("He", "ll"), ("Hell", "o"), (SP, "Hello"),
              (SP, "w"), ("o", "r"), (SP + "w", "or"), ("l", "d"), (SP + "wor", "ld"), (SP, "t"),
              ("h", "e"), (SP + "t", "he"), (SP, "i"), ("i", "s"), (SP + "i", "s"), (SP, SP), (SP, "中")]
    merges = []
    for a, b in pieces:
        merges.append(a + " " + b)
        vocab.setdefault(a + b, len(vocab))
    return vocab, merges


def sentencepiece_added(vocab_size):
    return [added(0, "<unk>"), added(1, "<s>"), added(2, "</s>"), added(vocab_size, "<image>")]


def llama():
    vocab, merges = sentencepiece_vocab()
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": sentencepiece_added(len(vocab)),
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": SP},
            {"type": "Replace", "pattern": {"String": " "}, "content": SP}]},
        "pre_tokenizer": None,
        "post_processor": template("<s>", 1),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": SP}, "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
        "model": bpe_model(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True),
    }


def metaspace():
    vocab, merges = sentencepiece_vocab()
    return {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": sentencepiece_added(len(vocab)),
        "normalizer": None,
        "pre_tokenizer": {"type": "Metaspace", "replacement": SP, "prepend_scheme": "first", "split": False},
        "post_processor": template("<s>", 1),
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "ByteFallback"},
            {"type": "Metaspace", "replacement": SP, "prepend_scheme": "first", "split": False}]},
        "model": bpe_model(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True),
    }


def write(name, tokenizer):
    os.makedirs(name, exist_ok=True)
    with open(os.path.join(name, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer, f, ensure_ascii=False, indent=1)
        f.write("\n")
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
              "clean_up_tokenization_spaces": False, "model_max_length": 4096}
    with open(os.path.join(name, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    write("bytelevel", byte_level())
    write("llama", llama())
    write("metaspace", metaspace())
