"""The GAN layers of spokenstyle, each a thin module over one fused operator.

* Equalised learning rate (Karras et al.): weights are stored N(0, 1) / lr_mul and scaled by
  ``lr_mul / sqrt(fan_in)`` at every call, so every layer learns at the same speed under Adam
  and a unit-variance input keeps unit variance through a linear layer.
* Bias and activation always go through one :func:`~spokenstyle.ops.bias_act` (default gains:
  sqrt(2) for lrelu), resampling through :func:`~spokenstyle.ops.upfirdn2d` with a normalised FIR
  filter (``[1, 3, 3, 1]`` by default), as StyleGAN2 does.

All modules are ``torch.compile(fullgraph=True)``-friendly: plain tensor ops and the
registered operators, no data-dependent Python.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops

__all__ = ["AdaIN", "Blur", "Downsample", "EqualConv2d", "EqualLinear", "FusedLeakyReLU", "MinibatchStd",
           "ModulatedConv2d", "Upsample"]

DEFAULT_FILTER = (1, 3, 3, 1)


def _check_act(activation: str) -> str:
    if activation not in ops.ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of {', '.join(ops.ACTIVATIONS)}")
    return activation


def _check_padding(mode: str) -> str:
    if mode not in ("zeros", "reflect"):
        raise ValueError(f"padding_mode must be 'zeros' or 'reflect', got {mode!r}")
    return mode


def _pad(x: torch.Tensor, pad: int, mode: str) -> tuple[torch.Tensor, int]:
    """``(x, pad)`` for a convolution's own zero padding, or ``x`` reflection-padded and 0: a
    mirrored border gives a network no edge to find, so it cannot paint one (zero padding marks
    every border, and a style loss rewards the bars drawn along it)."""
    if mode == "reflect" and pad > 0:
        return F.pad(x, (pad, pad, pad, pad), mode="reflect"), 0
    return x, pad


def _positive(name: str, v) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
    return v


class _FIR(nn.Module):
    """Holds a normalised FIR filter as a (non-persistent) buffer."""

    def __init__(self, taps: Sequence[float], gain: float = 1.0):
        super().__init__()
        self.taps = tuple(float(t) for t in taps)
        self.register_buffer("filter", ops.fir_filter(self.taps) * gain, persistent=False)


class Blur(_FIR):
    """FIR blur (no resampling): ``upfirdn2d(x, filter, padding=padding)``.

    The default padding keeps the size: taps - 1 in all per axis, the odd one on the left.
    """

    def __init__(self, taps: Sequence[float] = DEFAULT_FILTER, padding: tuple[int, int, int, int] | None = None,
                 gain: float = 1.0):
        super().__init__(taps, gain)
        if padding is None:
            p = len(self.taps) - 1
            padding = ((p + 1) // 2, p // 2, (p + 1) // 2, p // 2)
        self.padding = tuple(int(v) for v in padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ops.upfirdn2d(x, self.filter, 1, 1, self.padding)

    def extra_repr(self) -> str:
        return f"taps={self.taps}, padding={self.padding}"


class Downsample(_FIR):
    """Blur, then keep every factor-th sample: (N, C, H, W) -> (N, C, H/factor, W/factor)."""

    def __init__(self, taps: Sequence[float] = DEFAULT_FILTER, factor: int = 2):
        super().__init__(taps)
        self.factor = _positive("factor", factor)
        p = len(self.taps) - self.factor
        self.padding = ((p + 1) // 2, p // 2, (p + 1) // 2, p // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ops.upfirdn2d(x, self.filter, 1, self.factor, self.padding)

    def extra_repr(self) -> str:
        return f"taps={self.taps}, factor={self.factor}"


class Upsample(_FIR):
    """Zero-insert by factor, then blur (gain factor², so a constant stays constant):
    (N, C, H, W) -> (N, C, H*factor, W*factor)."""

    def __init__(self, taps: Sequence[float] = DEFAULT_FILTER, factor: int = 2):
        factor = _positive("factor", factor)
        super().__init__(taps, gain=factor * factor)
        self.factor = factor
        p = len(self.taps) - factor
        self.padding = ((p + 1) // 2 + factor - 1, p // 2, (p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ops.upfirdn2d(x, self.filter, self.factor, 1, self.padding)

    def extra_repr(self) -> str:
        return f"taps={self.taps}, factor={self.factor}"


class FusedLeakyReLU(nn.Module):
    """``bias_act(x, bias, dim=1, "lrelu", negative_slope, scale)``: a learned per-channel bias,
    leaky ReLU and the sqrt(2) gain that keeps unit variance, in one pass."""

    def __init__(self, channels: int, negative_slope: float = 0.2, scale: float = math.sqrt(2), bias: bool = True):
        super().__init__()
        self.channels = _positive("channels", channels)
        self.negative_slope = float(negative_slope)
        self.scale = float(scale)
        self.bias = nn.Parameter(torch.zeros(channels)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ops.bias_act(x, self.bias, 1, "lrelu", self.negative_slope, self.scale)

    def extra_repr(self) -> str:
        return f"{self.channels}, negative_slope={self.negative_slope}, scale={self.scale:.4f}, bias={self.bias is not None}"


class EqualLinear(nn.Module):
    """Linear layer with equalised learning rate; bias + activation through one bias_act.

    ``y = bias_act(x @ (W * lr_mul / sqrt(in))ᵀ, b * lr_mul, act)`` with W ~ N(0, 1) / lr_mul
    stored (lr_mul < 1 slows a layer down, as StyleGAN's mapping network does).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, bias_init: float = 0.0,
                 lr_mul: float = 1.0, activation: str = "linear"):
        super().__init__()
        self.in_features = _positive("in_features", in_features)
        self.out_features = _positive("out_features", out_features)
        self.activation = _check_act(activation)
        self.lr_mul = float(lr_mul)
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / self.lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init) / self.lr_mul)) if bias else None
        self.weight_gain = self.lr_mul / math.sqrt(in_features)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.linear(x, self.weight * self.weight_gain)
        b = self.bias * self.lr_mul if self.bias is not None else None
        if b is None and self.activation == "linear":
            return y
        return ops.bias_act(y, b, y.dim() - 1, self.activation)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}, "
                f"lr_mul={self.lr_mul}, activation={self.activation}")


