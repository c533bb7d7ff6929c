"""Flow-based difference of Gaussians (Kang, Lee and Chui 2007; the FDoG of Winnemöller's XDoG):
line drawings that follow the picture's edges instead of breaking into dots.

``flow_dog(x, tensor, sigma=1.0, k=1.6, sigma_m=3.0)`` on luminance x (N, 1, H, W) guided by a
structure tensor (N, 3, H, W):

1. across the flow, per pixel p, a 1-D DoG along the gradient direction n(p):
   D(p) = Σ_s (G_σ(s) - G_kσ(s)) · x(p + s·n), s in [-T, T], T = ceil(3kσ), each Gaussian's
   taps summing to 1 (so D of a constant is 0) and x sampled bilinearly;
2. along the flow, a Gaussian (std ``sigma_m``) line integral of D over the tangent curve
   through p: from p, ceil(3·sigma_m) unit steps each way, each step along the tangent of the
   structure tensor sampled bilinearly where the curve is (turned to continue the previous step).

Positions are clamped to the image. Output (N, 1, H, W): negative on the dark side of an edge,
positive on the light side, 0 on flat areas (threshold it, as XDoG does, for lines). No gradient:
backward raises a clear error.

On the CPU a compiled kernel (csrc/cpu/filters.cpp) computes the same two passes pixel by pixel
(float16/bfloat16 computed in float32, as here). CUDA tensors run this reference (pure torch ops
on the GPU): there is no CUDA kernel yet.
"""

from __future__ import annotations

import math

import torch

from . import _extension
from ._filters import (bilinear, check_companion, check_image, compute, gaussian_taps, orientation, real, use_cpu_kernel,
                       without_gradient)

__all__ = ["flow_dog", "flow_dog_reference"]

_OP = "flow_dog"


def _resolve(x, tensor, sigma, k, sigma_m):
    check_image(_OP, "x", x, (1, 1))
    check_companion(_OP, "tensor", tensor, x, 3, " (compute it with spokenstyle.ops.structure_tensor(x))")
    sigma = real(_OP, "sigma", sigma, 0.0, strict=True, high=16.0)
    k = real(_OP, "k", k, 1.0, strict=True, high=8.0)
    sigma_m = real(_OP, "sigma_m", sigma_m, 0.0, strict=True, high=32.0)
    return sigma, k, sigma_m


def dog_taps(sigma: float, k: float, dtype, device) -> torch.Tensor:
    """G_σ - G_kσ on [-T, T], T = ceil(3kσ), each Gaussian normalised to sum 1."""
    t = math.ceil(3.0 * k * sigma)
    return gaussian_taps(sigma, t, dtype, device) - gaussian_taps(k * sigma, t, dtype, device)


def _tangent(tensor_at):
    nx, ny, _ = orientation(tensor_at)
    return -ny, nx


def flow_dog_reference(x, tensor, sigma=1.0, k=1.6, sigma_m=3.0):
    """Pure-PyTorch flow-based DoG: the test oracle and the fallback."""
    sigma, k, sigma_m = _resolve(x, tensor, sigma, k, sigma_m)
    xc = compute(x)
    st = compute(tensor).to(xc.dtype)
    n, _, h, w = xc.shape
    nx, ny, _ = orientation(st)
    yy, xx = torch.meshgrid(torch.arange(h, dtype=xc.dtype, device=xc.device),
                            torch.arange(w, dtype=xc.dtype, device=xc.device), indexing="ij")
    px = xx.expand(n, h, w)
    py = yy.expand(n, h, w)
    taps = dog_taps(sigma, k, xc.dtype, xc.device)
    t = (taps.numel() - 1) // 2
    d = torch.zeros_like(xc)
    for i in range(-t, t + 1):
        d = d + taps[i + t] * bilinear(xc, px + i * nx, py + i * ny)
    steps = math.ceil(3.0 * sigma_m)
    gm = [math.exp(-j * j / (2.0 * sigma_m * sigma_m)) for j in range(steps + 1)]
    acc = gm[0] * d
    for sign in (1.0, -1.0):
        qx, qy = px, py
        dx, dy = sign * -ny, sign * nx
        for j in range(1, steps + 1):
            qx = (qx + dx).clamp(0, w - 1)
            qy = (qy + dy).clamp(0, h - 1)
            acc = acc + gm[j] * bilinear(d, qx, qy)
            tx, ty = _tangent(bilinear(st, qx, qy))
            flip = torch.where(tx * dx + ty * dy < 0, -1.0, 1.0).to(xc.dtype)
            dx, dy = flip * tx, flip * ty
    return (acc / (gm[0] + 2.0 * sum(gm[1:]))).to(x.dtype)


def flow_dog(x: torch.Tensor, tensor: torch.Tensor, sigma: float = 1.0, k: float = 1.6, sigma_m: float = 3.0):
    """Flow-based DoG of luminance x (N, 1, H, W) along ``tensor`` (N, 3, H, W) from
    structure_tensor; see the module doc. Not differentiable. The CPU runs the compiled kernel
    when the extension is built; CUDA tensors (no CUDA kernel yet) and a missing extension run
    the reference."""
    if not use_cpu_kernel(x):
        with torch.no_grad():
            out = flow_dog_reference(x, tensor, sigma, k, sigma_m)
        return without_gradient(_OP, out, x, tensor)
    sigma, k, sigma_m = _resolve(x, tensor, sigma, k, sigma_m)
    dtype = compute(x).dtype
    with torch.no_grad():
        out = torch.ops.spokenstyle.flow_dog(x.detach().to(dtype), tensor.detach().to(dtype), sigma, k, sigma_m)
    return without_gradient(_OP, out.to(x.dtype), x, tensor)


if _extension.AVAILABLE:
    @torch.library.register_fake("spokenstyle::flow_dog")
    def _(x, tensor, sigma, k, sigma_m):
        return torch.empty_like(x, memory_format=torch.contiguous_format)
