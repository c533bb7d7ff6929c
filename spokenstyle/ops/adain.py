"""Instance statistics and adaptive instance normalisation (AdaIN, Huang & Belongie 2017).

``calc_mean_std(x)`` gives the per-(sample, channel) mean and standard deviation of a batch of
feature planes; ``adain(content, style)`` re-normalises every content plane to the statistics of
the matching style plane::

    out = (content - mean(content)) / std(content) * std(style) + mean(style)

Conventions (those of the reference AdaIN implementations):

* ``std = sqrt(var + eps)`` with eps *inside* the root; the variance is unbiased by default
  (``unbiased=False`` divides by the plane size). AdaIN always uses the unbiased content variance.
* A plane of one element has no unbiased variance: spokenstyle defines it as 0 (so the std is
  ``sqrt(eps)``, never NaN) and its gradient through the variance as 0.
* Statistics are accumulated in float64 on the CPU (float32 blocks summed in float64) and in
  float32 (float64 for float64) on CUDA. On the CPU, float16 and bfloat16 tensors are computed in
  float32 by the wrappers and the results cast back; CUDA kernels take them natively (fp32 math).
* Style statistics have batch N (one per content sample) or 1 (broadcast over the content batch);
  content and style may differ in spatial size.

Both operators are fused kernels: the forward is one statistics pass and one affine pass per plane
(on the CPU the plane is still in cache for the second), the backward one reduction and one
affine pass. The backward operators are operators too, with their own derivatives, so double
backward and ``torch.compile(fullgraph=True)`` work.
"""

from __future__ import annotations

import numbers

import torch

from . import _extension
from ._checks import check_batch, check_channels, check_floating, check_planes, check_same_device
from ._kernels import compute_dtype, use_kernel

__all__ = ["adain", "adain_reference", "calc_mean_std", "calc_mean_std_reference"]


def _stats_shape(x: torch.Tensor, batch: int) -> tuple[int, ...]:
    return (batch, x.shape[1]) + (1,) * (x.dim() - 2)


def _check_eps(eps) -> float:
    if not isinstance(eps, numbers.Real) or isinstance(eps, bool):
        raise TypeError(f"eps must be a real number, got {type(eps).__name__}")
    if eps < 0:
        raise ValueError(f"eps must be >= 0, got {eps}")
    return float(eps)


# ---- references ------------------------------------------------------------------------------


def calc_mean_std_reference(x: torch.Tensor, eps: float = 1e-5, unbiased: bool = True):
    """Pure-PyTorch calc_mean_std: the test oracle and the fallback without the extension."""
    check_planes("x", x)
    eps = _check_eps(eps)
    n, c = x.shape[:2]
    flat = x.reshape(n, c, -1)
    if flat.dtype in (torch.float16, torch.bfloat16):
        flat = flat.float()
    size = flat.shape[2]
    if size == 0:
        raise ValueError(f"x has empty planes (shape {tuple(x.shape)}); statistics are undefined")
    mean = flat.mean(dim=2, keepdim=True)
    denom = max(size - 1 if unbiased else size, 1)
    var = (flat - mean).square().sum(dim=2, keepdim=True) / denom
    std = (var + eps).sqrt()
    shape = _stats_shape(x, n)
    return mean.reshape(shape).to(x.dtype), std.reshape(shape).to(x.dtype)


def adain_reference(content: torch.Tensor, style_mean: torch.Tensor, style_std=None, eps: float = 1e-5):
    """Pure-PyTorch adain (both call forms): the test oracle and the fallback."""
    content, style_mean, style_std, eps = _resolve_adain(content, style_mean, style_std, eps, reference=True)
    c_mean, c_std = calc_mean_std_reference(content, eps)
    return (content - c_mean) / c_std * style_std + style_mean


# ---- public operators ----------------------------------------------------------------------


def calc_mean_std(x: torch.Tensor, eps: float = 1e-5, unbiased: bool = True):
    """Per-plane mean and standard deviation of x.

    Args:
        x: (N, C, H, W) or (N, C, L) floating-point features, any layout.
        eps: added to the variance inside the square root.
        unbiased: divide the sum of squared deviations by S - 1 (default) or by S, S the plane
            size. A one-element plane has variance 0 either way.

    Returns:
        ``(mean, std)``, each (N, C, 1, 1) for 4-D x and (N, C, 1) for 3-D x, dtype of x.
    """
    check_planes("x", x)
    eps = _check_eps(eps)
    if not use_kernel(x):
        return calc_mean_std_reference(x, eps, unbiased)
    if x.numel() == 0 and x.shape[0] * x.shape[1] > 0:
        raise ValueError(f"x has empty planes (shape {tuple(x.shape)}); statistics are undefined")
    dtype = compute_dtype(x)
    mean, std = torch.ops.spokenstyle.calc_mean_std(x.to(dtype), eps, bool(unbiased))
    return mean.to(x.dtype), std.to(x.dtype)


