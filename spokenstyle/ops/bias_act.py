"""bias_act: fused bias + activation + gain + clamp, the pointwise tail of every GAN layer.

``y = clamp(act(x + b) * gain, -clamp, clamp)`` with ``b`` broadcast along ``dim``. One pass over
memory forward and one backward (saving ``x``, not intermediates); the backward is itself an
operator with its own derivative, so the R1 penalty's double backward stays fused.

``bias_act_residual(x, residual, b, ..., scale)`` is the same op fused with the residual merge
that ends every residual discriminator block, ``(bias_act(x, b, ...) + residual) * scale``: one
pass instead of three (bias_act, add, scale) and no intermediate tensors in the forward; its
backward is ``bias_act_backward`` of ``grad * scale``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from . import _extension
from ._checks import check_floating, check_same_device
from ._kernels import compute_dtype, use_kernel

__all__ = ["ACTIVATIONS", "bias_act", "bias_act_reference", "bias_act_residual", "bias_act_residual_reference"]

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


@dataclass(frozen=True)
class Activation:
    func: Callable[[torch.Tensor, float], torch.Tensor]
    alpha: float
    gain: float


ACTIVATIONS: dict[str, Activation] = {
    "linear": Activation(lambda z, a: z, 0.0, 1.0),
    "relu": Activation(lambda z, a: F.relu(z), 0.0, math.sqrt(2)),
    "lrelu": Activation(lambda z, a: F.leaky_relu(z, a), 0.2, math.sqrt(2)),
    "tanh": Activation(lambda z, a: torch.tanh(z), 0.0, 1.0),
    "sigmoid": Activation(lambda z, a: torch.sigmoid(z), 0.0, 1.0),
    "elu": Activation(lambda z, a: F.elu(z, a), 1.0, 1.0),
    "selu": Activation(lambda z, a: _SELU_SCALE * F.elu(z, a), _SELU_ALPHA, 1.0),
    "softplus": Activation(lambda z, a: F.softplus(z), 0.0, 1.0),
    "swish": Activation(lambda z, a: F.silu(z), 0.0, math.sqrt(2)),
}


def _resolve(x, b, dim, act, alpha, gain, clamp):
    check_floating("x", x)
    if act not in ACTIVATIONS:
        raise ValueError(f"bias_act: unknown act={act!r}; expected one of {', '.join(ACTIVATIONS)}")
    if not isinstance(dim, int) or isinstance(dim, bool):
        raise TypeError(f"bias_act: dim must be an int, got {type(dim).__name__}")
    if x.dim() == 0 and b is not None:
        raise ValueError("bias_act: x is a scalar, so there is no dim for the bias b")
    if x.dim() > 0 and not -x.dim() <= dim < x.dim():
        raise IndexError(f"bias_act: dim={dim} is out of range for x with {x.dim()} dimensions")
    if b is not None:
        check_floating("b", b)
        check_same_device("b", b, "x", x)
        d = dim % x.dim()
        if b.dim() != 1 or b.numel() != x.shape[d]:
            raise ValueError(
                f"bias_act: b must be 1-D with x.shape[{d}] = {x.shape[d]} elements, got shape {tuple(b.shape)}"
            )
        if b.dtype != x.dtype:
            b = b.to(x.dtype)
    spec = ACTIVATIONS[act]
    alpha = float(spec.alpha if alpha is None else alpha)
    gain = float(spec.gain if gain is None else gain)
    if clamp is not None:
        clamp = float(clamp)
        if clamp < 0:
            raise ValueError(f"bias_act: clamp must be >= 0 or None, got {clamp}")
    return b, alpha, gain, clamp


def bias_act_reference(x, b=None, dim=1, act="lrelu", alpha=None, gain=None, clamp=None):
    """Pure-PyTorch bias_act: the test oracle and the fallback without the extension."""
    b, alpha, gain, clamp = _resolve(x, b, dim, act, alpha, gain, clamp)
    return _composite(x, b, dim, act, alpha, gain, clamp)


def _composite(x, b, dim, act, alpha, gain, clamp):
    """The reference computation on already-validated, resolved arguments."""
    if b is not None:
        shape = [1] * x.dim()
        shape[dim % x.dim()] = -1
        x = x + b.reshape(shape)
    y = ACTIVATIONS[act].func(x, alpha)
    if gain != 1:
        y = y * gain
    if clamp is not None:
        y = y.clamp(-clamp, clamp)
    return y


def bias_act(
    x: torch.Tensor,
    b: torch.Tensor | None = None,
    dim: int = 1,
    act: str = "lrelu",
    alpha: float | None = None,
    gain: float | None = None,
    clamp: float | None = None,
) -> torch.Tensor:
    """Fused ``clamp(act(x + b) * gain, -clamp, clamp)``, differentiable twice.

    Args:
        x: input of any shape and layout (channels_last and strided views keep their layout).
        b: optional 1-D bias with ``x.shape[dim]`` elements.
        dim: the dimension of ``x`` the bias runs along.
        act: one of ``linear, relu, lrelu, tanh, sigmoid, elu, selu, softplus, swish``.
        alpha: the activation's parameter (lrelu slope 0.2, elu 1.0, selu 1.6733 by default).
        gain: output scale (sqrt(2) for relu, lrelu and swish, 1 otherwise, by default).
        clamp: clamp the output to ``[-clamp, clamp]``; None for no clamp.
    """
    b, alpha, gain, clamp = _resolve(x, b, dim, act, alpha, gain, clamp)
    if not use_kernel(x):
        return _composite(x, b, dim, act, alpha, gain, clamp)
    dtype = compute_dtype(x)
    if dtype != x.dtype:
        y = torch.ops.spokenstyle.bias_act(x.to(dtype), None if b is None else b.to(dtype), dim, act, alpha, gain, clamp)
        return y.to(x.dtype)
    return torch.ops.spokenstyle.bias_act(x, b, dim, act, alpha, gain, clamp)


def _resolve_residual(x, residual, scale):
    check_floating("residual", residual)
    check_same_device("residual", residual, "x", x)
    if residual.shape != x.shape:
        raise ValueError(
            f"bias_act_residual: residual has shape {tuple(residual.shape)} but x has {tuple(x.shape)}; they must match"
        )
    if not isinstance(scale, (int, float)) or isinstance(scale, bool):
        raise TypeError(f"bias_act_residual: scale must be a number, got {type(scale).__name__}")
    return residual.to(x.dtype) if residual.dtype != x.dtype else residual, float(scale)


def bias_act_residual_reference(x, residual, b=None, dim=1, act="lrelu", alpha=None, gain=None, clamp=None, scale=1.0):
    """Pure-PyTorch bias_act_residual: ``(bias_act(x, b, ...) + residual) * scale``."""
    b, alpha, gain, clamp = _resolve(x, b, dim, act, alpha, gain, clamp)
    residual, scale = _resolve_residual(x, residual, scale)
    return (_composite(x, b, dim, act, alpha, gain, clamp) + residual) * scale


def bias_act_residual(
    x: torch.Tensor,
    residual: torch.Tensor,
    b: torch.Tensor | None = None,
    dim: int = 1,
    act: str = "lrelu",
    alpha: float | None = None,
    gain: float | None = None,
    clamp: float | None = None,
    scale: float = 1.0,
) -> torch.Tensor:
    """Fused ``(clamp(act(x + b) * gain) + residual) * scale``: the last layer of a residual block
    and the merge with its skip branch in one pass, differentiable twice.

    Args:
        x, b, dim, act, alpha, gain, clamp: as :func:`bias_act`.
        residual: the skip branch, shaped like x.
        scale: applied to the sum (``sqrt(0.5)`` keeps the variance of a sum of two unit branches).
    """
    b, alpha, gain, clamp = _resolve(x, b, dim, act, alpha, gain, clamp)
    residual, scale = _resolve_residual(x, residual, scale)
    if not use_kernel(x):
        return (_composite(x, b, dim, act, alpha, gain, clamp) + residual) * scale
    dtype = compute_dtype(x)
    if dtype != x.dtype:
        y = torch.ops.spokenstyle.bias_act_residual(
            x.to(dtype), None if b is None else b.to(dtype), residual.to(dtype), dim, act, alpha, gain, clamp, scale
        )
        return y.to(x.dtype)
    return torch.ops.spokenstyle.bias_act_residual(x, b, residual, dim, act, alpha, gain, clamp, scale)


def _reduce_to_bias(grad_x: torch.Tensor, dim: int) -> torch.Tensor:
    d = dim % grad_x.dim()
    others = [i for i in range(grad_x.dim()) if i != d]
    return grad_x.sum(dim=others) if others else grad_x


def _register() -> None:
    lib = "spokenstyle::"

    @torch.library.register_fake(lib + "bias_act")
    def _(x, b, dim, act, alpha, gain, clamp):
        return torch.empty_like(x)

    @torch.library.register_fake(lib + "bias_act_backward")
    def _(grad, x, b, dim, act, alpha, gain, clamp, order):
        return torch.empty_like(x)

    def setup_forward(ctx, inputs, output):
        x, b, dim, act, alpha, gain, clamp = inputs
        ctx.save_for_backward(x, b)
        ctx.args = (dim, act, alpha, gain, clamp)

    def backward_forward(ctx, grad):
        x, b = ctx.saved_tensors
        dim, act, alpha, gain, clamp = ctx.args
        grad_x = torch.ops.spokenstyle.bias_act_backward(grad, x, b, dim, act, alpha, gain, clamp, 1)
        grad_b = _reduce_to_bias(grad_x, dim) if b is not None and ctx.needs_input_grad[1] else None
        return grad_x, grad_b, None, None, None, None, None

    torch.library.register_autograd(lib + "bias_act", backward_forward, setup_context=setup_forward)

    def setup_backward(ctx, inputs, output):
        grad, x, b, dim, act, alpha, gain, clamp, order = inputs
        ctx.save_for_backward(grad, x, b)
        ctx.args = (dim, act, alpha, gain, clamp, order)

    def backward_backward(ctx, gg):
        # out = grad * gain * f^(k)(x + b) * mask  =>  d/dgrad = same op on gg,
        # d/dx = d/db = gg * grad * gain * f^(k+1)(x + b) * mask.
        grad, x, b = ctx.saved_tensors
        dim, act, alpha, gain, clamp, order = ctx.args
        op = torch.ops.spokenstyle.bias_act_backward
        d_grad = op(gg, x, b, dim, act, alpha, gain, clamp, order) if ctx.needs_input_grad[0] else None
        d_x = d_b = None
        if ctx.needs_input_grad[1] or ctx.needs_input_grad[2]:
            if order >= 2:
                raise RuntimeError("bias_act: derivatives above the second are not implemented")
            d_x = op(gg * grad, x, b, dim, act, alpha, gain, clamp, order + 1)
            if b is not None and ctx.needs_input_grad[2]:
                d_b = _reduce_to_bias(d_x, dim)
        return d_grad, d_x, d_b, None, None, None, None, None, None

    torch.library.register_autograd(lib + "bias_act_backward", backward_backward, setup_context=setup_backward)

    @torch.library.register_fake(lib + "bias_act_residual")
    def _(x, b, residual, dim, act, alpha, gain, clamp, scale):
        return torch.empty_like(x)

    def setup_residual(ctx, inputs, output):
        x, b, residual, dim, act, alpha, gain, clamp, scale = inputs
        ctx.save_for_backward(x, b)
        ctx.args = (dim, act, alpha, gain, clamp)
        ctx.scale = scale

    def backward_residual(ctx, grad):
        # y = (f(x + b) + r) * s  =>  d r = s grad; d x = bias_act_backward(s grad) (its own derivative).
        x, b = ctx.saved_tensors
        dim, act, alpha, gain, clamp = ctx.args
        g = grad * ctx.scale
        grad_x = grad_b = None
        if ctx.needs_input_grad[0] or ctx.needs_input_grad[1]:
            grad_x = torch.ops.spokenstyle.bias_act_backward(g, x, b, dim, act, alpha, gain, clamp, 1)
            if b is not None and ctx.needs_input_grad[1]:
                grad_b = _reduce_to_bias(grad_x, dim)
        grad_r = g if ctx.needs_input_grad[2] else None
        return grad_x, grad_b, grad_r, None, None, None, None, None, None

    torch.library.register_autograd(lib + "bias_act_residual", backward_residual, setup_context=setup_residual)


if _extension.AVAILABLE:
    _register()
