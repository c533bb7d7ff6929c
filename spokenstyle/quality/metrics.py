"""Quality figures for stylized images: content distance, style distance, SSIM of lightness.

They answer "did the picture keep the photo?" and "does it carry the style?" with numbers a user
can compare between settings or backends (``spokenstyle eval`` prints them; see docs/eval.md):

``content_distance(photo, output, encoder)``
    mean squared difference of the encoder's features at relu4_1 and relu4_2 (the taps of those
    the encoder offers), per feature, so the figure does not grow with the image size; and the
    same relative to a blank canvas of the photo's mean colour (0 = same features, 1 = as far
    from the photo as a blank canvas).
``style_distance(style, output, encoder)``
    per layer relu1_1 ... relu5_1, the Gram-matrix distance (``ops.style_loss`` against
    ``ops.gram`` of the style) and the distance of per-channel means and standard deviations
    (``ops.calc_mean_std``), each relative to the style's own (0 = same statistics, 1 = as far
    as an image without features); and their average over the layers.
``ssim_lightness(photo, output)``
    the structural similarity (Wang et al. 2004) of the Oklab lightness: 1 = same structure.

The first argument is the reference; relative figures are normalised by it. Images are
(3, H, W) or (N, 3, H, W) sRGB tensors in [0, 1] (a batch gives one figure for the batch).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import torch
import torch.nn.functional as F

from ..errors import UsageError

#: Taps for the content distance (those the encoder has are used).
CONTENT_LAYERS: tuple[str, ...] = ("relu4_1", "relu4_2")
#: Taps for the style distance: the first ReLU of each block (Gatys et al.; Huang & Belongie).
STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: SSIM's uniform window (scikit-image's default ``win_size``) and constants for data in [0, 1].
SSIM_WINDOW = 7
_C1, _C2 = 0.01**2, 0.03**2

__all__ = [
    "CONTENT_LAYERS",
    "ContentDistance",
    "STYLE_LAYERS",
    "StyleDistance",
    "content_distance",
    "content_layers",
    "features",
    "grid_edges",
    "grid_share",
    "lattice",
    "ssim",
    "ssim_lightness",
    "style_distance",
    "style_layers",
]


@dataclass(frozen=True)
class ContentDistance:
    """Feature distance between a photo and an output; ``layers`` holds the per-layer figures."""

    distance: float  #: mean over layers of the per-feature mean squared difference
    relative: float  #: mean over layers of distance / (photo vs a blank canvas of its mean colour)
    layers: dict[str, float] = field(default_factory=dict)
    relative_layers: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "distance": _finite(self.distance),
            "relative": _finite(self.relative),
            "layers": {k: {"distance": _finite(v), "relative": _finite(self.relative_layers[k])} for k, v in self.layers.items()},
        }


@dataclass(frozen=True)
class StyleDistance:
    """Style-statistics distance between a style image and an output, per layer and averaged."""

    gram: float  #: mean over layers of the relative Gram-matrix distance
    mean_std: float  #: mean over layers of the relative mean/std distance
    gram_layers: dict[str, float] = field(default_factory=dict)
    mean_std_layers: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "gram": _finite(self.gram),
            "mean_std": _finite(self.mean_std),
            "layers": {k: {"gram": _finite(v), "mean_std": _finite(self.mean_std_layers[k])} for k, v in self.gram_layers.items()},
        }


def _finite(v: float) -> float | None:
    """JSON has no NaN: an undefined figure (e.g. relative to a blank photo) is null."""
    return v if math.isfinite(v) else None


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


# ----------------------------------------------------------------------------- inputs
def _image(x, what: str) -> torch.Tensor:
    """(N, 3, H, W) float32 in [0, 1] from a tensor, a PIL image or a path."""
    if not isinstance(x, torch.Tensor):
        from ..image import imageio

        x = imageio.load(x)[0].pixels
    if x.dim() == 3:
        x = x.unsqueeze(0)
    if x.dim() != 4 or x.shape[1] != 3:
        raise UsageError(f"{what} must be an RGB image, (3, H, W) or (N, 3, H, W), got shape {tuple(x.shape)}")
    if not x.is_floating_point():
        raise UsageError(f"{what} has dtype {x.dtype}; pass floats in [0, 1]")
    return x.float()


def content_layers(encoder) -> tuple[str, ...]:
    """The taps of :data:`CONTENT_LAYERS` that ``encoder`` offers (an error if none)."""
    found = tuple(l for l in CONTENT_LAYERS if l in encoder.layers)
    if not found:
        raise UsageError(
            f"the '{encoder.name}' encoder has none of the content layers {', '.join(CONTENT_LAYERS)}; "
            "use a VGG-shaped encoder such as vgg19 or random"
        )
    return found


def style_layers(encoder) -> tuple[str, ...]:
    """:data:`STYLE_LAYERS`; an error naming the missing ones if the encoder lacks any."""
    missing = [l for l in STYLE_LAYERS if l not in encoder.layers]
    if missing:
        raise UsageError(
            f"the '{encoder.name}' encoder has no {', '.join(missing)}; the style distance needs "
            f"{', '.join(STYLE_LAYERS)}: use a VGG-shaped encoder such as vgg19 or random"
        )
    return STYLE_LAYERS


def features(x: torch.Tensor, encoder, layers: Sequence[str]) -> dict[str, torch.Tensor]:
    """``encoder``'s float32 activations of ``x`` at ``layers``, without autograd."""
    device = next(encoder.parameters()).device
    with torch.inference_mode():
        return {k: v.float() for k, v in encoder(x.to(device), layers).items()}


