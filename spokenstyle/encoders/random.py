"""The ``random`` encoder: VGG19's architecture with fixed-seed random weights.

Deep features of random convolutional networks carry texture statistics well enough for style
transfer and texture synthesis, provided each layer is normalised so activations neither
vanish nor explode: He, Wang & Hopcroft, "A Powerful Generative Model Using Random Weights for
the Deep Image Representation" (NeurIPS 2016), transfer style with an untrained VGG19;
Ustyuzhaninov, Brendel, Gatys & Bethge, "What does it take to generate natural textures?"
(ICLR 2017), synthesise natural textures from random single-layer filter banks. It is an
option (the default is the trained ``vgg19``): a perceptual space with no weight file at all.

Its weights are bit-identical on every CPU and torch version, because decoders trained for it
must keep working everywhere. They do not come from ``torch.manual_seed``: a counter-based
SplitMix64 stream in NumPy (fully specified, unchanged across library versions) draws
Kaiming-uniform weights. Each convolution is then rescaled (LSUV-style) so that on fixed 1/f
("pink") noise images, which share natural photos' power spectrum, every channel's
pre-activation has mean 0 and standard deviation 1 — measured in float64 and rounded, so that
kernel choice cannot change the result (see ``_random_state``). The fingerprint names the
recipe and the seed, never float bits.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from torch import nn

from .base import IMAGENET_MEAN, IMAGENET_STD, VGG19_CFG, FeatureEncoder, build_vgg_features, vgg19_layer_names

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


#: Version of the weight-making recipe below; part of the fingerprint.
RECIPE = 2


def pink_noise(seed: int, count: int = 2, size: int = 96) -> np.ndarray:
    """(count, 3, size, size) 8-bit images (as float64 in [0, 1]) with a 1/f amplitude spectrum,
    like natural photos. Made in float64 and quantised to 8 bits, as a photo is, so that no
    machine's floating-point rounding can change a single value."""
    u = splitmix64_uniform(seed, count * 3 * size * size, stream=1).reshape(count, 3, size, size)
    spectrum = np.fft.rfft2(u - 0.5)
    fy = np.fft.fftfreq(size).reshape(-1, 1)
    fx = np.fft.rfftfreq(size).reshape(1, -1)
    radius = np.sqrt(fx * fx + fy * fy).clip(1.0 / size, None)
    img = np.fft.irfft2(spectrum / radius, s=(size, size))
    # Partly shared across channels, as colours in photos are correlated.
    img = 0.6 * img.mean(1, keepdims=True) + 0.4 * img
    img = (img - img.mean(axis=(1, 2, 3), keepdims=True)) / img.std(axis=(1, 2, 3), keepdims=True)
    return np.round(np.clip(0.5 + 0.2 * img, 0.0, 1.0) * 255.0) / 255.0


def _round_sig(x: float, digits: int = 3) -> float:
    """``x`` rounded to ``digits`` significant digits (Python's correctly rounded formatting)."""
    return float(f"{x:.{digits}g}")


@functools.lru_cache(maxsize=4)
def _random_state(seed: int) -> dict[str, torch.Tensor]:
    """The normalised weights for ``seed``, bit-identical on every CPU and torch version.

    Kaiming-uniform weights come from the integer SplitMix64 stream; each convolution's
    output on the pink-noise images is measured in float64 and its scale and shift are
    rounded to 3 significant digits before they are applied. The float64 statistics differ
    between machines only in their last bits (kernels sum in different orders), far below
    that rounding, so the rounded values, and the weights made from them with exactly
    rounded elementwise float64 arithmetic, are the same everywhere.
    """
    with torch.device("meta"):  # shapes only
        features = build_vgg_features(VGG19_CFG)
    mean = np.array(IMAGENET_MEAN).reshape(1, 3, 1, 1)
    std = np.array(IMAGENET_STD).reshape(1, 3, 1, 1)
    h = torch.from_numpy((pink_noise(seed) - mean) / std)
    stream = 0
    state: dict[str, torch.Tensor] = {}
    for index, module in enumerate(features):
        if isinstance(module, nn.Conv2d):
            fan_in = module.in_channels * 9
            bound = math.sqrt(6.0 / fan_in)  # Kaiming uniform for ReLU
            u = splitmix64_uniform(seed, module.weight.numel(), stream=100 + stream)
            w = ((2.0 * u - 1.0) * bound).reshape(tuple(module.weight.shape))
            stream += 1
            with torch.no_grad():
                out = torch.nn.functional.conv2d(h, torch.from_numpy(w), padding=1)
            scale = np.array([_round_sig(float(s)) for s in out.std(dim=(0, 2, 3)).clamp_min(1e-6)])
            shift = np.array([round(float(m) / s, 3) for m, s in zip(out.mean(dim=(0, 2, 3)), scale)])
            w32 = (w / scale.reshape(-1, 1, 1, 1)).astype(np.float32)
            b32 = (-shift).astype(np.float32)
            state[f"{index}.weight"] = torch.from_numpy(w32)
            state[f"{index}.bias"] = torch.from_numpy(b32)
            # The normalised output, without a second convolution (float64, the same recipe everywhere).
            s64 = torch.from_numpy(scale).view(1, -1, 1, 1)
            h = out / s64 - torch.from_numpy(shift).view(1, -1, 1, 1)
        else:
            with torch.no_grad():
                h = module(h)
    return state


class RandomEncoder(FeatureEncoder):
    """VGG19-shaped encoder with fixed random, per-layer normalised weights (no download)."""

    name = "random"

    def __init__(self, seed: int = DEFAULT_SEED) -> None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise ValueError(f"seed={seed!r} must be a non-negative integer")
        with torch.device("meta"):
            features = build_vgg_features(VGG19_CFG)
        features.load_state_dict({k: v.clone() for k, v in _random_state(seed).items()}, assign=True)
        super().__init__(features, {k: v for k, v in vgg19_layer_names().items()})
        self.seed = seed

    def fingerprint(self) -> str:
        """What defines this encoder (recipe and seed), not float bits of its weights."""
        import hashlib

        return hashlib.sha256(f"random:recipe={RECIPE}:seed={self.seed}".encode()).hexdigest()[:16]

    def extra_repr(self) -> str:
        return f"seed={self.seed}"
