"""The ``transform`` generator: one feed-forward pass from a photo and the words to the
stylized photo, for every built-in medium.

Johnson et al.'s image transformation network (encoder, residual blocks, decoder), conditioned
on the words the way StyleGAN2 conditions on a style: every convolution after the stem is a
modulated, demodulated convolution (:class:`~spokenstyle.nn.ModulatedConv2d`) whose per-input
scales and per-output shifts come from a mapping network:

    conditioning c (from the intent) --mapping (EqualLinear + lrelu) x L--> w
    w --one EqualLinear--> (scale, shift) for every modulated convolution

Format 1 of this network normalised with a modulated instance norm (Dumoulin et al.'s
conditional instance norm); trained adversarially it drew StyleGAN's "droplets", white blobs
the network plants to steer the per-image statistics. Demodulation normalises from the weights,
not the activations, and the blobs have nothing to steer.

``c`` is read from the intent's embedding (:func:`conditioning`): the look attributes, the
medium one-hot over the media the network was trained on, and the strength. The network
draws a residual over the photo (``out = photo + to_rgb(h)``), so "strength 0" is learned as
"draw nothing" and the photo's detail survives.

Layout (``widths`` = (w0, ..., wk): k stride-2 stages, ``blocks`` residual blocks at 1/2^k)::

    stem      3x3 conv 3 -> w0, lrelu                 (full resolution, unmodulated: cheap)
    down i    modulated 3x3 stride-2 conv w(i) -> w(i+1), lrelu
    blocks    (modulated 3x3 conv, lrelu, modulated 3x3 conv) + skip, times 1/sqrt(2)
    up i      modulated 3x3 conv w(i) -> w(i-1), lrelu, bilinear 2x
              (+ the encoder's features of that resolution, times 1/sqrt(2); skips="add")
    refine    modulated 3x3 conv w0 -> w0, lrelu     (full resolution; skips="add")
    to_rgb    3x3 conv w0 -> 3, added to the photo

Without the skips (the first format-2 layout, ``skips="none"``) the decoder's full-resolution
features are an upsampled half-resolution map, so the residual is smooth and the photo's
finest detail always shows through: a run distilling ``adain`` (which repaints it) stalled
with whiskers and grain intact. The skips and ``refine`` let the last layers see that detail
and, modulated by the words, keep or repaint it.

The decoder convolves *before* it upsamples: every 3x3 convolution but the first and the last
runs at half the resolution or less, which is what brings a 512² photo within the latency
budget (0.3 s on two CPU cores; measured in benchmarks/RESULTS.md). Bilinear upsampling of a
convolution's output is a smooth 2x-upsampled convolution, so there is no checkerboard; fine
detail comes from the photo itself (the network draws a residual over it) and the full
resolution ``to_rgb``. Inputs are padded to a multiple of 2^k and cropped back. Every
convolution pads by reflection: with zero padding the first generator found the crops' borders
and painted saturated bars along them, which the style loss rewarded.

Checkpoints: safetensors with the JSON config in the metadata, validated field by field and
against the tensors' shapes before anything is allocated (:mod:`spokenstyle.checkpoints`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from ..errors import UsageError, WeightsError
from ..core.intent import ATTRIBUTES, EMBEDDING_DIM, MEDIA
from .layers import EqualConv2d, EqualLinear, ModulatedConv2d

__all__ = [
    "FORMAT",
    "TransformConfig",
    "TransformNet",
    "conditioning_indices",
    "embedding_of",
    "expected_shapes",
    "load",
    "pretrained",
    "save",
]

FORMAT = "spokenstyle.transform/2"
DEFAULT_WIDTHS = (16, 32, 64, 64)
#: Positions in the intent embedding (layout version 1, spokenstyle.core.intent).
_MEDIUM_BASE = len(ATTRIBUTES)
_STRENGTH_AT = len(ATTRIBUTES) + len(MEDIA) + 1 + 1
#: A residual block's sum is scaled back to unit variance (StyleGAN2's residual networks).
_RESIDUAL_GAIN = 1.0 / math.sqrt(2.0)
#: Where the package looks for trained weights when none are given.
WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "weights"
SHIPPED = WEIGHTS_DIR / "transform.safetensors"
WEIGHTS_ENV = "SPOKENSTYLE_TRANSFORM_WEIGHTS"
TRAIN_HINT = ("train one with `spokenstyle train transform --data PHOTOS --out runs/transform` "
              "(docs/training.md) and pass -O weights=runs/transform/transform.safetensors")


def _config_schema() -> dict:
    from ..checkpoints import Int, IntTuple, Str

    return {
        "widths": IntTuple(1, 512, 2, 6, default=DEFAULT_WIDTHS),
        "blocks": Int(0, 16, default=4),
        "mapping_layers": Int(1, 8, default=3),
        "w_dim": Int(1, 1024, default=128),
        # The media the network renders, comma-separated, in the order of its one-hot.
        "media": Str(r"[a-z0-9_]{1,40}(,[a-z0-9_]{1,40}){0,63}", default=",".join(MEDIA)),
        # Files written before the skips existed have none.
        "skips": Str("none|add", default="none"),
    }


CONFIG_SCHEMA = _config_schema()


@dataclass
class TransformConfig:
    """Architecture of a :class:`TransformNet`; stored in every checkpoint."""

    #: Channels at full resolution, then after each stride-2 stage.
    widths: tuple[int, ...] = DEFAULT_WIDTHS
    blocks: int = 4
    mapping_layers: int = 3
    w_dim: int = 128
    media: str = ",".join(MEDIA)
    #: "add": each resolution's encoder features are added to the decoder's (scaled by 1/√2)
    #: and a modulated full-resolution convolution follows, so the output's finest detail can
    #: be repainted, not only shifted (distilling adain needs it). "none": format 2's first
    #: layout, where the decoder's full-resolution features are only upsampled.
    skips: str = "add"

    def __post_init__(self) -> None:
        from ..checkpoints import validate_fields

        if isinstance(self.media, (list, tuple)):
            self.media = ",".join(self.media)
        validate_fields(self, CONFIG_SCHEMA, _check_config, what="transform config")

    @property
    def media_list(self) -> tuple[str, ...]:
        return tuple(self.media.split(","))

    @property
    def cond_dim(self) -> int:
        return len(ATTRIBUTES) + len(self.media_list) + 1

    @property
    def multiple(self) -> int:
        """Input sides are padded to a multiple of this (2 ** stride-2 stages)."""
        return 2 ** (len(self.widths) - 1)

    def modulated_channels(self) -> list[tuple[int, int]]:
        """(in, out) channels of every modulated convolution, in forward order."""
        w = list(self.widths)
        return (list(zip(w, w[1:])) + [(w[-1], w[-1])] * (2 * self.blocks) + list(zip(w[:0:-1], w[-2::-1]))
                + ([(w[0], w[0])] if self.skips == "add" else []))


def _check_config(config: dict) -> None:
    media = config["media"].split(",")
    if len(set(media)) != len(media):
        raise ValueError(f"media {config['media']!r} lists a medium twice")


def conditioning_indices(media: Sequence[str]) -> list[int]:
    """Positions in the intent embedding of the conditioning vector for a network trained on
    ``media``: the attributes, each medium's one-hot slot, the strength. A medium the intent
    layout does not know reads the embedding's "another medium" slot."""
    idx = list(range(len(ATTRIBUTES)))
    for m in media:
        idx.append(_MEDIUM_BASE + (MEDIA.index(m) if m in MEDIA else len(MEDIA)))
    idx.append(_STRENGTH_AT)
    return idx


