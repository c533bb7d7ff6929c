"""Pieces the structure-preserving filters share, written once so the references, the CPU and the
CUDA kernels agree on them: argument checks, Gaussian taps, the orientation read from a structure
tensor, bilinear sampling with a clamped border, and the error for a filter without a gradient."""

from __future__ import annotations

import math
import numbers

import torch

from . import _kernels
from ._checks import check_floating, check_ndim, check_same_device

LOW = (torch.float16, torch.bfloat16)


def check_image(op: str, name: str, t, channels: tuple[int, int] | None = None) -> None:
    check_floating(name, t)
    check_ndim(name, t, (4,), "(N, C, H, W)")
    if t.shape[2] < 1 or t.shape[3] < 1:
        raise ValueError(f"{op}: {name} must have H, W >= 1, got shape {tuple(t.shape)}")
    if channels is not None and not channels[0] <= t.shape[1] <= channels[1]:
        want = f"{channels[0]}" if channels[0] == channels[1] else f"{channels[0]} to {channels[1]}"
        raise ValueError(f"{op}: {name} must have {want} channels, got shape {tuple(t.shape)}")


def check_companion(op: str, name: str, t, x: torch.Tensor, channels: int | None, hint: str) -> None:
    """A per-pixel tensor (the structure tensor or a guide) that goes with x: same N, H, W and device."""
    check_floating(name, t)
    check_ndim(name, t, (4,), "(N, C, H, W)")
    check_same_device(name, t, "x", x)
    if t.shape[0] != x.shape[0] or t.shape[2:] != x.shape[2:] or (channels is not None and t.shape[1] != channels):
        c = channels if channels is not None else "C"
        raise ValueError(
            f"{op}: {name} must have shape ({x.shape[0]}, {c}, {x.shape[2]}, {x.shape[3]}) to go with x of shape "
            f"{tuple(x.shape)}, got {tuple(t.shape)}{hint}"
        )


def real(op: str, name: str, v, low: float, *, strict: bool = False, high: float | None = None) -> float:
    ok = isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)
    ok = ok and (v > low if strict else v >= low) and (high is None or v <= high)
    if not ok:
        rng = f"{'>' if strict else '>='} {low}" + (f" and <= {high}" if high is not None else "")
        raise ValueError(f"{op}: {name} must be a finite number {rng}, got {v!r}")
    return float(v)


def integer(op: str, name: str, v, low: int, high: int) -> int:
    if not isinstance(v, numbers.Integral) or isinstance(v, bool) or not low <= v <= high:
        raise ValueError(f"{op}: {name} must be an integer from {low} to {high}, got {v!r}")
    return int(v)


def use_cpu_kernel(t: torch.Tensor) -> bool:
    """Whether the filters' compiled CPU kernel runs for t. They have no CUDA kernel: CUDA tensors
    run the reference (pure torch ops, on the GPU)."""
    return t.device.type == "cpu" and _kernels._CPU


def compute(t: torch.Tensor) -> torch.Tensor:
    """float16/bfloat16 are computed in float32."""
    return t.float() if t.dtype in LOW else t


def gaussian_taps(sigma: float, radius: int, dtype, device) -> torch.Tensor:
    """exp(-i²/2σ²) for i in [-radius, radius], summing to 1 (σ = 0: the identity)."""
    i = torch.arange(-radius, radius + 1, dtype=torch.float64)
    g = torch.exp(-i.square() / (2.0 * sigma * sigma)) if sigma > 0 else (i == 0).double()
    return (g / g.sum()).to(dtype=dtype, device=device)


def orientation(tensor: torch.Tensor):
    """(nx, ny, A) per pixel from a structure tensor (Exx, Exy, Eyy): the unit gradient direction
    (major eigenvector, angle ½·atan2(2Exy, Exx - Eyy)) and the anisotropy
    (λ1 - λ2) / (λ1 + λ2) in [0, 1] (0 where the trace is not positive). The tangent is (-ny, nx)."""
    e, f, g = tensor.unbind(1)
    theta = 0.5 * torch.atan2(2.0 * f, e - g)
    root = torch.sqrt((e - g).square() + 4.0 * f.square())
    tr = e + g
    a = torch.where(tr > 0, root / torch.where(tr > 0, tr, torch.ones_like(tr)), torch.zeros_like(tr)).clamp(0.0, 1.0)
    return torch.cos(theta), torch.sin(theta), a


def bilinear(img: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    """img (N, C, H, W) sampled at (px, py) of shape (N, H', W'), coordinates clamped to the image."""
    n, c, h, w = img.shape
    px = px.clamp(0, w - 1)
    py = py.clamp(0, h - 1)
    x0 = px.floor()
    y0 = py.floor()
    fx = (px - x0).unsqueeze(1)
    fy = (py - y0).unsqueeze(1)
    x0 = x0.long()
    y0 = y0.long()
    x1 = (x0 + 1).clamp(max=w - 1)
    y1 = (y0 + 1).clamp(max=h - 1)
    flat = img.reshape(n, c, h * w)

    def at(yy, xx):
        idx = (yy * w + xx).reshape(n, 1, -1).expand(n, c, -1)
        return flat.gather(2, idx).reshape(n, c, *px.shape[1:])

    top = at(y0, x0) * (1 - fx) + at(y0, x1) * fx
    bottom = at(y1, x0) * (1 - fx) + at(y1, x1) * fx
    return top * (1 - fy) + bottom * fy


def shifted(padded: torch.Tensor, pad: int, dy: int, dx: int, h: int, w: int) -> torch.Tensor:
    """The (h, w) window of a replicate-padded image offset by (dy, dx)."""
    return padded[:, :, pad + dy: pad + dy + h, pad + dx: pad + dx + w]


class _NoGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, out, name, *inputs):
        ctx.name = name
        return out.clone()

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(no_gradient_message(ctx.name))


def no_gradient_message(name: str) -> str:
    return (f"spokenstyle.ops.{name} has no gradient (an edge-preserving filter whose weights depend on the "
            "data; it is meant for rendering, not training); call it on detached input or under torch.no_grad()")


def without_gradient(name: str, out: torch.Tensor, *inputs) -> torch.Tensor:
    """out, made to raise a clear error if backward ever reaches it."""
    needs = [t for t in inputs if isinstance(t, torch.Tensor) and t.requires_grad]
    if torch.is_grad_enabled() and needs:
        return _NoGradient.apply(out.detach(), name, *needs)
    return out
