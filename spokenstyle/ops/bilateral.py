"""The joint bilateral filter: a blur that stops at edges.

``bilateral(x, sigma_space=3.0, sigma_range=0.1, guide=None)`` on x (N, C, H, W): each output
pixel is the mean of x over a (2r+1)² window, r = ceil(2·sigma_space), weighted by
exp(-d²/2σs²) for the distance d to the window's centre times exp(-‖g(q) - g(p)‖²/2σr²), the
Euclidean distance between the guide's pixels over all its channels (guide (N, Cg, H, W),
default x itself). The border is replicated. No gradient (weights depend on the data; it is a
rendering filter): backward raises a clear error.

On the CPU a compiled kernel (csrc/cpu/filters.cpp) computes the same sums pixel by pixel
(float16/bfloat16 computed in float32, as here). CUDA tensors run this reference (pure torch ops
on the GPU): there is no CUDA kernel yet.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import _extension
from ._filters import check_companion, check_image, compute, real, shifted, use_cpu_kernel, without_gradient

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
    module doc. Not differentiable. The CPU runs the compiled kernel when the extension is built;
    CUDA tensors (no CUDA kernel yet) and a missing extension run the reference."""
    if not use_cpu_kernel(x):
        with torch.no_grad():
            out = bilateral_reference(x, sigma_space, sigma_range, guide)
        return without_gradient(_OP, out, x, guide)
    ss, sr, _ = _resolve(x, sigma_space, sigma_range, guide)
    dtype = compute(x).dtype
    g = guide.detach().to(dtype) if guide is not None else None
    with torch.no_grad():
        out = torch.ops.spokenstyle.bilateral(x.detach().to(dtype), g, ss, sr)
    return without_gradient(_OP, out.to(x.dtype), x, guide)


if _extension.AVAILABLE:
    @torch.library.register_fake("spokenstyle::bilateral")
    def _(x, guide, sigma_space, sigma_range):
        return torch.empty_like(x, memory_format=torch.contiguous_format)