def embedding_of(intents: Sequence[Any], device: Any = "cpu") -> torch.Tensor:
    """(N, EMBEDDING_DIM) float tensor of the intents' embeddings (the generator's input)."""
    return torch.tensor([list(i.embedding) for i in intents], dtype=torch.float32, device=device)


class TransformNet(nn.Module):
    """``net(content, embedding)``: (N, 3, H, W) sRGB in [0, 1] and (N, EMBEDDING_DIM) intent
    embeddings -> (N, 3, H, W). Clamped to [0, 1] in eval mode (in training the trainer clamps
    straight-through, so out-of-range pixels keep a gradient)."""

    def __init__(self, config: TransformConfig | None = None) -> None:
        super().__init__()
        self.config = cfg = config or TransformConfig()
        w = cfg.widths
        self.register_buffer("cond_index", torch.tensor(conditioning_indices(cfg.media_list)), persistent=False)
        dims = [cfg.cond_dim] + [cfg.w_dim] * cfg.mapping_layers
        self.mapping = nn.Sequential(*(EqualLinear(a, b, activation="lrelu") for a, b in zip(dims, dims[1:])))
        self.modulated_channels = cfg.modulated_channels()
        # One GEMM for every layer's (scale, shift); zero weights: every style starts the same.
        self.affine = EqualLinear(cfg.w_dim, sum(a + b for a, b in self.modulated_channels))
        nn.init.zeros_(self.affine.weight)
        pm = "reflect"  # no zero border for the network to find and paint bars along
        self.stem = EqualConv2d(3, w[0], 3, activation="lrelu", padding_mode=pm)
        self.down = nn.ModuleList(ModulatedConv2d(a, b, 3, stride=2, padding_mode=pm) for a, b in zip(w, w[1:]))
        self.blocks = nn.ModuleList(
            nn.ModuleList([ModulatedConv2d(w[-1], w[-1], 3, padding_mode=pm),
                           ModulatedConv2d(w[-1], w[-1], 3, activation="linear", padding_mode=pm)])
            for _ in range(cfg.blocks)
        )
        self.up = nn.ModuleList(ModulatedConv2d(a, b, 3, padding_mode=pm) for a, b in zip(w[:0:-1], w[-2::-1]))
        self.refine = ModulatedConv2d(w[0], w[0], 3, padding_mode=pm) if cfg.skips == "add" else None
        self.to_rgb = EqualConv2d(w[0], 3, 3, padding_mode=pm)
        with torch.no_grad():  # start near the identity: a small residual over the photo
            self.to_rgb.weight.mul_(0.1)

    @property
    def media(self) -> tuple[str, ...]:
        return self.config.media_list

    def conditioning(self, embedding: torch.Tensor) -> torch.Tensor:
        """(N, cond_dim): the attributes, the one-hot of this network's media, the strength."""
        if embedding.dim() != 2 or embedding.shape[1] != EMBEDDING_DIM:
            raise UsageError(
                f"embedding must be (N, {EMBEDDING_DIM}) intent embeddings (spokenstyle.nn.transform.embedding_of), "
                f"got shape {tuple(embedding.shape)}"
            )
        return embedding.index_select(1, self.cond_index.to(embedding.device))

    def styles(self, embedding: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(scale (N, in), shift (N, out)) per modulated convolution, from intent embeddings."""
        params = self.affine(self.mapping(self.conditioning(embedding)))
        out, start = [], 0
        for cin, cout in self.modulated_channels:
            out.append((1.0 + params[:, start : start + cin], params[:, start + cin : start + cin + cout]))
            start += cin + cout
        return out

    def forward(self, content: torch.Tensor, embedding: torch.Tensor) -> torch.Tensor:
        if content.dim() != 4 or content.shape[1] != 3:
            raise UsageError(f"content must be (N, 3, H, W) RGB in [0, 1], got shape {tuple(content.shape)}")
        if embedding.dim() != 2:
            self.conditioning(embedding)  # raises, naming the expected shape
        if embedding.shape[0] not in (1, content.shape[0]):
            raise UsageError(
                f"embedding has {embedding.shape[0]} rows for {content.shape[0]} images; give one per image or one for all"
            )
        if embedding.shape[0] != content.shape[0]:
            embedding = embedding.expand(content.shape[0], -1)
        h0, w0 = content.shape[-2:]
        m = self.config.multiple
        ph, pw = (-h0) % m, (-w0) % m
        x = F.pad(content, (0, pw, 0, ph), mode="replicate") if ph or pw else content
        styles = iter(self.styles(embedding.to(content.dtype)))
        h = self.stem(x * 2.0 - 1.0)
        skips = []
        for conv in self.down:
            skips.append(h)
            h = conv(h, *next(styles))
        for conv_a, conv_b in self.blocks:
            r = conv_a(h, *next(styles))
            h = (h + conv_b(r, *next(styles))) * _RESIDUAL_GAIN
        for conv in self.up:
            h = F.interpolate(conv(h, *next(styles)), scale_factor=2.0, mode="bilinear", align_corners=False)
            if self.refine is not None:
                h = (h + skips.pop()) * _RESIDUAL_GAIN
        if self.refine is not None:
            h = self.refine(h, *next(styles))
        out = x + self.to_rgb(h)
        out = out[..., :h0, :w0] if ph or pw else out
        return out if self.training else out.clamp(0.0, 1.0)

    def extra_repr(self) -> str:
        c = self.config
        return (f"widths={c.widths}, blocks={c.blocks}, mapping_layers={c.mapping_layers}, w_dim={c.w_dim}, "
                f"media={len(self.media)}, skips={c.skips}")


def expected_shapes(config: TransformConfig | dict) -> dict[str, tuple[int, ...]]:
    """Every parameter's shape for ``config``, computed without building the network (so a
    checkpoint can be checked before anything is allocated); a test keeps it in step."""
    cfg = config if isinstance(config, TransformConfig) else TransformConfig(**config)
    w = cfg.widths
    shapes: dict[str, tuple[int, ...]] = {}
    dims = [cfg.cond_dim] + [cfg.w_dim] * cfg.mapping_layers
    for i, (a, b) in enumerate(zip(dims, dims[1:])):
        shapes[f"mapping.{i}.weight"] = (b, a)
        shapes[f"mapping.{i}.bias"] = (b,)
    total = sum(a + b for a, b in cfg.modulated_channels())
    shapes["affine.weight"] = (total, cfg.w_dim)
    shapes["affine.bias"] = (total,)
    shapes["stem.weight"] = (w[0], 3, 3, 3)
    shapes["stem.bias"] = (w[0],)
    for i, (a, b) in enumerate(zip(w, w[1:])):
        shapes[f"down.{i}.weight"] = (b, a, 3, 3)
    for b in range(cfg.blocks):
        shapes[f"blocks.{b}.0.weight"] = (w[-1], w[-1], 3, 3)
        shapes[f"blocks.{b}.1.weight"] = (w[-1], w[-1], 3, 3)
    for i, (a, b) in enumerate(zip(w[:0:-1], w[-2::-1])):
        shapes[f"up.{i}.weight"] = (b, a, 3, 3)
    if cfg.skips == "add":
        shapes["refine.weight"] = (w[0], w[0], 3, 3)
    shapes["to_rgb.weight"] = (3, w[0], 3, 3)
    shapes["to_rgb.bias"] = (3,)
    return shapes


def save(net: TransformNet, path: str | os.PathLike, *, info: dict[str, Any] | None = None,
         dtype: torch.dtype = torch.float32) -> Path:
    """Write ``net`` as safetensors atomically, with its config (and ``info``) in the metadata."""
    from .. import checkpoints

    return checkpoints.write(path, net, fmt=FORMAT, config=net.config, info=info, dtype=dtype)


@dataclass
class TransformCheckpoint:
    net: TransformNet
    info: dict[str, Any] = field(default_factory=dict)


def load(path: str | os.PathLike) -> TransformCheckpoint:
    """Read weights written by :func:`save`; every failure is a :class:`WeightsError`."""
    from .. import checkpoints

    path = Path(path).expanduser()
    if not path.is_file():
        raise WeightsError(f"transform weights '{path}' do not exist; {TRAIN_HINT}")
    ckpt = checkpoints.read(path, fmt=FORMAT, schema=CONFIG_SCHEMA, expected_shapes=expected_shapes,
                            what="transform weights", kind="transform generator", check=_check_config)
    info = ckpt.info(path, what="transform weights")
    net = TransformNet(TransformConfig(**ckpt.config))
    net.load_state_dict({k: v.float() for k, v in ckpt.tensors.items()})
    return TransformCheckpoint(net.eval(), info)


def default_weights() -> Path | None:
    """The weights used when none are given: ``$SPOKENSTYLE_TRANSFORM_WEIGHTS``, else the file
    the package ships (spokenstyle/weights/transform.safetensors); None when neither exists."""
    env = os.environ.get(WEIGHTS_ENV, "").strip()
    if env:
        p = Path(env).expanduser()
        return p if p.is_file() else None
    return SHIPPED if SHIPPED.is_file() else None


def pretrained(weights: str | os.PathLike | None = None) -> TransformNet:
    """The trained generator: ``weights`` if given, else :func:`default_weights`. Registered as
    the built-in generator ``transform``. The module carries ``info`` and ``weights_path``."""
    if weights is None:
        path = default_weights()
        if path is None:
            env = os.environ.get(WEIGHTS_ENV, "").strip()
            where = (f"${WEIGHTS_ENV}='{env}' is not a file" if env
                     else f"the weights the package ships ({SHIPPED}) are missing from this installation")
            raise WeightsError(f"no transform weights: {where}; {TRAIN_HINT}")
    else:
        path = Path(weights).expanduser()
    ckpt = load(path)
    net = ckpt.net
    net.info = ckpt.info
    net.weights_path = str(path)
    return net


def parameter_count(net: nn.Module) -> int:
    return sum(p.numel() for p in net.parameters())


def conv_macs(config: TransformConfig, height: int, width: int) -> int:
    """Multiply-accumulates of the convolutions for one (height, width) image (for reports)."""
    w = config.widths
    px = [math.ceil(height / 2**i) * math.ceil(width / 2**i) for i in range(len(w))]
    macs = px[0] * 3 * w[0] * 9 + px[0] * w[0] * 3 * 9
    macs += sum(px[i + 1] * w[i] * w[i + 1] * 9 for i in range(len(w) - 1))  # down
    macs += config.blocks * 2 * px[-1] * w[-1] * w[-1] * 9
    macs += sum(px[i + 1] * w[i + 1] * w[i] * 9 for i in range(len(w) - 1))  # up, before upsampling
    if config.skips == "add":
        macs += px[0] * w[0] * w[0] * 9  # refine
    return macs
