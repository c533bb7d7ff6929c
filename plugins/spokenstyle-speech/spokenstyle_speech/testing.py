"""Tiny Whisper checkpoints that say a chosen sentence, written with ``save_pretrained``: what the
tests (and a plugin author's) load through the plugin exactly as a user's local model is
loaded, with no network.

The model is a real ``WhisperForConditionalGeneration`` (one encoder and one decoder layer,
64 wide) with a byte-level tokenizer (every byte a token, plus Whisper's special tokens), a
``WhisperFeatureExtractor`` and a generation config with the language and task tokens. Its
weights are set so that greedy decoding emits ``transcript`` whatever the audio: the token
embeddings and every residual branch of the decoder are zero, so the decoder's state at
position ``t`` is its position embedding (one-hot at ``t``), and the output projection maps
position ``t`` to the ``t``-th token of ``<|startoftranscript|> <|lang|> <|transcribe|>
<|notimestamps|> transcript <|endoftext|>``. Language detection therefore finds ``language``.
"""

from __future__ import annotations

import json
from pathlib import Path

#: The languages the tiny model knows (yue: Cantonese, as in whisper-large-v3).
LANGUAGES = ("en", "zh", "yue")
SPECIALS = ("<|endoftext|>", "<|startoftranscript|>", *(f"<|{c}|>" for c in LANGUAGES), "<|translate|>",
            "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>", "<|notimestamps|>")


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2/Whisper's reversible byte -> printable character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def write_tokenizer(directory: str | Path):
    """A byte-level Whisper tokenizer (no merges) saved in ``directory``; returns it."""
    from transformers import WhisperTokenizer

    directory = Path(directory)
    src = directory / "_src"
    src.mkdir(parents=True, exist_ok=True)
    vocab = {c: i for i, c in enumerate(_bytes_to_unicode().values())}
    for tok in SPECIALS:
        vocab[tok] = len(vocab)
    (src / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (src / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    tokenizer = WhisperTokenizer(str(src / "vocab.json"), str(src / "merges.txt"), unk_token="<|endoftext|>",
                                 bos_token="<|endoftext|>", eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                 additional_special_tokens=list(SPECIALS[1:]))
    tokenizer.save_pretrained(str(directory))
    for f in src.iterdir():
        f.unlink()
    src.rmdir()
    return tokenizer


def make_tiny_whisper(directory: str | Path, transcript: str = "warmer", language: str = "en",
                      *, languages: tuple[str, ...] = LANGUAGES) -> Path:
    """Write a tiny Whisper checkpoint to ``directory`` that hears ``transcript`` in every
    recording (and detects ``language``); returns the folder. ``languages``: the language
    tokens its generation config lists (leave out ``"yue"`` to get a model without Cantonese)."""
    import torch
    from transformers import GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = write_tokenizer(directory)
    ids = {tok: tokenizer.convert_tokens_to_ids(tok) for tok in SPECIALS}
    text_ids = tokenizer.encode(transcript, add_special_tokens=False)
    sequence = [ids["<|startoftranscript|>"], ids[f"<|{language}|>"], ids["<|transcribe|>"], ids["<|notimestamps|>"],
                *text_ids, ids["<|endoftext|>"]]
    width, positions = 64, 64
    if len(sequence) > positions:
        raise ValueError(f"transcript {transcript!r} is {len(text_ids)} tokens; the tiny model says at most {positions - 5}")
    config = WhisperConfig(
        vocab_size=len(tokenizer), num_mel_bins=80, d_model=width, encoder_layers=1, decoder_layers=1,
        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64, decoder_ffn_dim=64,
        max_source_positions=1500, max_target_positions=positions, tie_word_embeddings=False,
        pad_token_id=ids["<|endoftext|>"], bos_token_id=ids["<|endoftext|>"], eos_token_id=ids["<|endoftext|>"],
        decoder_start_token_id=ids["<|startoftranscript|>"],
    )
    torch.manual_seed(0)
    model = WhisperForConditionalGeneration(config).eval()
    decoder = model.model.decoder
    with torch.no_grad():
        decoder.embed_tokens.weight.zero_()
        decoder.embed_positions.weight.copy_(torch.eye(positions, width))
        for layer in decoder.layers:  # every residual branch adds zero: the state is the position embedding
            for linear in (layer.self_attn.out_proj, layer.encoder_attn.out_proj, layer.fc2):
                linear.weight.zero_()
                if linear.bias is not None:
                    linear.bias.zero_()
        decoder.layer_norm.weight.fill_(1.0)
        decoder.layer_norm.bias.zero_()
        proj = model.proj_out.weight
        proj.zero_()
        for t, nxt in enumerate(sequence[1:]):  # at position t, say the token that follows
            proj[nxt, t] = 10.0
    model.save_pretrained(str(directory))
    lang_to_id = {f"<|{c}|>": ids[f"<|{c}|>"] for c in languages}
    generation = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"], eos_token_id=ids["<|endoftext|>"],
        pad_token_id=ids["<|endoftext|>"], bos_token_id=ids["<|endoftext|>"],
        is_multilingual=True, lang_to_id=lang_to_id,
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        no_timestamps_token_id=ids["<|notimestamps|>"], suppress_tokens=[], begin_suppress_tokens=[],
        return_timestamps=False,
    )
    generation.save_pretrained(str(directory))
    WhisperFeatureExtractor(feature_size=80, sampling_rate=16000).save_pretrained(str(directory))
    return directory
