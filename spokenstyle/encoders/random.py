"""The ``random`` encoder: VGG19's architecture with fixed-seed random weights.

Deep features of random convolutional networks carry texture statistics well enough for style
transfer and texture synthesis, provided each layer is normalised so activations neither
vanish nor explode: He, Wang & Hopcroft, "A Powerful Generative Model Using Random Weights for
the Deep Image Representation" (NeurIPS 2016), transfer style with an untrained VGG19;
Ustyuzhaninov, Brendel, Gatys & Bethge, "What does it take to generate natural textures?"
(ICLR 2017), synthesise natural textures from random single-layer filter banks. That makes this
encoder the offline default: nothing to download, the same weights on every machine.

The weights do not come from ``torch.manual_seed``: a counter-based SplitMix64 stream in
NumPy (fully specified, unchanged across library versions) draws Kaiming-uniform weights, so
the decoder the project ships stays valid on any torch. Each convolution is then rescaled
(LSUV-style) so that on fixed 1/f ("pink") noise images, which share natural photos' power
spectrum, every channel's pre-activation has mean 0 and standard deviation 1.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import nn

from .base import VGG19_CFG, FeatureEncoder, build_vgg_features, vgg19_layer_names

#: The seed of the shipped encoder; decoders trained for it record its fingerprint.
DEFAULT_SEED = 2016
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def splitmix64_uniform(seed: int, n: int, stream: int = 0) -> np.ndarray:
    """``n`` float64 values uniform in [0, 1): element i is SplitMix64's output for counter i."""
    with np.errstate(over="ignore"):
        base = np.uint64((seed * 0x100000001B3 + stream * 0x5851F42D4C957F2D) & 0xFFFFFFFFFFFFFFFF)
        z = base + (np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


def pink_noise(seed: int, count: int = 2, size: int = 96) -> torch.Tensor:
    """(count, 3, size, size) images in [0, 1] with a 1/f amplitude spectrum (natural-photo-like)."""
    u = splitmix64_uniform(seed, count * 3 * size * size, stream=1).reshape(count, 3, size, size)
    white = torch.from_numpy(u - 0.5).float()
    spectrum = torch.fft.rfft2(white)
    fy = torch.fft.fftfreq(size).view(-1, 1)
    fx = torch.fft.rfftfreq(size).view(1, -1)
    radius = (fx * fx + fy * fy).sqrt().clamp_min(1.0 / size)
    img = torch.fft.irfft2(spectrum / radius, s=(size, size))
    # Partly shared across channels, as colours in photos are correlated.
    img = 0.6 * img.mean(1, keepdim=True) + 0.4 * img
    img = (img - img.mean(dim=(1, 2, 3), keepdim=True)) / img.std(dim=(1, 2, 3), keepdim=True)
    return (0.5 + 0.2 * img).clamp(0.0, 1.0)


@functools.lru_cache(maxsize=4)
def _random_state(seed: int) -> dict[str, torch.Tensor]:
    """The normalised weights for ``seed`` (computed once per process; about 0.2 s)."""
    features = build_vgg_features(VGG19_CFG)
    stream = 0
    for module in features:
        if isinstance(module, nn.Conv2d):
            fan_in = module.in_channels * 9
            bound = math.sqrt(6.0 / fan_in)  # Kaiming uniform for ReLU
            u = splitmix64_uniform(seed, module.weight.numel(), stream=100 + stream)
            w = torch.from_numpy((2.0 * u - 1.0) * bound).float().view_as(module.weight)
            module.weight.data.copy_(w)
            module.bias.data.zero_()
            stream += 1
    encoder = FeatureEncoder(features, {})
    h = encoder.normalize(pink_noise(seed))
    with torch.no_grad():
        for module in features:
            out = module(h)
            if isinstance(module, nn.Conv2d):
                mean = out.mean(dim=(0, 2, 3))
                std = out.std(dim=(0, 2, 3)).clamp_min(1e-6)
                module.weight.data /= std.view(-1, 1, 1, 1)
                module.bias.data = (module.bias.data - mean) / std
                out = module(h)
            h = out
    return {k: v.clone() for k, v in features.state_dict().items()}


class RandomEncoder(FeatureEncoder):
    """VGG19-shaped encoder with fixed random, per-layer normalised weights (no download)."""

    name = "random"

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed={seed!r} must be a non-negative integer")
        features = build_vgg_features(VGG19_CFG)
        features.load_state_dict(_random_state(seed))
        super().__init__(features, {k: v for k, v in vgg19_layer_names().items()})
        self.seed = seed

    def extra_repr(self) -> str:
        return f"seed={self.seed}"