# ----------------------------------------------------------------------------- content
def _mse(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).square().mean())


def content_from_features(photo: dict, output: dict, blank: dict) -> ContentDistance:
    """:func:`content_distance` from features already computed (``blank``: a flat canvas's)."""
    layers, relative = {}, {}
    for name, f in photo.items():
        if output[name].shape != f.shape:
            raise UsageError(
                f"content distance needs images of one size; at {name} the photo's features are "
                f"{tuple(f.shape)} and the output's {tuple(output[name].shape)}: resize the output to the photo's size"
            )
        layers[name] = _mse(output[name], f)
        baseline = _mse(blank[name], f)
        relative[name] = layers[name] / baseline if baseline > 0 else float("nan")
    return ContentDistance(_mean(layers.values()), _mean(relative.values()), layers, relative)


def blank_like(photo: torch.Tensor) -> torch.Tensor:
    """A flat canvas of ``photo``'s mean colour: the "nothing of the photo is left" baseline."""
    return photo.mean(dim=(2, 3), keepdim=True).expand_as(photo).contiguous()


def content_distance(photo, output, encoder) -> ContentDistance:
    """How far ``output``'s content features are from ``photo``'s (both the same size).

    Per layer of :func:`content_layers`: the mean over all C·H·W features of the squared
    difference, and that divided by the same figure for a blank canvas of the photo's mean
    colour (so 0 = the photo's content, 1 = none of it; above 1 is possible).
    """
    photo, output = _image(photo, "photo"), _image(output, "output")
    if photo.shape != output.shape:
        raise UsageError(
            f"content distance needs images of one size: photo {tuple(photo.shape)}, output {tuple(output.shape)}; "
            "resize the output to the photo's size (spokenstyle.quality.evaluation.evaluate does)"
        )
    layers = content_layers(encoder)
    return content_from_features(features(photo, encoder, layers), features(output, encoder, layers),
                                 features(blank_like(photo), encoder, layers))


# ----------------------------------------------------------------------------- style
def style_from_features(style: dict, output: dict) -> StyleDistance:
    """:func:`style_distance` from features already computed."""
    from .. import ops

    gram_layers, stat_layers = {}, {}
    for name, s in style.items():
        o = output[name]
        with torch.inference_mode():
            target = ops.gram(s)
            # Both Gram matrices are normalised by C·H·W, so images of different sizes compare.
            loss = float(ops.style_loss(o, target))  # a (1, C, C) target is compared with each output
            gram_layers[name] = loss / max(float(target.square().mean()), 1e-30)
            s_mean, s_std = ops.calc_mean_std(s)
            o_mean, o_std = ops.calc_mean_std(o)
        dist = _mse(o_mean, s_mean) + _mse(o_std, s_std)
        scale = float(s_mean.square().mean() + s_std.square().mean())
        stat_layers[name] = dist / max(scale, 1e-30)
    return StyleDistance(_mean(gram_layers.values()), _mean(stat_layers.values()), gram_layers, stat_layers)


