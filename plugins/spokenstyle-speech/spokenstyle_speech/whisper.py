"""The ``whisper`` transcriber: a Whisper checkpoint the user already has, never downloaded.

Where the checkpoint comes from, in order: ``WhisperTranscriber(model=...)`` (``spokenstyle
transcribe --model``), then :data:`ENV` (``SPOKENSTYLE_WHISPER_MODEL``). Either is a folder
written by ``save_pretrained`` (``config.json``, the weights, the tokenizer and
``preprocessor_config.json``) or a Hugging Face id such as ``openai/whisper-small`` that is
already in the local cache (``local_files_only=True``). One copy per (checkpoint, device) in
the process; the model is loaded when the first recording is transcribed.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spokenstyle.errors import UsageError, WeightsError
from spokenstyle.plugins.checkpoints import local_checkpoint

from . import audio

ENV = "SPOKENSTYLE_WHISPER_MODEL"
EXAMPLE_ID = "openai/whisper-small"


def resolve(model: str | os.PathLike | None, env: dict | None = None) -> Path:
    """The checkpoint folder for ``model`` (or ``$SPOKENSTYLE_WHISPER_MODEL``); a WeightsError
    (one line) when none is configured, it is missing, or it is not a Whisper model."""
    path, model_type = local_checkpoint(
        model, env_var=ENV, words="Whisper", example_id=EXAMPLE_ID, env=env,
        saved_by="WhisperForConditionalGeneration.save_pretrained and WhisperProcessor.save_pretrained")
    if model_type != "whisper":
        raise WeightsError(f"'{path}' holds a {model_type!r} model, not Whisper (config.json model_type must be 'whisper'); set {ENV} to a Whisper checkpoint")
    return path


@dataclass
class WhisperBundle:
    """A loaded checkpoint: the model (eval), its feature extractor and tokenizer."""

    path: str
    model: Any
    features: Any
    tokenizer: Any

    @property
    def languages(self) -> list[str]:
        """The language codes the checkpoint knows (``[]``: an English-only ``.en`` model)."""
        lang_to_id = getattr(self.model.generation_config, "lang_to_id", None) or {}
        return sorted(tok.strip("<|>") for tok in lang_to_id)

    @property
    def multilingual(self) -> bool:
        return bool(getattr(self.model.generation_config, "is_multilingual", False)) and bool(self.languages)


_bundles: dict[tuple[str, str], WhisperBundle] = {}
_lock = threading.Lock()


def load(model: str | os.PathLike | None = None, device: Any = "cpu") -> WhisperBundle:
    """The checkpoint for ``model`` (see :func:`resolve`) on ``device``, loaded once per process."""
    path = resolve(model)
    key = (str(path.resolve()), str(device))
    with _lock:
        if key not in _bundles:
            _bundles[key] = _load(path, device)
        return _bundles[key]


@contextlib.contextmanager
def _quiet():
    """transformers' progress bars and advice (max_length vs max_new_tokens, ...) kept off the
    terminal while a model loads and runs; its errors still show."""
    from transformers.utils import logging

    level, bars = logging.get_verbosity(), logging.is_progress_bar_enabled()
    logging.set_verbosity_error()
    logging.disable_progress_bar()
    try:
        yield
    finally:
        logging.set_verbosity(level)
        if bars:
            logging.enable_progress_bar()


def _load(path: Path, device: Any) -> WhisperBundle:
    try:
        import transformers
    except ImportError as exc:
        raise UsageError(f"spokenstyle-speech needs transformers, which is not importable ({exc}): pip install 'transformers>=4.40'") from None
    with _quiet():
        return _load_quietly(transformers, path, device)


def _load_quietly(transformers: Any, path: Path, device: Any) -> WhisperBundle:
    try:
        model = transformers.WhisperForConditionalGeneration.from_pretrained(str(path), local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - OSError, ValueError, RuntimeError ...
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise WeightsError(
            f"Whisper model '{path}' could not be loaded: {type(exc).__name__}: {first}; it must be a complete "
            "WhisperForConditionalGeneration.save_pretrained folder (config.json and model.safetensors)"
        ) from None
    try:
        features = transformers.WhisperFeatureExtractor.from_pretrained(str(path), local_files_only=True)
        if not ((path / "tokenizer.json").is_file() or (path / "vocab.json").is_file()):
            raise FileNotFoundError("no tokenizer.json nor vocab.json")
        tokenizer = transformers.WhisperTokenizer.from_pretrained(str(path), local_files_only=True)
    except Exception as exc:  # noqa: BLE001
        raise WeightsError(
            f"Whisper model '{path}' lacks its processor ({type(exc).__name__}: {' '.join(str(exc).split())[:160]}); save it "
            "with the model: WhisperProcessor.from_pretrained(<id>).save_pretrained(<folder>) writes "
            "preprocessor_config.json and the tokenizer files"
        ) from None
    model.eval().requires_grad_(False).to(device)
    return WhisperBundle(str(path), model, features, tokenizer)


def _device(device: str | None) -> str:
    import torch

    if device in (None, "", "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    return str(device)


class WhisperTranscriber:
    """Transcriber (:class:`spokenstyle.plugins.protocols.Transcriber`): ``transcribe(path,
    language=None)`` -> the text Whisper hears (greedy decoding, no timestamps).

    ``model``: a folder or a cached Hugging Face id (default ``$SPOKENSTYLE_WHISPER_MODEL``);
    ``device``: auto (CUDA when there is one), cpu, cuda, cuda:N. The checkpoint is looked up
    now (a missing one fails before any audio is read) and loaded on the first transcription.
    """

    def __init__(self, model: str | os.PathLike | None = None, device: str | None = "auto") -> None:
        self.path = resolve(model)
        self.device = _device(device)

    def transcribe(self, path: str, language: str | None = None) -> str:
        import torch

        samples = audio.load(path)  # the file's problems come before the model's loading
        bundle = load(self.path, self.device)
        kwargs: dict[str, Any] = {}
        if language is not None:
            code = language.strip().lower().strip("<|>")
            if bundle.multilingual:
                if code not in bundle.languages:
                    raise UsageError(
                        f"--language {language}: the Whisper model '{bundle.path}' does not know it; it knows "
                        f"{', '.join(bundle.languages[:12])}{', ...' if len(bundle.languages) > 12 else ''} "
                        "(Cantonese, yue, is in whisper-large-v3 only), or leave it out to detect the language"
                    )
                kwargs["language"] = code
            elif code != "en":
                raise UsageError(
                    f"--language {language}: the Whisper model '{bundle.path}' is English-only (an .en checkpoint); "
                    "use a multilingual one (openai/whisper-small, ..., large-v3) or --language en"
                )
        if bundle.multilingual:
            kwargs["task"] = "transcribe"  # never translate into English
        inputs = bundle.features(samples, sampling_rate=audio.SAMPLE_RATE, return_tensors="pt")
        dtype = next(bundle.model.parameters()).dtype
        features = inputs.input_features.to(self.device, dtype)
        limit = int(getattr(bundle.model.config, "max_target_positions", 448))
        with torch.no_grad(), _quiet():
            ids = bundle.model.generate(features, max_new_tokens=max(1, min(128, limit // 2 - 4)), **kwargs)
        sequences = ids.sequences if hasattr(ids, "sequences") else ids
        text = bundle.tokenizer.batch_decode(sequences, skip_special_tokens=True)[0]
        return " ".join(text.split())
