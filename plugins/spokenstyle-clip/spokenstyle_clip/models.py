"""Finding and loading a CLIP or Chinese-CLIP checkpoint: from a local directory or the Hugging
Face cache, never from the network; one copy per (checkpoint, device) in the process.

Where the checkpoint comes from, in order: the ``model=`` argument, then the environment
variable of the family (:data:`ENV`). Either is a directory written by ``save_pretrained``
(``config.json``, the weights, the tokenizer files) or a Hugging Face id such as
``openai/clip-vit-base-patch32`` that is already in the local cache.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spokenstyle.errors import WeightsError
from spokenstyle.plugins.checkpoints import local_checkpoint

FAMILIES = {
    # family: (model_type in config.json, transformers class, words)
    "clip": ("clip", "CLIPModel", "CLIP"),
    "chinese-clip": ("chinese_clip", "ChineseCLIPModel", "Chinese-CLIP"),
}
ENV = {"clip": "SPOKENSTYLE_CLIP_MODEL", "chinese-clip": "SPOKENSTYLE_CHINESE_CLIP_MODEL"}
EXAMPLE_ID = {"clip": "openai/clip-vit-base-patch32", "chinese-clip": "OFA-Sys/chinese-clip-vit-base-patch16"}
#: OpenAI CLIP's pixel statistics, used when the checkpoint has no preprocessor_config.json.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass
class ClipBundle:
    """A loaded checkpoint: the model (eval, frozen), its tokenizer and preprocessing."""

    family: str
    path: str
    model: Any
    tokenizer: Any
    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    max_length: int
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def device(self):
        return next(self.model.parameters()).device

    def text_features(self, texts: list[str]):
        """L2-normalised projected text features, (len(texts), D), no autograd."""
        import torch

        tok = self.tokenizer(list(texts), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
        tok = {k: v.to(self.device) for k, v in tok.items() if k in ("input_ids", "attention_mask", "token_type_ids")}
        with torch.no_grad():
            out = self.model.get_text_features(**tok)
        feats = out if isinstance(out, torch.Tensor) else out.pooler_output  # transformers 4.x: a tensor
        return torch.nn.functional.normalize(feats.float(), dim=-1)

    def image_features(self, images):
        """L2-normalised projected image features of (N, 3, H, W) sRGB in [0, 1], resized to
        the model's input size; differentiable with respect to ``images``."""
        import torch
        import torch.nn.functional as F

        x = images
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bicubic", align_corners=False)
        mean = torch.tensor(self.mean, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(self.std, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        out = self.model.get_image_features(pixel_values=(x - mean) / std)
        feats = out if isinstance(out, torch.Tensor) else out.pooler_output
        return F.normalize(feats.float(), dim=-1)


_bundles: dict[tuple[str, str, str], ClipBundle] = {}
_lock = threading.Lock()


def resolve(model: str | os.PathLike | None, family: str, env: dict | None = None) -> Path:
    """The checkpoint directory for ``model`` (or the family's environment variable); a clear
    :class:`~spokenstyle.errors.WeightsError` when there is none, it is missing, or it holds
    another kind of model."""
    words = FAMILIES[family][2]
    var = ENV[family]
    path, model_type = local_checkpoint(
        model, env_var=var, words=words, example_id=EXAMPLE_ID[family], env=env, pass_model=", or pass model=...",
        saved_by=f"{FAMILIES[family][1]}.save_pretrained (config.json, model.safetensors, tokenizer files)",
        cache_fix=f"pass a local folder with model= / {var}")
    expected = FAMILIES[family][0]
    if model_type != expected:
        other = next((f for f, spec in FAMILIES.items() if spec[0] == model_type), None)
        hint = f"; it is a {FAMILIES[other][2]} model: use the '{other}' encoder ({ENV[other]})" if other else ""
        raise WeightsError(
            f"'{path}' holds a {model_type!r} model, not {words} (config.json model_type must be {expected!r}){hint}"
        )
    return path


def load(model: str | os.PathLike | None, family: str, device: Any = "cpu") -> ClipBundle:
    """The checkpoint for ``model`` (see :func:`resolve`) on ``device``, loaded once per process."""
    path = resolve(model, family)
    key = (str(path.resolve()), family, str(device))
    with _lock:
        if key in _bundles:
            return _bundles[key]
        bundle = _load(path, family, device)
        _bundles[key] = bundle
        return bundle


def _load(path: Path, family: str, device: Any) -> ClipBundle:
    try:
        import transformers
    except ImportError as exc:
        from spokenstyle.errors import UsageError

        raise UsageError(
            f"the {FAMILIES[family][2]} components of spokenstyle-clip need transformers, which is not importable "
            f"({exc}): pip install 'transformers>=4.40'"
        ) from None

    model_type, cls_name, words = FAMILIES[family]
    try:
        model = getattr(transformers, cls_name).from_pretrained(str(path), local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - transformers raises OSError, ValueError, RuntimeError ...
        raise WeightsError(
            f"{words} model '{path}' could not be loaded: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}; "
            f"it must be a complete {cls_name}.save_pretrained folder (config.json and model.safetensors)"
        ) from None
    files = ("vocab.json", "merges.txt") if family == "clip" else ("vocab.txt",)
    # Checked first: some transformers versions make a placeholder tokenizer from nothing.
    has_files = (path / "tokenizer.json").is_file() or all((path / f).is_file() for f in files)
    try:
        if not has_files:
            raise FileNotFoundError("no tokenizer.json nor " + " and ".join(files))
        tokenizer = transformers.AutoTokenizer.from_pretrained(str(path), local_files_only=True)
    except Exception as exc:  # noqa: BLE001
        raise WeightsError(
            f"{words} model '{path}' has no usable tokenizer ({type(exc).__name__}: {exc}); save the tokenizer with the "
            f"model (tokenizer.save_pretrained), which writes tokenizer.json or {' and '.join(files)}"
        ) from None
    vocab = getattr(model.config.text_config, "vocab_size", None)
    if vocab is not None and len(tokenizer) > vocab:
        raise WeightsError(
            f"{words} model '{path}': its tokenizer has {len(tokenizer)} tokens but the model's vocabulary {vocab}; "
            "the tokenizer files belong to another model"
        )
    mean, std = CLIP_MEAN, CLIP_STD
    pre = path / "preprocessor_config.json"
    if pre.is_file():
        try:
            data = json.loads(pre.read_text(encoding="utf-8"))
            mean = tuple(float(v) for v in data.get("image_mean", mean))
            std = tuple(float(v) for v in data.get("image_std", std))
        except (OSError, ValueError, TypeError) as exc:
            raise WeightsError(f"{words} model '{path}': preprocessor_config.json is unreadable ({exc})") from None
    size = model.config.vision_config.image_size
    size = int(size if isinstance(size, int) else size[0])
    model = model.to(device).eval().requires_grad_(False)
    return ClipBundle(family, str(path), model, tokenizer, size, mean, std, int(model.config.text_config.max_position_embeddings))