def style_distance(style, output, encoder) -> StyleDistance:
    """How far ``output``'s style statistics are from ``style``'s (any sizes).

    Per layer of :func:`style_layers`: ``style_loss(out, gram(style)) / mean(gram(style)²)``
    (the relative squared error of the normalised Gram matrix) and
    ``(|μ_out − μ_style|² + |σ_out − σ_style|²) / (|μ_style|² + |σ_style|²)`` of the per-channel
    means and standard deviations (means over channels); then each averaged over the layers.
    A style of one image is compared with every image of an output batch.
    """
    style, output = _image(style, "style"), _image(output, "output")
    if style.shape[0] not in (1, output.shape[0]):
        raise UsageError(f"style has {style.shape[0]} images and output {output.shape[0]}; pass one style or one per output")
    layers = style_layers(encoder)
    return style_from_features(features(style, encoder, layers), features(output, encoder, layers))


# ----------------------------------------------------------------------------- SSIM
def ssim(a: torch.Tensor, b: torch.Tensor, window: int = SSIM_WINDOW) -> float:
    """Mean structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) of two images in [0, 1].

    (N, 1, H, W) images are compared as they are; (N, 3, H, W) sRGB on their Oklab lightness.
    As scikit-image's ``structural_similarity(a, b, data_range=1)`` by default: a uniform
    ``window``×``window`` window, sample (co)variances, K1 = 0.01, K2 = 0.03, and the mean over
    the positions where the window fits (no padding). 1 = same structure; lower is less alike.
    """
    if not isinstance(window, int) or isinstance(window, bool) or window < 3 or window % 2 == 0:
        raise UsageError(f"window={window!r} must be an odd integer >= 3 (default {SSIM_WINDOW})")
    planes = []
    for name, t in (("a", a), ("b", b)):
        if not isinstance(t, torch.Tensor) or t.dim() not in (3, 4) or t.shape[-3] not in (1, 3):
            shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise UsageError(f"ssim: {name} must be a (N, 1 or 3, H, W) tensor, got {shape}")
        t = t.unsqueeze(0) if t.dim() == 3 else t
        if t.shape[1] == 3:
            from ..image.color import luminance

            t = luminance(t.float())
        planes.append(t.double())
    x, y = planes
    if x.shape != y.shape:
        raise UsageError(f"ssim needs images of one size, got {tuple(x.shape)} and {tuple(y.shape)}; resize one to the other")
    if min(x.shape[-2:]) < window:
        raise UsageError(f"ssim needs images of at least {window}x{window} pixels, got {x.shape[-1]}x{x.shape[-2]}")
    pool = lambda t: F.avg_pool2d(t, window, 1)  # noqa: E731 - valid windows only
    n = window * window
    cov_norm = n / (n - 1)  # sample covariance, as scikit-image
    mx, my = pool(x), pool(y)
    vx = cov_norm * (pool(x * x) - mx * mx)
    vy = cov_norm * (pool(y * y) - my * my)
    cxy = cov_norm * (pool(x * y) - mx * my)
    s = ((2 * mx * my + _C1) * (2 * cxy + _C2)) / ((mx * mx + my * my + _C1) * (vx + vy + _C2))
    return float(s.mean())


def ssim_lightness(photo, output, window: int = SSIM_WINDOW) -> float:
    """SSIM of the Oklab lightness of two sRGB images of one size: does the output keep the
    photo's structure (edges, shading), whatever its colours?"""
    return ssim(_image(photo, "photo"), _image(output, "output"), window)


# ----------------------------------------------------------------------------- lattice
#: The period of the lattice a relu4_1 decoder can draw: VGG's three 2x poolings.
LATTICE_PERIOD = 8


