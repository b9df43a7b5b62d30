"""Trains a small byte-level BPE tokenizer and writes it in the Hugging Face tokenizers JSON format.

The HF `tokenizers` Python package is not available here, so both the training loop and the
tokenizer.json layout are written out by hand. The result is a GPT-2 style byte-level BPE
(ByteLevel pre-tokenizer and decoder) with Llama-like special tokens and a TemplateProcessing
post-processor that prepends the BOS token.
"""
import re
from collections import Counter

# A small English corpus written for this fixture. Its words become the learned merges, so
# greedy output of the random model decodes to word-like pieces rather than single bytes.
CORPUS = """
The picture shows a red circle next to a blue square on a light background.
A small cat is sitting on the window and looking at the birds in the garden.
What is in this image? The image shows a colourful gradient from red to green.
Describe the picture in one sentence. There are three stripes: yellow, green and purple.
The checker board has black and white squares of the same size.
Two dogs are running across the field while the sun goes down behind the hills.
A person is reading a book at a wooden table near the door.
The sky is clear and blue, and there are no clouds today.
How many objects can you see? I can see two objects: a circle and a square.
The photo was taken in the morning, when the light was soft and warm.
This is a noisy image with random pixels of every colour.
The model answers questions about images and writes short descriptions.
Please tell me what colour the circle is. The circle is red and the square is blue.
Where is the square? The square is in the lower right part of the picture.
The train arrives at the station at seven in the evening.
She painted the wall green and the ceiling white.
The children are playing with a ball in the park.
A large tree stands in the middle of the field, and its leaves are turning yellow.
We walked along the river and watched the boats pass under the old bridge.
The kitchen smells of fresh bread and coffee every morning.
He wrote a long letter to his friend and sent it by post.
There is a mountain in the distance covered with snow.
The city lights shine brightly at night, and the streets are full of people.
An old clock hangs on the wall above the fireplace.
The water in the lake is calm and reflects the trees.
Can you describe the colours in this picture? The top is dark and the bottom is bright.
The assistant gives helpful, short and honest answers.
The user asks a question and the assistant answers it.
A system message tells the assistant how to behave.
Numbers like 1, 2, 3, 10, 42 and 100 appear in many texts.
The weather will be sunny tomorrow, with a light wind from the west.
A green apple and a yellow banana are lying on the plate.
The road turns left after the bridge and then goes up the hill.
The museum opens at nine and closes at five in the afternoon.
My brother likes to draw pictures of animals, especially horses and birds.
The shape on the left is round, and the shape on the right has four corners.
The image is bright on one side and dark on the other side.
There are many small dots and lines that make a pattern.
In the centre of the image there is a shape with sharp edges.
The background is a soft mix of purple, blue and orange light.
It is a simple drawing with only a few colours.
The answer is yes. The answer is no. I do not know the answer.
Thank you for the question. Here is a short description of the image.
The first line is thin, the second line is thick, and the third line is long.
Look at the picture carefully and count the squares.
The boat is white with a red stripe, and it floats near the shore.
The music in the hall was loud, but the people were happy and danced all night.
They built a small house of stone and wood at the edge of the forest.
Every picture tells a story, and every colour has a meaning.
The light changes from warm yellow at the top to cool blue at the bottom.
"""

_SPECIAL_CONTENT = ("<unk>", "<s>", "</s>")
_TRAILING_SPECIALS = ("<image>", "<pad>")

# Close to GPT-2's pre-tokenization split, using only the stdlib `re` module (no \p{L}).
_PRETOKENIZE = re.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""
)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(
        range(ord("\xae"), ord("\xff") + 1))
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars)}


def _word_counts(text):
    table = bytes_to_unicode()
    counts = Counter()
    for piece in _PRETOKENIZE.findall(text):
        counts[tuple(table[b] for b in piece.encode("utf-8"))] += 1
    return counts


def train_merges(text, max_merges):
    """Classic BPE: repeatedly merge the most frequent adjacent pair.

    Ties are broken by the pair's string order so the result does not depend on dict order.
    Pairs seen only once are merged too (once frequent pairs run out), which memorises whole
    corpus words; stops when every word is a single symbol.
    """
    words = _word_counts(text)
    merges = []
    while len(merges) < max_merges:
        pairs = Counter()
        for word, count in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += count
        if not pairs:
            break
        best = min(pairs.items(), key=lambda item: (-item[1], item[0]))
        (a, b), _ = best
        merged = a + b
        merges.append((a, b))
        new_words = Counter()
        for word, count in words.items():
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == a and word[i + 1] == b:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            new_words[tuple(out)] += count
        words = new_words
    return merges


class TokenizerSpec:
    """Vocabulary layout: <unk>, <s>, </s>, 256 byte symbols, merges, then <image>, <pad>."""

    def __init__(self, vocab_size):
        table = bytes_to_unicode()
        base = len(_SPECIAL_CONTENT) + 256
        merges = train_merges(CORPUS, max(0, vocab_size - base - len(_TRAILING_SPECIALS)))
        self.vocab = {}
        for token in _SPECIAL_CONTENT:
            self.vocab[token] = len(self.vocab)
        for b in range(256):
            self.vocab[table[b]] = len(self.vocab)
        self.merges = []
        for a, b in merges:
            self.merges.append((a, b))
            if a + b not in self.vocab:  # two different merges may build the same string
                self.vocab[a + b] = len(self.vocab)
        self.unk_id = self.vocab["<unk>"]
        self.bos_id = self.vocab["<s>"]
        self.eos_id = self.vocab["</s>"]
        self.image_id = len(self.vocab)
        self.pad_id = self.image_id + 1
        self.size = self.pad_id + 1

    def byte_ids(self):
        """byte value -> id of its single-byte token."""
        table = bytes_to_unicode()
        return {b: self.vocab[table[b]] for b in range(256)}

    def special_tokens(self):
        """(id, content) of every special token, in id order."""
        return [(self.unk_id, "<unk>"), (self.bos_id, "<s>"), (self.eos_id, "</s>"),
                (self.image_id, "<image>"), (self.pad_id, "<pad>")]

    def tokenizer_json(self):
        added = [
            {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": True}
            for i, c in self.special_tokens()
        ]
        byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": added,
            "normalizer": None,
            "pre_tokenizer": byte_level,
            "post_processor": {
                "type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                         {"Sequence": {"id": "A", "type_id": 0}},
                         {"SpecialToken": {"id": "<s>", "type_id": 1}},
                         {"Sequence": {"id": "B", "type_id": 1}}],
                "special_tokens": {"<s>": {"id": "<s>", "ids": [self.bos_id], "tokens": ["<s>"]}},
            },
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
        return {
            str(i): {"content": c, "lstrip": False, "normalized": False, "rstrip": False,
                     "single_word": False, "special": True}
            for i, c in self.special_tokens()
        }

    def encode(self, text):
        """Reference encoder (ASCII/approximate pre-tokenization, no special tokens) for self-checks."""
        table = bytes_to_unicode()
        ranks = {pair: i for i, pair in enumerate(self.merges)}
        ids = []
        for piece in _PRETOKENIZE.findall(text):
            word = [table[b] for b in piece.encode("utf-8")]
            while len(word) > 1:
                candidates = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
                rank, i = min(candidates)
                if rank == 1 << 30:
                    break
                word[i:i + 2] = [word[i] + word[i + 1]]
            ids.extend(self.vocab[t] for t in word)
        return ids
