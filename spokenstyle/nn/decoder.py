"""The AdaIN decoder: maps encoder features at one tap back to an image.

A light mirror of VGG19's encoder (Huang & Belongie, 2017), narrowed so that decoding a 512²
image costs a fifth of encoding it and the weights fit in a couple of MB: each stage is a 2x
upsample followed by reflection-padded 3x3 convolutions with ReLU, and the last convolution
outputs RGB, clamped to [0, 1] at inference (so colours saturate rather than wrap).

The upsample is bilinear for new decoders. Huang & Belongie's nearest-neighbour upsample copies
each relu4_1 feature to an 8x8 block, and a decoder trained on CPUs for tens of thousands of
steps still painted one mark per block: an 8-px lattice over stylised photos (``metrics.lattice``
0.022 against 0.002 for photos; benchmarks/RESULTS.md). Bilinear interpolation gives every
output pixel a blend of the neighbouring cells, so no block edge exists to paint along.
Checkpoints without the field are nearest-neighbour, as they were trained.

Checkpoints are ``safetensors`` files whose metadata holds the JSON config and the fingerprint
of the encoder the decoder was trained for (no pickles, see DESIGN "Weights and data").
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..encoders import DEFAULT as DEFAULT_ENCODER
from ..errors import UsageError, WeightsError

FORMAT = "spokenstyle.adain_decoder/1"


@dataclass
class DecoderConfig:
    """Architecture of an :class:`AdaINDecoder`; stored in every checkpoint."""

    layer: str = "relu3_1"
    in_channels: int = 256
    #: Output channels of each stage, coarsest first; each stage after the first upsamples 2x.
    widths: tuple[int, ...] = (128, 64, 32)
    #: Convolutions per stage (the first one changes the width).
    convs: tuple[int, ...] = (2, 2, 2)
    upsamples: int = 2
    #: "bilinear" or "nearest" (checkpoints from before the field existed: nearest).
    upsample: str = "bilinear"
    #: The typical size (RMS) of the encoder's activations at ``layer``: inputs are divided by
    #: it, so the network sees unit-scale features whatever the encoder (the original VGG-19's
    #: relu4_1 is in the hundreds).
    input_scale: float = 1.0

    def __post_init__(self) -> None:
        from ..checkpoints import validate_fields

        validate_fields(self, CONFIG_SCHEMA, _check_config, what="decoder config")


def _config_schema() -> dict:
    from ..checkpoints import Float, Int, IntTuple, Str

    # Generous bounds (the shipped decoder is 256 -> 128/64/32): large enough for any decoder
    # worth training, small enough that a config alone cannot ask for gigabytes.
    return {
        "layer": Str(r"relu[1-5]_[1-4]", default="relu3_1"),
        "in_channels": Int(1, 4096, default=256),
        "widths": IntTuple(1, 4096, 1, 8, default=(128, 64, 32)),
        "convs": IntTuple(1, 8, 1, 8, default=(2, 2, 2)),
        "upsamples": Int(0, 5, default=2),
        "upsample": Str("nearest|bilinear", default="nearest"),
        # Activation RMS of the encoder at the layer (the original VGG-19 reaches the hundreds).
        "input_scale": Float(1e-6, 1e6, default=1.0),
    }


CONFIG_SCHEMA = _config_schema()


def _check_config(config: dict) -> None:
    """Cross-field rules, after each field passed the schema (ValueError: the reason)."""
    if len(config["widths"]) != len(config["convs"]):
        raise ValueError(f"widths {list(config['widths'])} and convs {list(config['convs'])} must have equal length")


def expected_shapes(config: DecoderConfig | dict) -> dict[str, tuple[int, ...]]:
    """Every parameter's shape for ``config``, computed without building the network (so a
    checkpoint's tensors can be checked against its config before anything is allocated).
    Mirrors :class:`AdaINDecoder`'s layer list; a test keeps the two in step."""
    cfg = asdict(config) if isinstance(config, DecoderConfig) else dict(config)
    shapes: dict[str, tuple[int, ...]] = {}
    index, channels, ups = 0, int(cfg["in_channels"]), int(cfg["upsamples"])

    def conv(cin: int, cout: int) -> None:
        nonlocal index
        shapes[f"body.{index}.1.weight"] = (cout, cin, 3, 3)
        shapes[f"body.{index}.1.bias"] = (cout,)
        index += 1

    for stage, (width, count) in enumerate(zip(cfg["widths"], cfg["convs"])):
        if stage > 0 and ups > 0:
            index += 1  # Upsample
            ups -= 1
        for _ in range(count):
            conv(channels, width)
            index += 1  # ReLU
            channels = width
    while ups > 0:
        index += 1  # Upsample
        conv(channels, channels)
        index += 1  # ReLU
        ups -= 1
    conv(channels, 3)
    return shapes


def _upsample(mode: str) -> nn.Upsample:
    return nn.Upsample(scale_factor=2, mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(cin, cout, 3))


