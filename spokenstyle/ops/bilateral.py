"""The joint bilateral filter: a blur that stops at edges.

``bilateral(x, sigma_space=3.0, sigma_range=0.1, guide=None)`` on x (N, C, H, W): each output
pixel is the mean of x over a (2r+1)² window, r = ceil(2·sigma_space), weighted by
exp(-d²/2σs²) for the distance d to the window's centre times exp(-‖g(q) - g(p)‖²/2σr²), the
Euclidean distance between the guide's pixels over all its channels (guide (N, Cg, H, W),
default x itself). The border is replicated. No gradient (weights depend on the data; it is a
rendering filter): backward raises a clear error.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._filters import check_companion, check_image, compute, real, shifted, without_gradient

__all__ = ["bilateral", "bilateral_reference"]

_OP = "bilateral"


def _resolve(x, sigma_space, sigma_range, guide):
    check_image(_OP, "x", x)
    sigma_space = real(_OP, "sigma_space", sigma_space, 0.0, strict=True, high=32.0)
    sigma_range = real(_OP, "sigma_range", sigma_range, 0.0, strict=True)
    if guide is not None:
        check_companion(_OP, "guide", guide, x, None, " (the same batch and size as x)")
    return sigma_space, sigma_range, math.ceil(2.0 * sigma_space)


def bilateral_reference(x, sigma_space=3.0, sigma_range=0.1, guide=None):
    """Pure-PyTorch joint bilateral filter: the test oracle and the fallback."""
    ss, sr, r = _resolve(x, sigma_space, sigma_range, guide)
    xc = compute(x)
    g = compute(guide).to(xc.dtype) if guide is not None else xc
    h, w = x.shape[2:]
    xp = F.pad(xc, (r, r, r, r), mode="replicate")
    gp = F.pad(g, (r, r, r, r), mode="replicate")
    num = torch.zeros_like(xc)
    den = torch.zeros_like(xc[:, :1])
    for dy in range(-r, r + 1):
        for dx in range(-r, r + 1):
            d2 = (shifted(gp, r, dy, dx, h, w) - g).square().sum(1, keepdim=True)
            wt = torch.exp(-(dx * dx + dy * dy) / (2.0 * ss * ss) - d2 / (2.0 * sr * sr))
            num = num + wt * shifted(xp, r, dy, dx, h, w)
            den = den + wt
    return (num / den).to(x.dtype)


def bilateral(x: torch.Tensor, sigma_space: float = 3.0, sigma_range: float = 0.1, guide: torch.Tensor | None = None):
    """Edge-preserving blur of x (N, C, H, W), ranges measured on ``guide`` (default x); see the
    module doc. Not differentiable."""
    with torch.no_grad():
        out = bilateral_reference(x, sigma_space, sigma_range, guide)
    return without_gradient(_OP, out, x, guide)