def _as_stat(name: str, s, content: torch.Tensor) -> torch.Tensor:
    check_floating(name, s)
    check_same_device(name, s, "content", content)
    c = content.shape[1]
    ok = s.dim() >= 2 and s.shape[1] == c and s.shape[0] in (1, content.shape[0]) and s[0, 0].numel() == 1
    if not ok:
        raise ValueError(
            f"{name} must hold one value per (sample, channel) plane of content: shape "
            f"({content.shape[0]} or 1, {c}, 1, 1), got {tuple(s.shape)} for content of shape {tuple(content.shape)}"
        )
    s = s.reshape(_stats_shape(content, s.shape[0]))
    return s


def _resolve_adain(content, style_mean, style_std, eps, reference=False, dtype=None):
    check_planes("content", content)
    if style_std is None or isinstance(style_std, numbers.Real):
        # adain(content, style[, eps]): the statistics of the style features.
        if style_std is not None:
            eps = style_std
        eps = _check_eps(eps)
        style = style_mean
        check_planes("style", style)
        check_same_device("style", style, "content", content)
        check_channels("style", style, "content", content)
        check_batch("style", style, "content", content)
        stats = calc_mean_std_reference if reference else calc_mean_std
        # In the kernel's compute dtype, so float16 style statistics are not rounded in between.
        style_mean, style_std = stats(style if dtype is None else style.to(dtype), eps)
    else:
        eps = _check_eps(eps)
    style_mean = _as_stat("style_mean", style_mean, content)
    style_std = _as_stat("style_std", style_std, content)
    return content, style_mean, style_std, eps


def adain(content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor | None = None, eps: float = 1e-5):
    """Adaptive instance normalisation, fused.

    Two call forms::

        adain(content, style_mean, style_std, eps=1e-5)   # given style statistics
        adain(content, style, eps=1e-5)                   # statistics of the style features

    Args:
        content: (N, C, H, W) or (N, C, L) features, any layout (channels_last is kept).
        style_mean, style_std: (N, C, 1, 1) or (1, C, 1, 1) statistics (a plain (N, C) works too),
            e.g. from :func:`calc_mean_std`; batch 1 broadcasts over the content batch.
        style: features (N or 1, C, H', W') whose statistics to transfer; spatial size is free.
        eps: added to the content variance inside the root (and to the style's in the second form).

    Gradients flow to content and to the style statistics (and so to style).
    """
    check_planes("content", content)
    dtype = compute_dtype(content) if use_kernel(content) else None
    content, style_mean, style_std, eps = _resolve_adain(content, style_mean, style_std, eps, dtype=dtype)
    if dtype is None:
        return adain_reference(content, style_mean, style_std, eps)
    if content.numel() == 0 and content.shape[0] * content.shape[1] > 0:
        raise ValueError(f"content has empty planes (shape {tuple(content.shape)}); statistics are undefined")
    out = torch.ops.spokenstyle.adain(content.to(dtype), style_mean.to(dtype), style_std.to(dtype), eps)
    return out.to(content.dtype)


# ---- autograd and fake registrations ----------------------------------------------------------


def _planes(t: torch.Tensor) -> torch.Tensor:
    return t.reshape(t.shape[0], t.shape[1], -1)


