"""Minibatch standard deviation (StyleGAN / StyleGAN2 discriminators), fused.

``minibatch_stddev(x, group_size=4, num_channels=1)`` appends ``num_channels`` feature maps to
x (N, C, H, W) that tell the discriminator how varied its minibatch is, exactly as StyleGAN2's
``MinibatchStdLayer``:

* the batch is split into groups of ``G = min(group_size, N)`` samples; sample i belongs to
  group ``i % (N // G)`` (StyleGAN2's ``reshape(G, -1, ...)``). **N must be divisible by G**
  (StyleGAN2 asserts it too): otherwise a ValueError says so — pick a batch that is a multiple
  of group_size, or a group_size that divides it.
* the channels are split into ``num_channels`` slices (C must be divisible by it);
* per group and slice, the feature is the mean over (channels, H, W) of
  ``sqrt(var + eps)``, var the biased variance over the group members, eps = 1e-8;
* that value is broadcast to every member of the group and every pixel, and concatenated after
  the C input channels: output (N, C + num_channels, H, W).

One kernel reads x once (copying it into the output while it computes the group statistics);
the backward is one kernel too, and has its own derivative (the R1 penalty differentiates the
discriminator twice). On the CPU, float16/bfloat16 are computed in float32; CUDA takes them
natively with float32 math. The output is contiguous.
"""

from __future__ import annotations

import numbers

import torch

from . import _extension
from ._checks import check_floating, check_ndim
from ._kernels import compute_dtype, use_kernel

__all__ = ["minibatch_stddev", "minibatch_stddev_reference"]


def _resolve(x, group_size, num_channels, eps):
    check_floating("x", x)
    check_ndim("x", x, (4,), "(N, C, H, W)")
    for name, v in (("group_size", group_size), ("num_channels", num_channels)):
        if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
            raise ValueError(f"minibatch_stddev: {name} must be an integer >= 1, got {v!r}")
    if not isinstance(eps, numbers.Real) or eps < 0:
        raise ValueError(f"minibatch_stddev: eps must be a number >= 0, got {eps!r}")
    n, c = x.shape[:2]
    if n < 1:
        raise ValueError(f"minibatch_stddev: x must hold at least one sample, got shape {tuple(x.shape)}")
    g = min(int(group_size), n)
    if n % g != 0:
        raise ValueError(
            f"minibatch_stddev: the batch size {n} of x is not divisible by the group size {g} "
            f"(group_size={group_size}); use a batch that is a multiple of it or a group_size that divides it"
        )
    if c % num_channels != 0:
        raise ValueError(f"minibatch_stddev: x has {c} channels, not divisible by num_channels={num_channels}")
    return g, int(num_channels), float(eps)


def minibatch_stddev_reference(x: torch.Tensor, group_size: int = 4, num_channels: int = 1, eps: float = 1e-8):
    """StyleGAN2's MinibatchStdLayer in plain PyTorch: the test oracle and the fallback."""
    g, f, eps = _resolve(x, group_size, num_channels, eps)
    n, c, h, w = x.shape
    y = x.reshape(g, -1, f, c // f, h, w)
    y = y - y.mean(dim=0)
    y = y.square().mean(dim=0)
    y = (y + eps).sqrt()
    y = y.mean(dim=[2, 3, 4])
    y = y.reshape(-1, f, 1, 1)
    y = y.repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


def minibatch_stddev(x: torch.Tensor, group_size: int = 4, num_channels: int = 1, eps: float = 1e-8) -> torch.Tensor:
    """StyleGAN2 minibatch standard deviation: (N, C, H, W) -> (N, C + num_channels, H, W).

    Group size ``min(group_size, N)`` must divide N (ValueError otherwise); see the module doc.
    """
    g, f, eps = _resolve(x, group_size, num_channels, eps)
    if not use_kernel(x):
        return minibatch_stddev_reference(x, g, f, eps)
    dtype = compute_dtype(x)
    return torch.ops.spokenstyle.minibatch_stddev(x.to(dtype), g, f, eps).to(x.dtype)


def _register() -> None:
    lib = "spokenstyle::"

    def _groups(x, group_size):
        n = x.shape[0]
        return min(group_size, n)

    @torch.library.register_fake(lib + "minibatch_stddev")
    def _(x, group_size, num_channels, eps):
        n, c, h, w = x.shape
        return x.new_empty((n, c + num_channels, h, w))

    @torch.library.register_fake(lib + "minibatch_stddev_backward")
    def _(grad, x, group_size, num_channels, eps):
        return x.new_empty(x.shape)

    def setup(ctx, inputs, output):
        x, group_size, num_channels, eps = inputs
        ctx.save_for_backward(x)
        ctx.args = (group_size, num_channels, eps)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return torch.ops.spokenstyle.minibatch_stddev_backward(grad, x, *ctx.args), None, None, None

    torch.library.register_autograd(lib + "minibatch_stddev", backward, setup_context=setup)

    # backward(grad, x) = grad[:, :C] + a(grad) u(x), a = the feature maps' gradient summed over the
    # group and H x W / (K G), u = (x - mean) / sqrt(var + eps) over the group.
    def setup_bw(ctx, inputs, output):
        grad, x, group_size, num_channels, eps = inputs
        ctx.save_for_backward(grad, x)
        ctx.args = (group_size, num_channels, eps)

    def backward_bw(ctx, ggx):
        grad, x = ctx.saved_tensors
        group_size, f, eps = ctx.args
        n, c, h, w = x.shape
        g = _groups(x, group_size)
        k = (c // f) * h * w
        xr = x.reshape(g, -1, f, c // f, h, w)
        xc = xr - xr.mean(dim=0)
        inv = (xc.square().mean(dim=0) + eps).rsqrt()
        u = xc * inv
        wr = ggx.reshape(xr.shape)
        d_grad = d_x = None
        if ctx.needs_input_grad[0]:
            feat = (wr * u).sum(dim=(0, 3, 4, 5)) / (k * g)  # (n // g, f)
            fmap = feat.reshape(1, -1, f, 1, 1).expand(g, -1, f, h, w).reshape(n, f, h, w)
            d_grad = torch.cat([ggx, fmap], dim=1)
        if ctx.needs_input_grad[1]:
            a = grad[:, c:].reshape(g, -1, f, h, w).sum(dim=(0, 3, 4)) / (k * g)
            a = a.reshape(1, -1, f, 1, 1, 1)
            d_x = (a * inv * (wr - wr.mean(dim=0) - u * (wr * u).mean(dim=0))).reshape(x.shape)
        return d_grad, d_x, None, None, None

    torch.library.register_autograd(lib + "minibatch_stddev_backward", backward_bw, setup_context=setup_bw)


if _extension.AVAILABLE:
    _register()
