"""The ``clip`` style backend: text-guided style transfer in the manner of CLIPstyler (Kwon & Ye,
"CLIPstyler: Image Style Transfer with a Single Text Condition", CVPR 2022), optimising the
pixels directly with the ``gatys`` backend's Adam optimiser.

The output ``x`` minimises, starting from the photo ``c``,

    patch_weight · mean_p [1 − cos(E_I(aug(crop_p(x))) − E_I(c), ΔT)]₊τ       (patch-wise directional)
  + direction_weight · [1 − cos(E_I(x) − E_I(c), ΔT)]                        (global directional)
  + content_weight · Σ_l ‖F_l(x) − F_l(c)‖² / ‖F_l(c)‖²   (l = relu4_2, relu5_2 of the encoder)
  + tv_weight · total variation of x

with ΔT = E_T(prompt) − E_T("a photo") normalised, E_I / E_T CLIP's image / text features,
random crops ``crop_p`` (seeded) with a random affine warp, and [·]₊τ CLIPstyler's threshold
rejection: patches already closer than τ to the text direction do not count. Both CLIP terms
are multiplied by the intent's strength.
"""

from __future__ import annotations

import math
import sys
import unicodedata
from typing import Any

from spokenstyle.errors import UsageError
from spokenstyle.plugins.protocols import Option, Options, StyleBackend

from . import models

CONTENT_LAYERS = ("relu4_2", "relu5_2")
SOURCE_TEXT = {"clip": "a photo", "chinese-clip": "一张照片"}


def _has_cjk(text: str) -> bool:
    return any("CJK" in unicodedata.name(ch, "") for ch in text)


def pick_family(prompt: str, env: dict | None = None) -> str:
    """CLIP for an English prompt, Chinese-CLIP for a Chinese one, when both are configured;
    otherwise the one that is."""
    import os

    env = os.environ if env is None else env
    have = [f for f in ("clip", "chinese-clip") if env.get(models.ENV[f], "").strip()]
    preferred = "chinese-clip" if _has_cjk(prompt) else "clip"
    return preferred if preferred in have or not have else have[0]