class EqualConv2d(nn.Module):
    """2-D convolution with equalised learning rate; bias + activation through one bias_act.

    ``down=2`` blurs with the FIR filter before a stride-2 convolution (StyleGAN2's antialiased
    downsampling); otherwise the padding keeps the size (odd kernels). ``clamp`` clips the output
    (StyleGAN2-ADA's conv_clamp, for float16 safety).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, bias: bool = True,
                 activation: str = "linear", down: int = 1, taps: Sequence[float] = DEFAULT_FILTER,
                 lr_mul: float = 1.0, clamp: float | None = None, padding_mode: str = "zeros"):
        super().__init__()
        self.padding_mode = _check_padding(padding_mode)
        self.in_channels = _positive("in_channels", in_channels)
        self.out_channels = _positive("out_channels", out_channels)
        self.kernel_size = _positive("kernel_size", kernel_size)
        self.activation = _check_act(activation)
        self.down = _positive("down", down)
        self.lr_mul = float(lr_mul)
        self.clamp = None if clamp is None else float(clamp)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size) / self.lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = self.lr_mul / math.sqrt(in_channels * kernel_size * kernel_size)
        if self.down > 1:
            self.taps = tuple(float(t) for t in taps)
            self.register_buffer("filter", ops.fir_filter(self.taps), persistent=False)
            p = (len(self.taps) - self.down) + (kernel_size - 1)
            self.blur_padding = ((p + 1) // 2, p // 2, (p + 1) // 2, p // 2)
        else:
            self.filter = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        if self.down > 1:
            x = ops.upfirdn2d(x, self.filter, 1, 1, self.blur_padding)
            y = F.conv2d(x, w, stride=self.down)
        else:
            x, pad = _pad(x, self.kernel_size // 2, self.padding_mode)
            y = F.conv2d(x, w, padding=pad)
        b = self.bias * self.lr_mul if self.bias is not None else None
        if b is None and self.activation == "linear" and self.clamp is None:
            return y
        return ops.bias_act(y, b, 1, self.activation, clamp=self.clamp)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"bias={self.bias is not None}, activation={self.activation}, down={self.down}, "
                f"lr_mul={self.lr_mul}, clamp={self.clamp}, padding_mode={self.padding_mode}")


class ModulatedConv2d(nn.Module):
    """StyleGAN2's modulated convolution with weight demodulation: per sample, the weight is
    scaled per input channel by ``scale`` (N, in) and each output channel renormalised to unit
    expected variance; then a per-sample ``shift`` (N, out), the activation and its gain.

    It conditions a layer on a style the way a modulated instance norm does, but from the
    weights alone, never from the activations' statistics: there is nothing for the network to
    game with a local spike, which is what draws the "droplet" blobs of instance-norm
    generators (Karras et al., 2020, section 2). ``forward(x, scale, shift)``; one image folds
    the style into the weights (one convolution, no extra passes), a batch scales the input and
    the output instead (the same numbers, one shared weight).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3, activation: str = "lrelu",
                 stride: int = 1, demodulate: bool = True, eps: float = 1e-8, padding_mode: str = "zeros"):
        super().__init__()
        self.padding_mode = _check_padding(padding_mode)
        self.in_channels = _positive("in_channels", in_channels)
        self.out_channels = _positive("out_channels", out_channels)
        self.kernel_size = _positive("kernel_size", kernel_size)
        self.activation = _check_act(activation)
        self.stride = _positive("stride", stride)
        self.demodulate = bool(demodulate)
        self.eps = float(eps)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1.0 / math.sqrt(in_channels * kernel_size * kernel_size)

    def forward(self, x: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor | None = None) -> torch.Tensor:
        n = x.shape[0]
        if scale.shape != (n, self.in_channels) or (shift is not None and shift.shape != (n, self.out_channels)):
            raise ValueError(f"ModulatedConv2d({self.in_channels}, {self.out_channels}) needs scale (N, {self.in_channels}) "
                             f"and shift (N, {self.out_channels}) for N = {n}, got {tuple(scale.shape)} and "
                             f"{None if shift is None else tuple(shift.shape)}")
        w = self.weight * self.weight_gain
        x, pad = _pad(x, self.kernel_size // 2, self.padding_mode)
        demod = None
        if self.demodulate:  # (N, out): 1 / |w * scale| over (in, kh, kw)
            demod = torch.rsqrt(scale.square() @ w.square().sum(dim=(2, 3)).t() + self.eps)
        if n == 1:
            wn = w * scale.reshape(1, -1, 1, 1)
            if demod is not None:
                wn = wn * demod.reshape(-1, 1, 1, 1)
            y = F.conv2d(x, wn, None if shift is None else shift[0], stride=self.stride, padding=pad)
        else:
            y = F.conv2d(x * scale.reshape(n, -1, 1, 1), w, stride=self.stride, padding=pad)
            if demod is not None and shift is not None:
                y = torch.addcmul(shift.reshape(n, -1, 1, 1), y, demod.reshape(n, -1, 1, 1))
            elif demod is not None:
                y = y * demod.reshape(n, -1, 1, 1)
            elif shift is not None:
                y = y + shift.reshape(n, -1, 1, 1)
        return y if self.activation == "linear" else ops.bias_act(y, None, 1, self.activation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, activation={self.activation}, "
                f"stride={self.stride}, demodulate={self.demodulate}, padding_mode={self.padding_mode}")


class MinibatchStd(nn.Module):
    """StyleGAN2's minibatch standard deviation layer (``ops.minibatch_stddev``): appends
    num_channels maps of the group's feature spread, so the discriminator sees variety."""

    def __init__(self, group_size: int = 4, num_channels: int = 1, eps: float = 1e-8):
        super().__init__()
        self.group_size = _positive("group_size", group_size)
        self.num_channels = _positive("num_channels", num_channels)
        self.eps = float(eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ops.minibatch_stddev(x, self.group_size, self.num_channels, self.eps)

    def extra_repr(self) -> str:
        return f"group_size={self.group_size}, num_channels={self.num_channels}"


class AdaIN(nn.Module):
    """Adaptive instance normalisation (``ops.adain``): ``forward(content, style)`` with style
    features, or ``forward(content, style_mean, style_std)`` with given statistics."""

    def __init__(self, eps: float = 1e-5):
        super().__init__()
        self.eps = float(eps)

    def forward(self, content: torch.Tensor, style_mean: torch.Tensor, style_std: torch.Tensor | None = None):
        if style_std is None:
            return ops.adain(content, style_mean, eps=self.eps)
        return ops.adain(content, style_mean, style_std, self.eps)

    def extra_repr(self) -> str:
        return f"eps={self.eps}"
