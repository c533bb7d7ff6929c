"""upfirdn2d: StyleGAN2's FIR resampling (blur after upsampling, before downsampling).

``upfirdn2d(x, filter, up=1, down=1, padding=(x0, x1, y0, y1))`` on x (N, C, H, W), per plane:

1. upsample by zero insertion: each sample followed by ``up - 1`` zeros (along x and y);
2. pad by ``padding`` = (x0, x1, y0, y1); a negative value crops;
3. true 2-D convolution with ``filter`` (the filter flipped, then correlated; valid region);
4. keep every ``down``-th sample, starting with the first.

Output size along y: ``(H * up + y0 + y1 - fh) // down + 1`` (x alike). ``filter`` is 2-D
(fh, fw), or 1-D (taps) for the separable filter ``outer(taps, taps)``. ``up``, ``down`` and
the padding take an int or an (x, y) pair. The operation is linear in x, so its gradient is
upfirdn2d of the incoming gradient with the flipped filter, up and down swapped and the padding
adjusted: the same kernel, forward and backward, to any order (R1's double backward). The
filter is a fixed constant: it gets no gradient.
"""

from __future__ import annotations

import numbers

import torch
import torch.nn.functional as F

from . import _extension
from ._checks import check_floating, check_ndim, check_same_device
from ._kernels import compute_dtype, use_kernel

__all__ = ["upfirdn2d", "upfirdn2d_reference", "fir_filter"]


def _pair(name, v):
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return int(v), int(v)
    if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(e, numbers.Integral) and not isinstance(e, bool) for e in v):
        return int(v[0]), int(v[1])
    raise TypeError(f"upfirdn2d: {name} must be an int or an (x, y) pair of ints, got {v!r}")


def _padding(v):
    if isinstance(v, numbers.Integral) and not isinstance(v, bool):
        return (int(v),) * 4
    if isinstance(v, (tuple, list)) and all(isinstance(e, numbers.Integral) and not isinstance(e, bool) for e in v):
        if len(v) == 2:
            return int(v[0]), int(v[0]), int(v[1]), int(v[1])
        if len(v) == 4:
            return tuple(int(e) for e in v)
    raise TypeError(f"upfirdn2d: padding must be an int, (x, y) or (x0, x1, y0, y1) ints, got {v!r}")


def fir_filter(taps, dtype=torch.float32, device=None, normalize=True) -> torch.Tensor:
    """A 2-D FIR filter from 1-D taps (separable, outer product) or a 2-D array, summing to 1
    when normalize (so a constant image stays constant); e.g. ``fir_filter([1, 3, 3, 1])``."""
    f = torch.as_tensor(taps, dtype=dtype, device=device)
    if f.dim() == 1:
        f = torch.outer(f, f)
    if f.dim() != 2 or f.numel() == 0:
        raise ValueError(f"fir_filter: taps must be a non-empty 1-D or 2-D array, got shape {tuple(f.shape)}")
    if normalize:
        s = f.sum()
        if s == 0:
            raise ValueError("fir_filter: the taps sum to 0, so they cannot be normalised; pass normalize=False")
        f = f / s
    return f


def _resolve(x, filter, up, down, padding):
    check_floating("x", x)
    check_ndim("x", x, (4,), "(N, C, H, W)")
    check_floating("filter", filter)
    check_same_device("filter", filter, "x", x)
    if filter.dim() == 1:
        filter = torch.outer(filter, filter)
    if filter.dim() != 2 or filter.numel() == 0:
        raise ValueError(f"upfirdn2d: filter must be a non-empty 1-D or 2-D tensor, got shape {tuple(filter.shape)}")
    if filter.requires_grad and torch.is_grad_enabled():
        raise ValueError("upfirdn2d: filter must not require grad (it is a fixed FIR filter); pass filter.detach()")
    upx, upy = _pair("up", up)
    downx, downy = _pair("down", down)
    if min(upx, upy) < 1 or min(downx, downy) < 1:
        raise ValueError(f"upfirdn2d: up and down must be >= 1, got up={up!r}, down={down!r}")
    px0, px1, py0, py1 = _padding(padding)
    n, c, h, w = x.shape
    fh, fw = filter.shape
    oh = (h * upy + py0 + py1 - fh) // downy + 1
    ow = (w * upx + px0 + px1 - fw) // downx + 1
    if h * upy + py0 + py1 < fh or w * upx + px0 + px1 < fw or oh < 1 or ow < 1:
        raise ValueError(
            f"upfirdn2d: the output of x of shape {tuple(x.shape)} with up={up!r}, padding={padding!r} and a "
            f"{fh}x{fw} filter would be empty; pad more (or crop less), or use a smaller filter"
        )
    if filter.dtype != x.dtype:
        filter = filter.to(x.dtype)
    return filter, (upx, upy, downx, downy, px0, px1, py0, py1)