class ClipObjective:
    """The loss above for one photo; targets computed once, without autograd."""

    def __init__(self, bundle, content, text: str, source: str, *, encoder=None, crops: int = 16,
                 crop_size: int | None = None, threshold: float = 0.7, patch_weight: float = 1.0,
                 direction_weight: float = 0.5, content_weight: float = 1.0, tv_weight: float = 1.0, seed: int = 0) -> None:
        import torch

        from spokenstyle.builtins.gatys import encode

        self.bundle, self.encoder = bundle, encoder
        self.crops, self.threshold = int(crops), float(threshold)
        h, w = content.shape[-2:]
        self.crop_size = min(h, w, int(crop_size) if crop_size else max(32, min(h, w) // 4))
        self.weights = dict(patch=patch_weight, direction=direction_weight, content=content_weight, tv=tv_weight)
        self.generator = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            t = bundle.text_features([text, source])
            self.text_direction = torch.nn.functional.normalize(t[0] - t[1], dim=-1).to(content.device)
            self.content_clip = bundle.image_features(content)
            self.content_feats = {}
            if encoder is not None and content_weight > 0:
                feats = encode(encoder, content, CONTENT_LAYERS)
                self.content_feats = {k: (v.detach(), 1.0 / max(float(v.square().mean()), 1e-12)) for k, v in feats.items()}

    def _patches(self, x, generator):
        """``crops`` random crops of ``x`` with a random affine warp (rotation up to 15°, scale
        0.85–1.15, flips), at CLIP's input size; differentiable in ``x``."""
        import torch
        import torch.nn.functional as F

        n_crops, s = self.crops, self.crop_size
        h, w = x.shape[-2:]
        tops = torch.randint(0, h - s + 1, (n_crops,), generator=generator).tolist()
        lefts = torch.randint(0, w - s + 1, (n_crops,), generator=generator).tolist()
        patches = torch.cat([x[..., t : t + s, l : l + s] for t, l in zip(tops, lefts)])
        angle = (torch.rand(n_crops, generator=generator) * 2 - 1) * math.radians(15)
        scale = 0.85 + 0.3 * torch.rand(n_crops, generator=generator)
        flip = torch.where(torch.rand(n_crops, generator=generator) < 0.5, -1.0, 1.0)
        cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
        theta = torch.stack([torch.stack([cos * flip, -sin, torch.zeros(n_crops)], 1),
                             torch.stack([sin * flip, cos, torch.zeros(n_crops)], 1)], 1).to(x.device, x.dtype)
        size = self.bundle.image_size
        grid = F.affine_grid(theta, (n_crops, 3, size, size), align_corners=False)
        return F.grid_sample(patches, grid, mode="bilinear", padding_mode="reflection", align_corners=False)

    def clip_terms(self, x, generator=None, threshold: float | None = None) -> dict:
        """The (unweighted) ``patch`` and ``direction`` losses of ``x``."""
        import torch.nn.functional as F

        generator = self.generator if generator is None else generator
        threshold = self.threshold if threshold is None else threshold
        patch_dir = F.normalize(self.bundle.image_features(self._patches(x, generator)) - self.content_clip, dim=-1)
        per_patch = 1 - patch_dir @ self.text_direction
        patch = (per_patch * (per_patch >= threshold)).mean()
        glob = F.normalize(self.bundle.image_features(x) - self.content_clip, dim=-1)
        return {"patch": patch, "direction": (1 - glob @ self.text_direction).mean()}

    def clip_loss(self, x, seed: int = 1234) -> float:
        """The CLIP loss on a fixed set of crops and no threshold: what optimisation lowers."""
        import torch

        with torch.no_grad():
            terms = self.clip_terms(x, torch.Generator().manual_seed(seed), threshold=0.0)
        return float(terms["patch"] + terms["direction"])

    def loss(self, x):
        from spokenstyle.builtins.gatys import encode, total_variation

        terms = self.clip_terms(x)
        total = self.weights["patch"] * terms["patch"] + self.weights["direction"] * terms["direction"]
        if self.content_feats:
            feats = encode(self.encoder, x, tuple(self.content_feats))
            for k, (target, scale) in self.content_feats.items():
                total = total + self.weights["content"] * scale * (feats[k] - target).square().mean()
        if self.weights["tv"] > 0:
            total = total + self.weights["tv"] * total_variation(x)
        return total


class ClipBackend(StyleBackend):
    """Text-guided optimisation (CLIPstyler-style); see the module docstring. It renders the
    whole prompt, look included, so the planner runs nothing after it; it declares no media,
    so it runs only when asked (``--backend clip``)."""

    name = "clip"
    media = ()
    applies_look = True
    uses_style_image = False
    options = Options(
        Option("model", None, "CLIP or Chinese-CLIP checkpoint: a save_pretrained folder or a cached Hugging Face id",
               shown="the clip text encoder's, else $SPOKENSTYLE_CLIP_MODEL, or $SPOKENSTYLE_CHINESE_CLIP_MODEL for a Chinese prompt"),
        Option("text", None, "the style text", shown="the prompt"),
        Option("source", None, "text describing the input photo", shown="'a photo' (Chinese-CLIP: '一张照片')"),
        Option("steps", 60, "optimisation steps (Adam on the pixels)"),
        Option("crops", 16, "random patches per step for the patch-wise directional loss"),
        Option("crop_size", None, "patch side in pixels", shown="a quarter of the short side, at least 32"),
        Option("threshold", 0.7, "patches whose directional loss is below this do not count (CLIPstyler's tau)"),
        Option("patch_weight", 1.0, "weight of the patch-wise directional CLIP loss, times strength"),
        Option("direction_weight", 0.5, "weight of the global directional CLIP loss, times strength"),
        Option("content_weight", 1.0, "weight of the content loss (relu4_2, relu5_2 of the encoder)"),
        Option("tv_weight", 1.0, "weight of the total-variation smoothness loss"),
        Option("encoder", "vgg19", "feature encoder for the content loss"),
        Option("progress", None, "progress bar on stderr", shown="on a terminal"),
    )

    @options.apply
    def stylize(self, content, intent, *, style=None, seed=None, engine=None, model, text, source, steps, crops,
                crop_size, threshold, patch_weight, direction_weight, content_weight, tv_weight, encoder, progress, **_: Any):
        import torch
        from tqdm import tqdm

        from spokenstyle.builtins.gatys import optimize

        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise UsageError(f"clip: steps={steps!r} must be an integer >= 1 (e.g. steps=60)")
        if isinstance(crops, bool) or not isinstance(crops, int) or crops < 1:
            raise UsageError(f"clip: crops={crops!r} must be an integer >= 1")
        if crop_size is not None and (isinstance(crop_size, bool) or not isinstance(crop_size, int) or crop_size < 8):
            raise UsageError(f"clip: crop_size={crop_size!r} must be an integer >= 8 (pixels) or unset")
        for key, value in (("threshold", threshold), ("patch_weight", patch_weight), ("direction_weight", direction_weight),
                           ("content_weight", content_weight), ("tv_weight", tv_weight)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise UsageError(f"clip: {key}={value!r} must be a number >= 0")
        prompt = text if text is not None else intent.prompt
        if not isinstance(prompt, str) or not prompt.strip():
            raise UsageError("clip: the backend needs a style prompt: -p 'a dreamy pastel watercolor' (or -O text=...)")
        if intent.strength == 0.0:
            return content
        bundle = self._bundle(model, prompt, engine, content.device)
        self.last_model = (bundle.family, bundle.path)
        feature_encoder = None
        if content_weight > 0:
            feature_encoder = engine.feature_encoder(encoder) if engine is not None else _builtin_encoder(encoder, content.device)
        src = source if source is not None else SOURCE_TEXT[bundle.family]
        s = float(intent.strength)
        total = steps * content.shape[0]
        bar = tqdm(total=total, desc="clip", unit="step", disable=(None if progress is None else not progress),
                   file=sys.stderr, dynamic_ncols=True, leave=False)
        outputs = []
        self.last_losses: list[tuple[float, float]] = []
        try:
            for i in range(content.shape[0]):
                photo = content[i : i + 1].float()
                objective = ClipObjective(bundle, photo, prompt, src, encoder=feature_encoder, crops=crops, crop_size=crop_size,
                                          threshold=threshold, patch_weight=patch_weight * s, direction_weight=direction_weight * s,
                                          content_weight=content_weight, tv_weight=tv_weight, seed=0 if seed is None else seed)
                before = objective.clip_loss(photo)
                x = optimize(objective, photo, steps, "adam", bar=bar)
                self.last_losses.append((before, objective.clip_loss(x)))
                outputs.append(x)
        finally:
            bar.close()
        return torch.cat(outputs).to(content.dtype)

    @staticmethod
    def _bundle(model, prompt, engine, device):
        """The checkpoint: ``model=``, else the engine's clip text encoder's, else by language."""
        if model is None and engine is not None:
            own = getattr(engine.text_encoder, "bundle", None)
            if isinstance(own, models.ClipBundle):
                return models.load(own.path, own.family, device)
        if model is not None:
            path = str(model)
            for family in ("clip", "chinese-clip"):
                try:
                    return models.load(path, family, device)
                except UsageError as exc:
                    if "holds a" not in str(exc):
                        raise
            raise UsageError(f"clip: model={path!r} is neither a CLIP nor a Chinese-CLIP checkpoint")
        return models.load(None, pick_family(prompt), device)


def _builtin_encoder(name, device):
    from spokenstyle import encoders

    return encoders.load(name).to(device)
