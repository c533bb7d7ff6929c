"""The stylization discriminator: StyleGAN2 residual blocks with patch heads at several scales.

Why patches, not StyleGAN2's single global score: a stylizer keeps the photo's layout, so what
the discriminator must judge is texture — brush strokes, paper grain, hatching — at a few
sizes, not whether the whole picture is a plausible scene. StyleGAN2's 4×4 head with a fully
connected layer sees the global layout and would punish the photo's composition; a head that
scores every patch of a feature map judges local statistics only, and since it is fully
convolutional the same weights work at 128² and at 512². The trunk keeps StyleGAN2's residual
blocks (antialiased FIR downsampling, equalised learning rate, the merge fused into the last
bias_act), which train stably with R1 and whose gradients stay well scaled.

Layout: ``from_rgb`` (1×1, lrelu) → ``len(channels)`` residual blocks, each halving the size →
after each of the last ``num_heads`` blocks a head (minibatch std, 3×3 lrelu, 1×1 to one
logit per patch). Receptive fields grow with depth, so the heads judge texture at several
scales. Inputs: (N, 3, H, W) with H and W multiples of 2**len(channels) and at least 4 times
that (128–512 px with the defaults).
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from .. import ops
from .layers import EqualConv2d, MinibatchStd

__all__ = ["DiscriminatorBlock", "PatchDiscriminator"]


class DiscriminatorBlock(nn.Module):
    """StyleGAN2's residual block: ``(lrelu(conv1_down(lrelu(conv0(x)))) + skip_down(x)) * sqrt(1/2)``,
    the bias, activation and merge of the main branch in one ``bias_act_residual``."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv0 = EqualConv2d(in_channels, in_channels, 3, activation="lrelu")
        self.conv1 = EqualConv2d(in_channels, out_channels, 3, bias=False, down=2)
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.skip = EqualConv2d(in_channels, out_channels, 1, bias=False, down=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(x)
        h = self.conv1(self.conv0(x))
        return ops.bias_act_residual(h, skip, self.bias, 1, "lrelu", scale=math.sqrt(0.5))


class _PatchHead(nn.Module):
    def __init__(self, channels: int, mbstd_group: int):
        super().__init__()
        self.mbstd = MinibatchStd(mbstd_group, 1)
        self.conv = EqualConv2d(channels + 1, channels, 3, activation="lrelu")
        self.out = EqualConv2d(channels, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.conv(self.mbstd(x)))


class PatchDiscriminator(nn.Module):
    """Multi-scale patch discriminator for stylized images (see the module doc).

    ``forward(x)`` returns one (N, 1, h, w) map of patch logits per head, finest first;
    ``score(x)`` their mean per sample, (N,), for the adversarial loss and R1.
    """

    def __init__(self, channels: Sequence[int] = (64, 128, 256, 256), num_heads: int = 3, in_channels: int = 3,
                 mbstd_group: int = 4):
        super().__init__()
        channels = tuple(int(c) for c in channels)
        if not channels or min(channels) < 1:
            raise ValueError(f"channels must be a non-empty sequence of positive ints, got {channels!r}")
        if not 1 <= num_heads <= len(channels):
            raise ValueError(f"num_heads must be between 1 and len(channels) = {len(channels)}, got {num_heads}")
        self.channels = channels
        self.num_heads = num_heads
        self.from_rgb = EqualConv2d(in_channels, channels[0], 1, activation="lrelu")
        self.blocks = nn.ModuleList(
            DiscriminatorBlock(channels[max(i - 1, 0)], c) for i, c in enumerate(channels)
        )
        first = len(channels) - num_heads
        self.head_at = tuple(range(first, len(channels)))
        self.heads = nn.ModuleList(_PatchHead(channels[i], mbstd_group) for i in self.head_at)

    @property
    def min_size(self) -> int:
        return 4 * 2 ** len(self.channels)

    def _check(self, x: torch.Tensor) -> None:
        step = 2 ** len(self.channels)
        if x.dim() != 4 or x.shape[1] != self.from_rgb.in_channels:
            raise ValueError(f"x must be (N, {self.from_rgb.in_channels}, H, W), got shape {tuple(x.shape)}")
        h, w = x.shape[2:]
        if h % step or w % step or h < self.min_size or w < self.min_size:
            raise ValueError(
                f"x is {h}x{w}; the discriminator needs H and W multiples of {step} and at least {self.min_size} "
                f"(resize or crop the images, e.g. to 256x256)"
            )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        self._check(x)
        h = self.from_rgb(x)
        out = []
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i >= self.head_at[0]:
                out.append(self.heads[i - self.head_at[0]](h))
        return out

    def score(self, x: torch.Tensor) -> torch.Tensor:
        maps = self(x)
        return torch.stack([m.mean(dim=(1, 2, 3)) for m in maps]).mean(0)

    def extra_repr(self) -> str:
        return f"channels={self.channels}, num_heads={self.num_heads}, min_size={self.min_size}"
