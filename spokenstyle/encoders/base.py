"""The feature-encoder contract and VGG19's layer layout, shared by every VGG-shaped encoder."""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

import torch
from torch import nn

from ..errors import UsageError

#: VGG19's convolution widths per block ("M" = 2x2 max-pool), as in torchvision's ``features``.
VGG19_CFG: tuple = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512)

#: The taps every encoder offers: the first ReLU of each block (Gatys et al.; Huang & Belongie).
LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: The default layers for style statistics.
STYLE_LAYERS: tuple[str, ...] = LAYERS

# ImageNet mean/std: torchvision's VGG19 expects inputs normalised this way.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def vgg19_layer_names(cfg: Sequence = VGG19_CFG) -> dict[str, int]:
    """``{"relu1_1": 1, "relu1_2": 3, ..., "relu5_4": 35}``: each ReLU's index in ``features``."""
    names: dict[str, int] = {}
    block, k, index = 1, 0, 0
    for v in cfg:
        if v == "M":
            block, k = block + 1, 0
            index += 1
        else:
            k += 1
            names[f"relu{block}_{k}"] = index + 1  # conv at ``index``, its ReLU right after
            index += 2
    return names


def build_vgg_features(cfg: Sequence = VGG19_CFG) -> nn.Sequential:
    """torchvision's ``vgg19().features`` layout (same indices, so state dicts load as they are)."""
    layers: list[nn.Module] = []
    channels = 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
        else:
            layers += [nn.Conv2d(channels, v, 3, padding=1), nn.ReLU(inplace=False)]
            channels = v
    return nn.Sequential(*layers)


class FeatureEncoder(nn.Module):
    """A fixed network mapping (N, 3, H, W) sRGB in [0, 1] to named activations.

    Subclasses set ``self.features`` (an ``nn.Sequential``), ``self.taps`` (layer name ->
    index of the module whose output is that layer) and ``self.name``; the input is
    normalised with ``mean``/``std`` buffers. ``forward`` runs only as deep as the deepest
    requested layer, so asking for ``relu3_1`` costs a third of the network.
    """

    name = "encoder"
    #: Total down-sampling at each tap (inputs whose sides are multiples of 16 tile cleanly).
    strides = {"relu1": 1, "relu2": 2, "relu3": 4, "relu4": 8, "relu5": 16}

    def __init__(self, features: nn.Sequential, taps: dict[str, int], mean=IMAGENET_MEAN, std=IMAGENET_STD) -> None:
        super().__init__()
        self.features = features
        self.taps = dict(taps)
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1), persistent=False)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(self.taps)

    def channels(self, layer: str) -> int:
        """Number of channels at ``layer``."""
        index = self._index(layer)
        for module in reversed(self.features[: index + 1]):
            if isinstance(module, nn.Conv2d):
                return module.out_channels
        return 3

    def stride(self, layer: str) -> int:
        return self.strides[layer.split("_")[0]]

    def _index(self, layer: str) -> int:
        try:
            return self.taps[layer]
        except KeyError:
            raise UsageError(
                f"layer {layer!r} is not a tap of the '{self.name}' encoder; use one of {', '.join(self.taps)}"
            ) from None

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)

    def forward(self, x: torch.Tensor, layers: Iterable[str] = LAYERS) -> dict[str, torch.Tensor]:
        """``{layer: activation}`` for each requested layer, in network order."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise UsageError(f"encoder input must be (N, 3, H, W) RGB in [0, 1], got {tuple(x.shape)}")
        wanted = {self._index(name): name for name in layers}
        if not wanted:
            return {}
        last = max(wanted)
        out: dict[str, torch.Tensor] = {}
        h = self.normalize(x)
        for i, module in enumerate(self.features[: last + 1]):
            h = module(h)
            if i in wanted:
                out[wanted[i]] = h
        return out

    def fingerprint(self) -> str:
        """A short hash of the weights, rounded so float noise between machines does not change it.

        Decoders record the fingerprint of the encoder they were trained for, and refuse to run
        with another.
        """
        digest = hashlib.sha256()
        for key, value in sorted(self.state_dict().items()):
            v = value.detach().double().cpu()
            digest.update(key.encode())
            # Per-tensor summary statistics at 4 significant digits: stable across BLAS/CPU.
            stats = (v.mean(), v.abs().mean(), v.std() if v.numel() > 1 else v.sum(), v.flatten()[:: max(1, v.numel() // 16)].sum())
            digest.update(",".join(f"{float(s):.4g}" for s in stats).encode())
        return digest.hexdigest()[:16]