class AdaINDecoder(nn.Module):
    """features (N, C, H/s, W/s) -> image (N, 3, H, W), s = 2**upsamples."""

    def __init__(self, config: DecoderConfig | None = None) -> None:
        super().__init__()
        self.config = config or DecoderConfig()
        cfg = self.config
        layers: list[nn.Module] = []
        channels = cfg.in_channels
        ups = cfg.upsamples
        for stage, (width, count) in enumerate(zip(cfg.widths, cfg.convs)):
            if stage > 0 and ups > 0:
                layers.append(_upsample(cfg.upsample))
                ups -= 1
            for _ in range(count):
                layers += [_conv(channels, width), nn.ReLU(inplace=True)]
                channels = width
        while ups > 0:  # more upsamples than stages: finish at the last width
            layers += [_upsample(cfg.upsample), _conv(channels, channels), nn.ReLU(inplace=True)]
            ups -= 1
        layers.append(_conv(channels, 3))
        self.body = nn.Sequential(*layers)

    @property
    def scale(self) -> int:
        return 2 ** self.config.upsamples

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        if features.dim() != 4 or features.shape[1] != self.config.in_channels:
            raise UsageError(
                f"decoder input must be (N, {self.config.in_channels}, h, w) {self.config.layer} features, "
                f"got {tuple(features.shape)}"
            )
        if self.config.input_scale != 1.0:
            features = features / self.config.input_scale
        out = self.body(features)
        # Clamp only at inference: in training a clamp would zero the gradient of every
        # out-of-range pixel and let colour channels die (stuck at 0 or 1).
        return out if self.training else out.clamp(0.0, 1.0)


def save(decoder: AdaINDecoder, path: str | os.PathLike, *, encoder: str, fingerprint: str,
         info: dict[str, Any] | None = None, dtype: torch.dtype = torch.float16) -> Path:
    """Write ``decoder`` as safetensors (``dtype`` weights) atomically, with its config in the metadata."""
    from .. import checkpoints

    return checkpoints.write(path, decoder, fmt=FORMAT, config=decoder.config, info=info, dtype=dtype,
                             metadata={"encoder": encoder, "encoder_fingerprint": fingerprint})


@dataclass
class DecoderCheckpoint:
    decoder: AdaINDecoder
    encoder: str
    fingerprint: str
    info: dict[str, Any] = field(default_factory=dict)


def load(path: str | os.PathLike) -> DecoderCheckpoint:
    """Read a decoder checkpoint written by :func:`save`; every failure is a :class:`WeightsError`."""
    from .. import checkpoints

    path = Path(path)
    if not path.is_file():
        raise WeightsError(f"decoder weights '{path}' do not exist; train one with `spokenstyle train adain` or pass another file")
    ckpt = checkpoints.read(
        path,
        fmt=FORMAT,
        schema=CONFIG_SCHEMA,
        expected_shapes=expected_shapes,
        what="decoder weights",
        kind="AdaIN decoder",
        check=_check_config,
    )
    metadata = ckpt.metadata
    info = ckpt.info(path, what="decoder weights")
    decoder = AdaINDecoder(DecoderConfig(**ckpt.config))  # as large as the file's tensors, no larger
    decoder.load_state_dict({k: v.float() for k, v in ckpt.tensors.items()})
    return DecoderCheckpoint(decoder.eval(), metadata.get("encoder", ""), metadata.get("encoder_fingerprint", ""), info)


WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"


def shipped_path(encoder: str) -> Path:
    """Where the package keeps the decoder it trained for ``encoder``."""
    return WEIGHTS_DIR / f"adain_decoder_{encoder}.safetensors"


def pretrained(encoder: str = DEFAULT_ENCODER, weights: str | os.PathLike | None = None) -> AdaINDecoder:
    """The decoder for ``encoder``: ``weights`` if given, else the one shipped in the package.

    The returned module carries ``encoder_name``, ``encoder_fingerprint`` and ``info`` from
    its checkpoint, so a backend can refuse to pair it with the wrong encoder.
    """
    if weights is None:
        path = shipped_path(encoder)
        if not path.is_file():
            raise WeightsError(
                f"spokenstyle ships no AdaIN decoder for the '{encoder}' encoder; train one with "
                f"`spokenstyle train adain --encoder {encoder} --out decoder.safetensors` and pass decoder=PATH"
            )
    else:
        path = Path(weights).expanduser()
    ckpt = load(path)
    if ckpt.encoder and ckpt.encoder != encoder:
        raise WeightsError(
            f"decoder weights '{path}' were trained for the '{ckpt.encoder}' encoder, not '{encoder}'; "
            f"use encoder='{ckpt.encoder}' or a decoder trained for '{encoder}'"
        )
    decoder = ckpt.decoder
    decoder.encoder_name = ckpt.encoder
    decoder.encoder_fingerprint = ckpt.fingerprint
    decoder.info = ckpt.info
    decoder.weights_path = str(path)
    return decoder
