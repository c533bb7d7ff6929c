"""What the texture backends (``adain``, ``gatys``) share: the media they render, and where
their style image comes from (the caller's, or an exemplar rendered from the prompt)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn.functional as F

from ..errors import UsageError
from ..core.intent import MEDIA, StyleIntent
from ..plugins.protocols import Option
from .grade import GRADE_MEDIA

#: Media a texture backend renders (the grade alone renders the others).
TEXTURE_MEDIA: tuple[str, ...] = tuple(m for m in MEDIA if m not in GRADE_MEDIA)

#: The option every texture backend that blends several style images declares (read by
#: :func:`check_weights`), declared here once with its default.
STYLE_WEIGHTS = Option("style_weights", None, "one weight per style image when several are given", shown="equal")


def mirror_pad(x: torch.Tensor, border: int) -> tuple[torch.Tensor, int]:
    """``x`` with a mirrored margin of ``border`` pixels on every side (less where a side is too
    short to reflect), and the margin used; ``out[..., m:m + h, m:m + w]`` crops it off again.
    Feed-forward backends run their zero-padded convolutions on this, so what the padding does
    to an image's edge happens outside the photo."""
    m = max(0, min(border, x.shape[-2] - 1, x.shape[-1] - 1))
    return (F.pad(x, (m, m, m, m), mode="reflect") if m else x), m


def resize_long(x: torch.Tensor, size: int | None) -> torch.Tensor:
    """``x`` (N, C, H, W) with its long side scaled to ``size`` (antialiased; None = as is)."""
    if size is None:
        return x
    h, w = x.shape[-2:]
    scale = size / max(h, w)
    if abs(scale - 1.0) < 1e-6:
        return x
    new = (max(1, round(h * scale)), max(1, round(w * scale)))
    return F.interpolate(x, size=new, mode="bilinear", align_corners=False, antialias=scale < 1).clamp(0.0, 1.0)


def as_style_list(style: Any, backend: str) -> list[torch.Tensor]:
    """The style image(s) given to a backend as a list of (1, 3, H, W) tensors."""
    if style is None:
        return []
    items = list(style) if isinstance(style, (list, tuple)) else [style]
    out = []
    for i, s in enumerate(items):
        if not isinstance(s, torch.Tensor) or s.dim() not in (3, 4) or s.shape[-3] != 3 or (s.dim() == 4 and s.shape[0] != 1):
            shape = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
            raise UsageError(f"{backend}: style image {i} must be a (1, 3, H, W) or (3, H, W) RGB tensor, got {shape}")
        out.append((s if s.dim() == 4 else s.unsqueeze(0)).float())
    return out


def style_images(
    style: Any,
    intent: StyleIntent,
    *,
    backend: str,
    engine: Any,
    seed: int | None,
    size: int,
    device: torch.device,
) -> tuple[list[torch.Tensor], str]:
    """The style images to transfer, and where they came from (for notes).

    The caller's style image(s) win; otherwise the intent's medium is rendered by the
    ``exemplar`` generator (through the engine, so a plugin may replace it; without an
    engine, the built-in one).
    """
    given = as_style_list(style, backend)
    if given:
        # Only ever shrunk: upsampling a small style image blurs it, and the statistics then
        # describe the blur (measured: AdaIN's style distance 0.28 at the image's own size,
        # 1.05 after upsampling 256 -> 512).
        return [resize_long(s.to(device), min(size, max(s.shape[-2:]))) for s in given], "style image"
    if not intent.medium:
        raise UsageError(
            f"the '{backend}' backend needs a style image or a medium: pass style= (CLI: --style IMAGE) "
            "or name a medium in the prompt, e.g. 'oil painting' or '水墨风'"
        )
    if engine is not None:
        make = engine.generator("exemplar")
    else:  # no engine, no plugins: the built-in generator
        from .exemplar import ExemplarGenerator

        make = ExemplarGenerator()
    # Without the look: the planner grades the stylized photo afterwards, which applies it once.
    bare = intent.replace(attributes={}) if intent.changed else intent
    exemplar = make(bare, size=size, seed=seed, device=device)
    return [exemplar.to(device).float()], f"{intent.medium.replace('_', ' ')} exemplar"


def check_weights(weights: Sequence[float] | None, count: int, backend: str) -> list[float]:
    """Normalised style weights (equal when None); clear errors for bad ones."""
    if weights is None:
        return [1.0 / count] * count
    if isinstance(weights, str):  # from the CLI: -O style_weights=0.7,0.3
        weights = [w for w in weights.replace(";", ",").split(",") if w.strip()]
    try:
        values = [float(w) for w in (weights if isinstance(weights, (list, tuple)) else [weights])]
    except (TypeError, ValueError):
        raise UsageError(f"{backend}: style_weights={weights!r} must be a list of numbers, one per style image") from None
    if len(values) != count:
        raise UsageError(f"{backend}: style_weights has {len(values)} numbers for {count} style image(s); give one per image")
    if any(v < 0 for v in values) or sum(values) <= 0:
        raise UsageError(f"{backend}: style_weights={values} must be non-negative and not all zero")
    total = sum(values)
    return [v / total for v in values]
