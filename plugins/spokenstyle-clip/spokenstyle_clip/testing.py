"""Tiny random CLIP and Chinese-CLIP checkpoints, written with ``save_pretrained``: what the
tests (and a plugin author's tests) load through the plugin exactly as a user's local model is
loaded, with no network. The weights are random, so similarities mean nothing; shapes, file
layout, tokenisation and gradients are those of the real models.

``real_size=True`` keeps transformers' default configs (CLIP ViT-B/32 size: 151 M parameters,
224² input) with random weights, for timing.
"""

from __future__ import annotations

import json
from pathlib import Path

from .prototypes import all_prototype_texts

#: Extra text the tiny tokenizers know, so test prompts tokenise to real tokens.
EXTRA_TEXT = (
    "a dreamy pastel watercolor warm cool photo picture of the style painting 梦幻的粉彩水彩 一张照片 图片 风格 "
    "make it like an oil with brush strokes 来点复古胶片感，别太暗"
)


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/CLIP's reversible byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_clip_tokenizer(directory: str | Path) -> int:
    """A byte-level BPE tokenizer in CLIP's format (vocab.json, merges.txt): every byte, alone
    and word-final, plus a few merges; returns the vocabulary size."""
    from transformers import CLIPTokenizer

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    chars = list(_bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    merges = []
    for pair in (("t", "h"), ("th", "e</w>"), ("o", "n"), ("e", "r"), ("i", "n"), ("a", "t</w>")):
        a, b = pair
        merged = a + b
        if merged not in vocab:
            vocab[merged] = len(vocab)
        merges.append(f"{a} {b}")
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    src = directory / "_src"
    src.mkdir(exist_ok=True)
    (src / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (src / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    tokenizer = CLIPTokenizer.from_pretrained(str(src), local_files_only=True)  # reads vocab.json, merges.txt
    tokenizer.save_pretrained(directory)
    for f in src.iterdir():
        f.unlink()
    src.rmdir()
    return len(vocab)


def write_bert_tokenizer(directory: str | Path) -> int:
    """A WordPiece tokenizer in BERT's format (vocab.txt) knowing the prototypes' characters and
    words (Chinese is split per character, as Chinese-CLIP's tokenizer does); returns its size."""
    from transformers import BertTokenizer

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    text = " ".join(all_prototype_texts()) + " " + EXTRA_TEXT
    seen = set(tokens)
    for word in text.lower().replace(",", " ").split():
        for piece in ([word] if word.isascii() else list(word)):
            if piece not in seen:
                seen.add(piece)
                tokens.append(piece)
    for c in "abcdefghijklmnopqrstuvwxyz0123456789,.!?'&-，。！？":
        for piece in (c, "##" + c):
            if piece not in seen:
                seen.add(piece)
                tokens.append(piece)
    (directory / "vocab.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
    BertTokenizer.from_pretrained(str(directory), local_files_only=True).save_pretrained(directory)  # reads vocab.txt
    return len(tokens)


def make_tiny_clip(directory: str | Path, *, seed: int = 0, real_size: bool = False) -> Path:
    """A random ``CLIPModel`` and its tokenizer in ``directory`` (``save_pretrained``)."""
    import torch
    from transformers import CLIPConfig, CLIPModel

    directory = Path(directory)
    vocab = write_clip_tokenizer(directory)
    text = dict(vocab_size=max(vocab, 49408) if real_size else vocab, bos_token_id=vocab - 2, eos_token_id=vocab - 1, pad_token_id=vocab - 1)
    vision: dict = {}
    if not real_size:
        text.update(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77)
        vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32, patch_size=8)
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=16 if not real_size else 512)
    torch.manual_seed(seed)
    CLIPModel(config).save_pretrained(directory)
    _write_preprocessor(directory, config.vision_config.image_size)
    return directory


def make_tiny_chinese_clip(directory: str | Path, *, seed: int = 0) -> Path:
    """A random ``ChineseCLIPModel`` (BERT text tower) and its BERT tokenizer in ``directory``."""
    import torch
    from transformers import ChineseCLIPConfig, ChineseCLIPModel

    directory = Path(directory)
    vocab = write_bert_tokenizer(directory)
    text = dict(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                max_position_embeddings=64, pad_token_id=0, initializer_range=0.5)  # large: random CLS features that differ by text
    vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32, patch_size=8)
    config = ChineseCLIPConfig(text_config=text, vision_config=vision, projection_dim=16)
    torch.manual_seed(seed)
    ChineseCLIPModel(config).save_pretrained(directory)
    _write_preprocessor(directory, config.vision_config.image_size)
    return directory


def _write_preprocessor(directory: Path, size: int) -> None:
    """preprocessor_config.json as CLIPImageProcessor writes it: the mean/std the plugin reads."""
    (directory / "preprocessor_config.json").write_text(json.dumps({
        "image_processor_type": "CLIPImageProcessor",
        "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711],
        "size": {"shortest_edge": size},
        "crop_size": {"height": size, "width": size},
    }), encoding="utf-8")
