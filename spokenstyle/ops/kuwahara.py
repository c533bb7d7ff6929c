"""Anisotropic Kuwahara filtering (Kyprianidis, Kang and Döllner 2009): flat painterly patches
whose shapes follow the picture's edges.

``anisotropic_kuwahara(x, tensor, radius=6, sectors=8, q=8.0, alpha=1.0)`` on x (N, C, H, W),
C from 1 to 4, guided by a structure tensor (N, 3, H, W) (``structure_tensor(x, sigma)``):

* per pixel the gradient direction n = (cos θ, sin θ), θ = ½·atan2(2Exy, Exx - Eyy), the
  tangent t = (-sin θ, cos θ) and the anisotropy A = (λ1 - λ2)/(λ1 + λ2);
* the filter's disc of ``radius`` r is stretched into an ellipse, a = r(α+A)/α along t and
  b = rα/(α+A) along n; an integer offset v maps to u = (t·v/a, n·v/b), inside where |u| < 1;
* ``sectors`` N weighting functions over the ellipse: a radial weight exp(-2|u|²) - exp(-2)
  (the paper's Gaussian with σ = ½, shifted to reach 0 on the rim so the result is continuous)
  times an angular window cos²(π d / 2), d the distance of u's angle to sector i's centre in units
  of 2π/N (|d| < 1). The windows partition unity: this is the paper's smoothed sector
  characteristic function in closed form instead of a texture lookup;
* per sector the weighted mean m_i and variance of each channel; s_i² the variances summed over
  the channels; the output Σ α_i m_i / Σ α_i with α_i = 1 / (1 + (255·s_i²)^(q/2)) (the authors'
  weighting, for intensities in [0, 1]): the sectors that straddle no edge win.

Pixels outside the image are the border's (replicated). No gradient: backward raises a clear error.

On the CPU a compiled kernel (csrc/cpu/filters.cpp) computes the same sums pixel by pixel, visiting
only the offsets inside each pixel's ellipse and the two sectors whose windows are non-zero there
(float16/bfloat16 computed in float32, as here). CUDA tensors run this reference (pure torch ops
on the GPU): there is no CUDA kernel yet.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import _extension
from ._filters import (check_companion, check_image, compute, integer, orientation, real, shifted, use_cpu_kernel,
                       without_gradient)

__all__ = ["anisotropic_kuwahara", "anisotropic_kuwahara_reference"]

_OP = "anisotropic_kuwahara"
MAX_CHANNELS = 4
MAX_SECTORS = 16


def _resolve(x, tensor, radius, sectors, q, alpha):
    check_image(_OP, "x", x, (1, MAX_CHANNELS))
    check_companion(_OP, "tensor", tensor, x, 3, " (compute it with spokenstyle.ops.structure_tensor(x))")
    radius = integer(_OP, "radius", radius, 1, 32)
    sectors = integer(_OP, "sectors", sectors, 3, MAX_SECTORS)
    q = real(_OP, "q", q, 0.0, high=64.0)
    alpha = real(_OP, "alpha", alpha, 0.0, strict=True, high=1e6)
    return radius, sectors, q, alpha


def anisotropic_kuwahara_reference(x, tensor, radius=6, sectors=8, q=8.0, alpha=1.0):
    """Pure-PyTorch anisotropic Kuwahara filter: the test oracle and the fallback."""
    r, ns, q, alpha = _resolve(x, tensor, radius, sectors, q, alpha)
    xc = compute(x)
    nx, ny, aniso = orientation(compute(tensor).to(xc.dtype))
    a = r * (alpha + aniso) / alpha
    b = r * alpha / (alpha + aniso)
    tx, ty = -ny, nx
    n, c, h, w = xc.shape
    big = math.ceil(r * (alpha + 1.0) / alpha)
    xp = F.pad(xc, (big, big, big, big), mode="replicate")
    centres = torch.arange(ns, dtype=xc.dtype, device=xc.device).reshape(1, ns, 1, 1)
    rim = math.exp(-2.0)
    sw = xc.new_zeros(n, ns, h, w)
    sx = xc.new_zeros(n, ns, c, h, w)
    sxx = xc.new_zeros(n, ns, c, h, w)
    for dy in range(-big, big + 1):
        for dx in range(-big, big + 1):
            u = (tx * dx + ty * dy) / a
            v = (nx * dx + ny * dy) / b
            rho2 = u * u + v * v
            radial = (torch.exp(-2.0 * rho2) - rim).clamp_min(0.0)
            s = torch.atan2(v, u) * (ns / (2.0 * math.pi))
            d = torch.remainder(s.unsqueeze(1) - centres + ns / 2.0, ns) - ns / 2.0
            ang = torch.where(d.abs() < 1.0, torch.cos(0.5 * math.pi * d).square(), torch.zeros_like(d))
            wt = ang * radial.unsqueeze(1)
            sample = shifted(xp, big, dy, dx, h, w).unsqueeze(1)
            sw = sw + wt
            sx = sx + wt.unsqueeze(2) * sample
            sxx = sxx + wt.unsqueeze(2) * sample * sample
    has = sw > 0
    safe = torch.where(has, sw, torch.ones_like(sw)).unsqueeze(2)
    m = sx / safe
    var = (sxx / safe - m * m).clamp_min(0.0).sum(2)
    weight = torch.where(has, 1.0 / (1.0 + torch.pow(255.0 * var, 0.5 * q)), torch.zeros_like(var))
    out = (weight.unsqueeze(2) * m).sum(1) / weight.sum(1, keepdim=True)
    return out.to(x.dtype)


def anisotropic_kuwahara(x: torch.Tensor, tensor: torch.Tensor, radius: int = 6, sectors: int = 8,
                         q: float = 8.0, alpha: float = 1.0) -> torch.Tensor:
    """Anisotropic Kuwahara filter of x (N, C ≤ 4, H, W) guided by ``tensor`` (N, 3, H, W) from
    structure_tensor; see the module doc. Not differentiable. The CPU runs the compiled kernel
    when the extension is built; CUDA tensors (no CUDA kernel yet) and a missing extension run
    the reference."""
    if not use_cpu_kernel(x):
        with torch.no_grad():
            out = anisotropic_kuwahara_reference(x, tensor, radius, sectors, q, alpha)
        return without_gradient(_OP, out, x, tensor)
    r, ns, q, alpha = _resolve(x, tensor, radius, sectors, q, alpha)
    dtype = compute(x).dtype
    with torch.no_grad():
        out = torch.ops.spokenstyle.anisotropic_kuwahara(x.detach().to(dtype), tensor.detach().to(dtype), r, ns, q, alpha)
    return without_gradient(_OP, out.to(x.dtype), x, tensor)


if _extension.AVAILABLE:
    @torch.library.register_fake("spokenstyle::anisotropic_kuwahara")
    def _(x, tensor, radius, sectors, q, alpha):
        return torch.empty_like(x, memory_format=torch.contiguous_format)