def _composite(x, f, upx, upy, downx, downy, px0, px1, py0, py1):
    """The four steps with plain PyTorch ops, on resolved arguments."""
    n, c, h, w = x.shape
    if upx > 1 or upy > 1:
        x = x.reshape(n, c, h, 1, w, 1)
        x = F.pad(x, [0, upx - 1, 0, 0, 0, upy - 1])
        x = x.reshape(n, c, h * upy, w * upx)
    x = F.pad(x, [max(px0, 0), max(px1, 0), max(py0, 0), max(py1, 0)])
    x = x[:, :, max(-py0, 0): x.shape[2] - max(-py1, 0), max(-px0, 0): x.shape[3] - max(-px1, 0)]
    weight = f.flip([0, 1])[None, None].expand(c, 1, *f.shape)
    x = F.conv2d(x, weight, groups=c) if c > 0 else x[:, :, : x.shape[2] - f.shape[0] + 1, : x.shape[3] - f.shape[1] + 1]
    return x[:, :, ::downy, ::downx]


def upfirdn2d_reference(x, filter, up=1, down=1, padding=(0, 0, 0, 0)):
    """Pure-PyTorch upfirdn2d: the test oracle and the fallback without the extension."""
    f, args = _resolve(x, filter, up, down, padding)
    if x.dtype in (torch.float16, torch.bfloat16) and x.device.type == "cpu":
        return _composite(x.float(), f.float(), *args).to(x.dtype)
    return _composite(x, f, *args)


def upfirdn2d(x: torch.Tensor, filter: torch.Tensor, up=1, down=1, padding=(0, 0, 0, 0)) -> torch.Tensor:
    """FIR resampling: zero-insert upsample, pad/crop, convolve with filter, downsample.

    Args:
        x: (N, C, H, W) features (any layout; the output is contiguous).
        filter: (fh, fw) FIR filter, or 1-D taps for a separable one; a constant (no gradient).
        up, down: integer factors, an int or an (x, y) pair.
        padding: (x0, x1, y0, y1), an (x, y) pair or one int; negative values crop.
    """
    f, args = _resolve(x, filter, up, down, padding)
    if not use_kernel(x):
        return _composite(x, f, *args)
    dtype = compute_dtype(x)
    if dtype != x.dtype:
        return torch.ops.spokenstyle.upfirdn2d(x.to(dtype), f.to(dtype), *args).to(x.dtype)
    return torch.ops.spokenstyle.upfirdn2d(x, f, *args)


def _backward_args(x_shape, y_shape, f_shape, upx, upy, downx, downy, px0, px1, py0, py1):
    """up/down swapped and the padding under which upfirdn2d(dy, flipped filter) is d x."""
    _, _, h, w = x_shape
    _, _, oh, ow = y_shape
    fh, fw = f_shape
    return (
        downx, downy, upx, upy,
        fw - px0 - 1, w * upx - ow * downx + px0 - upx + 1,
        fh - py0 - 1, h * upy - oh * downy + py0 - upy + 1,
    )


def _register() -> None:
    lib = "spokenstyle::"

    @torch.library.register_fake(lib + "upfirdn2d")
    def _(x, f, upx, upy, downx, downy, px0, px1, py0, py1):
        n, c, h, w = x.shape
        fh, fw = f.shape
        oh = (h * upy + py0 + py1 - fh) // downy + 1
        ow = (w * upx + px0 + px1 - fw) // downx + 1
        return x.new_empty((n, c, oh, ow))

    def setup(ctx, inputs, output):
        x, f, *args = inputs
        ctx.save_for_backward(f)
        ctx.shapes = (tuple(x.shape), tuple(output.shape))
        ctx.args = tuple(args)

    def backward(ctx, grad):
        (f,) = ctx.saved_tensors
        if ctx.needs_input_grad[1]:
            raise RuntimeError("upfirdn2d: the filter gets no gradient (a fixed FIR filter); detach it")
        x_shape, y_shape = ctx.shapes
        bargs = _backward_args(x_shape, y_shape, tuple(f.shape), *ctx.args)
        dx = torch.ops.spokenstyle.upfirdn2d(grad, f.flip([0, 1]), *bargs)
        return (dx, None) + (None,) * 8

    torch.library.register_autograd(lib + "upfirdn2d", backward, setup_context=setup)


if _extension.AVAILABLE:
    _register()
