"""Masks: where a look applies. White = stylize, black = leave untouched, grey = blend.

The engine blends last, after every backend and after ``preserve_color``::

    out = mask * styled + (1 - mask) * original

A mask is an image the size of the photo (a path, PIL image or tensor); a colour mask counts
by its luminance, and a transparent pixel counts as black (so white strokes painted on a
transparent layer are a mask). Edges are feathered *inwards*: the soft transition lies inside
the white region, so every pixel that is black in the given mask stays bit-identical to the
photo, whatever the feather.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from PIL import Image

from . import imageio
from ..errors import UsageError

#: Weights of RGB -> luminance for colour masks: ITU-R 601, what Pillow's convert("L") uses.
_LUMA = (0.299, 0.587, 0.114)


@dataclass
class Mask:
    """A decoded mask: ``weights`` (1, H, W) float32 in [0, 1], and where it came from."""

    weights: torch.Tensor
    source: str = "<mask>"

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.weights.shape[-1]), int(self.weights.shape[-2])


def _to_grey(rgb: torch.Tensor) -> torch.Tensor:
    """(3, H, W) -> (1, H, W): a grey image keeps its exact values (white stays exactly 1)."""
    if torch.equal(rgb[0], rgb[1]) and torch.equal(rgb[1], rgb[2]):
        return rgb[:1].clone()
    w = torch.tensor(_LUMA, dtype=rgb.dtype, device=rgb.device).view(3, 1, 1)
    return (rgb * w).sum(0, keepdim=True).clamp_(0.0, 1.0)


def load_mask(source: imageio.ImageLike, *, max_pixels: int | None = imageio.DEFAULT_MAX_PIXELS) -> list[Mask]:
    """Masks from a path, PIL image or tensor: (H, W), (1, H, W), (3, H, W), (N, 1, H, W) or
    (N, 3, H, W); floats in [0, 1], uint8 or bool. A list (one per batch item for tensors)."""
    if isinstance(source, torch.Tensor):
        return [Mask(m, "<tensor>") for m in _tensor_masks(source)]
    if isinstance(source, Image.Image):
        photos = [imageio._from_pil(source, "<PIL image>", max_pixels, None)]  # as content is loaded
    elif isinstance(source, (str, os.PathLike)):
        if not os.path.exists(source):
            raise UsageError(f"mask '{source}' does not exist; check the path (mask=, CLI --mask)")
        try:
            im = imageio.open_image(source, max_pixels=None)
        except UsageError as exc:
            raise UsageError(f"mask= {exc}") from None
        try:
            photos = [imageio._from_pil(im, str(source), max_pixels, None)]
        except (OSError, SyntaxError, ValueError) as exc:
            if isinstance(exc, UsageError):
                raise
            raise UsageError(f"cannot decode mask '{source}': {exc}; the file may be truncated or corrupt") from None
    else:
        raise UsageError(
            f"cannot use {type(source).__name__} as mask=; pass a file path, a PIL.Image or an (H, W) tensor"
        )
    masks = []
    for p in photos:
        weights = _to_grey(p.pixels)
        if p.alpha is not None:  # transparent = not painted = black
            weights = weights * imageio.pil_to_tensor(p.alpha)[:1]
        masks.append(Mask(weights, p.source))
    return masks


def _tensor_masks(t: torch.Tensor) -> list[torch.Tensor]:
    shape = tuple(t.shape)
    if t.dim() == 2:
        t = t[None, None]
    elif t.dim() == 3:
        t = t[None]
    if t.dim() != 4 or t.shape[1] not in (1, 3):
        raise UsageError(
            f"mask= tensor has shape {shape}; pass (H, W), (1, H, W), (N, 1, H, W) or (N, 3, H, W)"
        )
    if t.dtype == torch.bool:
        t = t.float()
    elif t.dtype == torch.uint8:
        t = t.float() / 255.0
    elif not t.is_floating_point():
        raise UsageError(f"mask= tensor has dtype {t.dtype}; pass float in [0, 1], uint8 or bool")
    else:
        t = t.detach().float()
        lo, hi = float(t.min()), float(t.max())
        if lo < 0.0 or hi > 1.0 or math.isnan(lo) or math.isnan(hi):
            raise UsageError(f"mask= values run from {lo:g} to {hi:g}; a float mask must lie in [0, 1] (1 = stylize)")
    return [_to_grey(m) if m.shape[0] == 3 else m.clone() for m in t.cpu()]


def resize_mask(weights: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(1, H, W) -> (1, height, width) for ``size`` = (width, height): antialiased bilinear, a
    non-negative filter, so a pure black area stays exactly 0 and nothing overshoots [0, 1]."""
    width, height = size
    if tuple(weights.shape[-2:]) == (height, width):
        return weights
    out = F.interpolate(weights[None], size=(height, width), mode="bilinear", antialias=True, align_corners=False)
    return out[0].clamp_(0.0, 1.0)


def default_feather(height: int, width: int) -> int:
    """About 1% of the short side, at least 1 pixel."""
    return max(1, round(0.01 * min(height, width)))


def _hann(radius: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    k = torch.arange(-radius, radius + 1, dtype=torch.float64)
    w = 0.5 * (1.0 + torch.cos(math.pi * k / (radius + 1)))
    return (w / w.sum()).to(dtype=dtype, device=device)


def feather_mask(weights: torch.Tensor, feather: float) -> torch.Tensor:
    """Soften a mask's edges over about ``feather`` pixels, inside the white region.

    ``weights``: (..., H, W) in [0, 1]. The mask is eroded by r = ceil(feather / 2) pixels (a
    (2r+1)-square minimum), then smoothed with a (2r+1)-tap Hann kernel: the ramp runs from 0
    at the black edge to 1 about 2r pixels inside. Because the smoothing never reaches further
    than the erosion, the result is exactly 0 wherever the given mask is 0, never above the
    given mask, and a hard edge becomes a monotone ramp. The image border is not an edge.
    ``feather=0`` returns the mask unchanged.
    """
    if feather <= 0:
        return weights
    radius = max(1, math.ceil(feather / 2))
    shape = weights.shape
    x = weights.reshape(-1, 1, *shape[-2:])
    if bool((x == x.amin(dim=(-2, -1), keepdim=True)).all()):
        return weights  # uniform: no edge to feather
    k = 2 * radius + 1
    eroded = -F.max_pool2d(-x, k, stride=1, padding=radius)  # pads with -inf: the border is no edge
    ker = _hann(radius, x.dtype, x.device)
    padded = F.pad(eroded, (radius, radius, radius, radius), mode="replicate")
    smooth = F.conv2d(F.conv2d(padded, ker.view(1, 1, 1, k)), ker.view(1, 1, k, 1))
    smooth = torch.where(smooth > 1.0 - 1e-6, torch.ones_like(smooth), smooth)  # round-off: white stays 1
    return torch.minimum(smooth, x).reshape(shape)


def apply_mask(original: torch.Tensor, styled: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """``weights * styled + (1 - weights) * original``, exact at both ends (``torch.lerp``):
    where the mask is 0 the result *is* the original, bit for bit; where 1, the styled."""
    return torch.lerp(original, styled, weights.to(dtype=original.dtype, device=original.device))