def _sum_to(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reduce a per-plane (N, C, 1) tensor to the shape of a style statistic of batch N or 1."""
    if like.shape[0] == 1 and t.shape[0] != 1:
        t = t.sum(dim=0, keepdim=True)
    return t.reshape(like.shape)


def _adain_double_backward(ggx, ggm, ggs, grad, content, style_mean, style_std, eps, needs):
    """Derivatives of adain_backward's outputs (dx, d style_mean, d style_std) with respect to its
    inputs (grad, content, style_std), in differentiable PyTorch ops. Per plane, with
    r = 1/std_c, xh = (x - mean_c) r, d the variance denominator, M the plane size:
        dx = ss r (g - S1/M - xh S2/d),  d style_mean = S1 = sum(g),  d style_std = S2 = sum(g xh).
    """
    g, x = _planes(grad), _planes(content)
    m = x.shape[2]
    d = float(max(m - 1, 1))
    mean = x.mean(dim=2, keepdim=True)
    xc = x - mean
    r = ((xc.square().sum(dim=2, keepdim=True) / d) + eps).rsqrt()
    xh = xc * r
    ss = style_std.reshape(style_std.shape[0], style_std.shape[1], 1)
    s1 = g.sum(dim=2, keepdim=True)
    s2 = (g * xh).sum(dim=2, keepdim=True)
    ggx = _planes(ggx) if ggx is not None else torch.zeros_like(x)
    gs1 = ggm.reshape(ggm.shape[0], ggm.shape[1], 1) if ggm is not None else torch.zeros_like(s1)
    gs2 = ggs.reshape(ggs.shape[0], ggs.shape[1], 1) if ggs is not None else torch.zeros_like(s2)
    a = ggx.sum(dim=2, keepdim=True)
    b = (ggx * xh).sum(dim=2, keepdim=True)
    c0 = (ggx * g).sum(dim=2, keepdim=True)
    d_grad = d_content = d_std = None
    if needs[0]:
        d_grad = ss * r * (ggx - a / m - xh * b / d) + gs1 + gs2 * xh
        d_grad = d_grad.reshape(grad.shape)
    if needs[1]:
        k = c0 - a * s1 / m
        dr = -r * r * xh / d
        db = r * (ggx - a / m) - r * xh * b / d
        ds2 = r * (g - s1 / m) - r * xh * s2 / d
        d_content = ss * k * dr - (ss / d) * (dr * b * s2 + r * db * s2 + r * b * ds2) + gs2 * ds2
        d_content = d_content.reshape(content.shape)
    if needs[3]:
        d_std = _sum_to(r * (c0 - a * s1 / m - b * s2 / d), style_std)
    return d_grad, d_content, None, d_std


def _register() -> None:
    lib = "spokenstyle::"

    @torch.library.register_fake(lib + "calc_mean_std")
    def _(x, eps, unbiased):
        shape = _stats_shape(x, x.shape[0])
        return x.new_empty(shape), x.new_empty(shape)

    @torch.library.register_fake(lib + "calc_mean_std_backward")
    def _(grad_mean, grad_std, x, mean, std, unbiased):
        return torch.empty_like(x)

    @torch.library.register_fake(lib + "adain")
    def _(content, style_mean, style_std, eps):
        return torch.empty_like(content)

    @torch.library.register_fake(lib + "adain_backward")
    def _(grad, content, style_mean, style_std, eps):
        return torch.empty_like(content), style_mean.new_empty(style_mean.shape), style_std.new_empty(style_std.shape)

    # calc_mean_std: d x = calc_mean_std_backward(...), saving the outputs (mean, std).
    def setup_stats(ctx, inputs, output):
        x, eps, unbiased = inputs
        mean, std = output
        ctx.save_for_backward(x, mean, std)
        ctx.unbiased = unbiased

    def backward_stats(ctx, grad_mean, grad_std):
        x, mean, std = ctx.saved_tensors
        if grad_mean is None:
            grad_mean = torch.zeros_like(mean)
        if grad_std is None:
            grad_std = torch.zeros_like(std)
        dx = torch.ops.spokenstyle.calc_mean_std_backward(grad_mean, grad_std, x, mean, std, ctx.unbiased)
        return dx, None, None

    torch.library.register_autograd(lib + "calc_mean_std", backward_stats, setup_context=setup_stats)

    # calc_mean_std_backward: dx = gm / M + gs (x - mean) / (std d), linear in gm and gs.
    def setup_stats_bw(ctx, inputs, output):
        gm, gs, x, mean, std, unbiased = inputs
        ctx.save_for_backward(gm, gs, x, mean, std)
        ctx.unbiased = unbiased

    def backward_stats_bw(ctx, ggx):
        gm, gs, x, mean, std = ctx.saved_tensors
        m = x[0, 0].numel()
        d = float(max(m - 1 if ctx.unbiased else m, 1))
        gg = _planes(ggx)
        xc = _planes(x) - _planes(mean)
        sd, g_s = _planes(std), _planes(gs)
        gsum = gg.sum(dim=2, keepdim=True)
        gxc = (gg * xc).sum(dim=2, keepdim=True)
        need = ctx.needs_input_grad
        d_gm = (gsum / m).reshape(gm.shape) if need[0] else None
        d_gs = (gxc / (sd * d)).reshape(gs.shape) if need[1] else None
        d_x = (gg * g_s / (sd * d)).reshape(x.shape) if need[2] else None
        d_mean = (-gsum * g_s / (sd * d)).reshape(mean.shape) if need[3] else None
        d_std = (-gxc * g_s / (sd * sd * d)).reshape(std.shape) if need[4] else None
        return d_gm, d_gs, d_x, d_mean, d_std, None

    torch.library.register_autograd(lib + "calc_mean_std_backward", backward_stats_bw, setup_context=setup_stats_bw)

    def setup_adain(ctx, inputs, output):
        content, style_mean, style_std, eps = inputs
        ctx.save_for_backward(content, style_mean, style_std)
        ctx.eps = eps

    def backward_adain(ctx, grad):
        content, style_mean, style_std = ctx.saved_tensors
        dx, dm, ds = torch.ops.spokenstyle.adain_backward(grad, content, style_mean, style_std, ctx.eps)
        need = ctx.needs_input_grad
        return dx if need[0] else None, dm if need[1] else None, ds if need[2] else None, None

    torch.library.register_autograd(lib + "adain", backward_adain, setup_context=setup_adain)

    def setup_adain_bw(ctx, inputs, output):
        grad, content, style_mean, style_std, eps = inputs
        ctx.save_for_backward(grad, content, style_mean, style_std)
        ctx.eps = eps

    def backward_adain_bw(ctx, ggx, ggm, ggs):
        grad, content, style_mean, style_std = ctx.saved_tensors
        out = _adain_double_backward(ggx, ggm, ggs, grad, content, style_mean, style_std, ctx.eps,
                                     ctx.needs_input_grad)
        return out + (None,)

    torch.library.register_autograd(lib + "adain_backward", backward_adain_bw, setup_context=setup_adain_bw)


if _extension.AVAILABLE:
    _register()