def grid_share(planes: torch.Tensor, period: int = LATTICE_PERIOD) -> torch.Tensor:
    """The share of each image's fine detail that repeats on a ``period``-pixel grid: (N,),
    differentiable (a training loss, :mod:`spokenstyle.train.adain`, and :func:`lattice`).

    ``planes`` (N, C, H, W), H and W at least ``period``. The detail is each plane minus its
    ``period``-pixel box blur; its mean over all grid cells, phase by phase, is the mark every
    cell shares, and the figure is that pattern's variance relative to the detail's whole
    variance: about 1/cells without a grid, 1 for a pure period-``period`` pattern. It is
    scale-invariant, so a loss on it cannot be lowered by blurring the image.
    """
    lo, hi = period // 2, (period - 1) // 2
    detail = planes - F.avg_pool2d(F.pad(planes, (lo, hi, lo, hi), mode="replicate"), period, 1)
    h, w = (s // period * period for s in detail.shape[-2:])
    detail = detail[..., :h, :w]
    n, c = detail.shape[:2]
    pattern = detail.reshape(n, c, h // period, period, w // period, period).mean(dim=(2, 4))
    pattern = pattern - pattern.mean(dim=(-2, -1), keepdim=True)
    total = (detail - detail.mean(dim=(-2, -1), keepdim=True)).square().mean(dim=(1, 2, 3))
    return pattern.square().mean(dim=(1, 2, 3)) / total.clamp_min(torch.finfo(detail.dtype).tiny)


def grid_edges(planes: torch.Tensor, period: int = LATTICE_PERIOD) -> torch.Tensor:
    """How much each image's edges gather on the lines of a ``period``-pixel grid: (N,),
    differentiable. Per axis, the mean absolute difference between neighbouring pixels is taken
    for each of the ``period`` positions within a cell, and the figure is the sum over both axes
    of those means' coefficient of variation: 0.02 for the held-out coffee photo, 0.23 for the
    8-px block pattern an undertrained relu4_1 decoder painted over it. It sees the cell
    boundaries of marks that differ from cell to cell, which :func:`grid_share` averages away.
    Scale-invariant like it; the differences are taken after a 2x2 box blur, so a loss on the
    figure is not lowered by adding fine ripples everywhere either (measured: without the blur,
    a decoder trained on it covered its outputs in 2-px stripes).
    """
    planes = F.avg_pool2d(planes, 2, 1)  # 2x2 box: 2-px ripples cannot even the profile out
    dx = (planes[..., 1:] - planes[..., :-1]).abs()
    dy = (planes[..., 1:, :] - planes[..., :-1, :]).abs()
    w, h = dx.shape[-1] // period * period, dy.shape[-2] // period * period
    ex = dx[..., :w].reshape(*dx.shape[:-1], w // period, period).mean(dim=(1, 2, 3))
    ey = dy[..., :h, :].reshape(*dy.shape[:-2], h // period, period, dy.shape[-1]).mean(dim=(1, 2, 4))
    tiny = torch.finfo(planes.dtype).tiny
    return ex.std(dim=1) / ex.mean(dim=1).clamp_min(tiny) + ey.std(dim=1) / ey.mean(dim=1).clamp_min(tiny)


def lattice(x, period: int = LATTICE_PERIOD) -> float:
    """The share of an image's fine detail that repeats on a ``period``-pixel grid, in [0, 1].

    A feed-forward decoder that paints one mark per feature cell leaves a pattern locked to the
    encoder's grid (every 8th pixel for relu4_1); photos and paintings have none. The figure is
    :func:`grid_share` of the Oklab lightness (the mean over a batch):
    about 1/cells for an image without a grid (0.0002-0.0006 for the held-out 512×341 photos);
    1 for a pure period-``period`` pattern.
    """
    if not isinstance(period, int) or isinstance(period, bool) or period < 2:
        raise UsageError(f"period={period!r} must be an integer of at least 2 (default {LATTICE_PERIOD})")
    x = _image(x, "image")
    if min(x.shape[-2:]) < 4 * period:
        raise UsageError(f"lattice needs images of at least {4 * period}x{4 * period} pixels, got {x.shape[-1]}x{x.shape[-2]}")
    from ..image.color import luminance

    return float(grid_share(luminance(x).double(), period).mean())
