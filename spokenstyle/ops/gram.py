"""Gram matrices and the Gatys style loss.

``gram(x)`` is ``F Fᵀ / (C·H·W)`` per sample with F = x as (N, C, H·W) (``normalize=False``
drops the division). ``style_loss(x, target_gram)`` is the mean squared error between ``gram(x)``
and a target Gram matrix (batch N, or 1 broadcast over x's batch), averaged over all N·C·C entries.

Both run on ATen's GEMM (MKL / cuBLAS), one batched GEMM forward and one backward: since the
gradient of a Gram matrix is symmetric after symmetrisation, ``dF = (dG + dGᵀ) F / norm`` is a
single GEMM, where autograd through ``bmm(F, Fᵀ)`` runs two. ``style_loss`` keeps the residual
``gram(x) - target`` from its forward (one fused pass computes it and the sum of its squares), so
the backward is that one GEMM plus a scaling of a C×C matrix. channels_last input is used as is
(Fᵀ is then the contiguous matrix) and its gradient stays channels_last.

On the CPU, float16/bfloat16 input is computed in float32 and the result cast back; on CUDA the
GEMM runs in the input dtype with float32 accumulation and the loss is accumulated in float32.
"""

from __future__ import annotations

import math

import torch

from . import _extension
from ._checks import check_floating, check_planes, check_same_device
from ._kernels import compute_dtype, use_kernel

__all__ = ["gram", "gram_reference", "style_loss", "style_loss_reference"]


def _norm(x: torch.Tensor, normalize: bool) -> float:
    n = math.prod(x.shape[1:])
    return float(n) if normalize and n > 0 else 1.0


def gram_reference(x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Pure-PyTorch gram: the test oracle and the fallback without the extension."""
    check_planes("x", x)
    f = x.reshape(x.shape[0], x.shape[1], -1)
    return torch.bmm(f, f.transpose(1, 2)) / _norm(x, normalize)


def _check_target(x: torch.Tensor, target_gram) -> None:
    check_floating("target_gram", target_gram)
    check_same_device("target_gram", target_gram, "x", x)
    n, c = x.shape[:2]
    if target_gram.dim() != 3 or tuple(target_gram.shape[1:]) != (c, c) or target_gram.shape[0] not in (1, n):
        raise ValueError(
            f"target_gram must have shape ({n} or 1, {c}, {c}) to match x of shape {tuple(x.shape)}, "
            f"got {tuple(target_gram.shape)} (compute it with spokenstyle.ops.gram(style_features))"
        )


def style_loss_reference(x: torch.Tensor, target_gram: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Pure-PyTorch style_loss: ``mean((gram(x) - target_gram)²)`` over N·C·C entries."""
    check_planes("x", x)
    _check_target(x, target_gram)
    g = gram_reference(x, normalize)
    return (g - target_gram.to(g.dtype)).square().mean()


def gram(x: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Gram matrix per sample: (N, C, H, W) or (N, C, L) -> (N, C, C), ``F Fᵀ / (C·H·W)``.

    ``normalize=False`` gives the plain ``F Fᵀ``.
    """
    check_planes("x", x)
    if not use_kernel(x):
        return gram_reference(x, normalize)
    dtype = compute_dtype(x)
    return torch.ops.spokenstyle.gram(x.to(dtype), bool(normalize)).to(x.dtype)


def style_loss(x: torch.Tensor, target_gram: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """Mean squared error between ``gram(x, normalize)`` and ``target_gram``, as a 0-d tensor.

    Args:
        x: (N, C, H, W) or (N, C, L) features.
        target_gram: (N, C, C), or (1, C, C) to compare every sample with one target; usually
            ``gram(style_features).detach()``. Gradients flow to it too when it requires them.
        normalize: whether both Gram matrices are normalised by C·H·W (the target must match).
    """
    check_planes("x", x)
    _check_target(x, target_gram)
    if not use_kernel(x):
        return style_loss_reference(x, target_gram, normalize)
    dtype = compute_dtype(x)
    loss, _ = torch.ops.spokenstyle.style_loss(x.to(dtype), target_gram.to(dtype), bool(normalize))
    return loss.to(x.dtype)


def _register() -> None:
    lib = "spokenstyle::"

    @torch.library.register_fake(lib + "gram")
    def _(x, normalize):
        return x.new_empty((x.shape[0], x.shape[1], x.shape[1]))

    @torch.library.register_fake(lib + "gram_backward")
    def _(grad, x, normalize):
        return torch.empty_like(x)

    @torch.library.register_fake(lib + "style_loss")
    def _(x, target_gram, normalize):
        return x.new_empty(()), x.new_empty((x.shape[0], x.shape[1], x.shape[1]))

    def setup_gram(ctx, inputs, output):
        x, normalize = inputs
        ctx.save_for_backward(x)
        ctx.normalize = normalize

    def backward_gram(ctx, grad):
        (x,) = ctx.saved_tensors
        return torch.ops.spokenstyle.gram_backward(grad, x, ctx.normalize), None

    torch.library.register_autograd(lib + "gram", backward_gram, setup_context=setup_gram)

    # gram_backward(G', x) = (G' + G'ᵀ) F / norm is bilinear: its derivative in x is the same
    # operator applied to the incoming gradient; in G' it is (P + Pᵀ) / norm, P = ggF Fᵀ.
    def setup_gram_bw(ctx, inputs, output):
        grad, x, normalize = inputs
        ctx.save_for_backward(grad, x)
        ctx.normalize = normalize

    def backward_gram_bw(ctx, ggx):
        grad, x = ctx.saved_tensors
        d_grad = d_x = None
        if ctx.needs_input_grad[0]:
            f = x.reshape(x.shape[0], x.shape[1], -1)
            p = torch.bmm(ggx.reshape(f.shape), f.transpose(1, 2))
            d_grad = (p + p.transpose(1, 2)) / _norm(x, ctx.normalize)
        if ctx.needs_input_grad[1]:
            d_x = torch.ops.spokenstyle.gram_backward(grad, ggx, ctx.normalize)
        return d_grad, d_x, None

    torch.library.register_autograd(lib + "gram_backward", backward_gram_bw, setup_context=setup_gram_bw)

    # style_loss: with the saved residual R = gram(x) - target, dG = 2 R dloss / numel (+ the
    # gradient of the residual output, if used); dx = gram_backward(dG, x) is the one GEMM.
    def setup_style(ctx, inputs, output):
        x, target_gram, normalize = inputs
        _, residual = output
        ctx.save_for_backward(x, residual)
        ctx.normalize = normalize
        ctx.target_batch = target_gram.shape[0]

    def backward_style(ctx, grad_loss, grad_residual):
        x, residual = ctx.saved_tensors
        dg = residual * (grad_loss * (2.0 / max(residual.numel(), 1)))
        if grad_residual is not None:
            dg = dg + grad_residual
        d_x = torch.ops.spokenstyle.gram_backward(dg, x, ctx.normalize) if ctx.needs_input_grad[0] else None
        d_t = None
        if ctx.needs_input_grad[1]:
            d_t = -dg.sum(dim=0, keepdim=True) if ctx.target_batch == 1 and dg.shape[0] != 1 else -dg
        return d_x, d_t, None

    torch.library.register_autograd(lib + "style_loss", backward_style, setup_context=setup_style)


if _extension.AVAILABLE:
    _register()
