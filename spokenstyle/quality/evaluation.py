"""Evaluating content/style/output triples: matching files, sizing them, and the figures per triple.

``evaluate(content, style, output)`` takes three image files, or three folders matched by file
name stem (the style may be one file used for every output), and returns an :class:`Evaluation`
with the figures of :mod:`spokenstyle.quality.metrics` per triple and their mean. ``spokenstyle eval``
is a thin layer over it.

Sizes: the content photo is resized so its long side is ``size`` (so figures from photos of
different resolutions compare); the output is resized to the photo's grid for the content
distance and SSIM, and to the same long side, at its own aspect, for the style distance; the
style image is only shrunk (never enlarged, which would invent texture).
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..encoders import BUILTIN as BUILTIN_ENCODERS, DEFAULT as DEFAULT_ENCODER
from ..errors import UsageError
from . import DEFAULT_SIZE  # noqa: F401 (the default long side; spokenstyle.quality.evaluation.DEFAULT_SIZE)

#: The smallest --size: relu5_1 has a stride of 16 and SSIM a 7-pixel window.
MIN_SIZE = 32
#: The smallest side any image may have after sizing (relu5_1 must keep one position).
MIN_SIDE = 16
#: Outputs whose aspect ratio differs from the photo's by more than this are stretched with a warning.
ASPECT_TOLERANCE = 0.02


@dataclass(frozen=True)
class Triple:
    """One content photo, its style image and the output to judge (paths, or images in memory)."""

    content: Any
    style: Any
    output: Any

    def names(self) -> tuple[str, str, str]:
        return tuple(_name(x) for x in (self.content, self.style, self.output))  # type: ignore[return-value]


@dataclass(frozen=True)
class Figures:
    """The figures for one triple (or their mean over triples)."""

    content: "ContentDistance"  # noqa: F821 - spokenstyle.quality.metrics, imported lazily
    style: "StyleDistance"  # noqa: F821
    ssim_lightness: float
    #: The output's 8-px grid (``metrics.lattice``, at its own resolution): ~0 for photos.
    lattice: float = float("nan")

    def to_dict(self) -> dict:
        from .metrics import _finite  # JSON has no NaN: an undefined figure is null

        return {"content": self.content.to_dict(), "style": self.style.to_dict(),
                "ssim_lightness": _finite(self.ssim_lightness), "lattice": _finite(self.lattice)}

    @classmethod
    def mean(cls, rows: Sequence["Figures"]) -> "Figures":
        """The field-by-field mean of ``rows`` (undefined figures are left out of the mean)."""
        from .metrics import ContentDistance, StyleDistance

        def avg(values):
            values = [v for v in values if v == v]  # NaN (undefined) is skipped
            return sum(values) / len(values) if values else float("nan")

        def avg_dict(dicts):
            return {k: avg(d[k] for d in dicts) for k in dicts[0]}

        c = [r.content for r in rows]
        s = [r.style for r in rows]
        return cls(
            ContentDistance(avg(x.distance for x in c), avg(x.relative for x in c),
                            avg_dict([x.layers for x in c]), avg_dict([x.relative_layers for x in c])),
            StyleDistance(avg(x.gram for x in s), avg(x.mean_std for x in s),
                          avg_dict([x.gram_layers for x in s]), avg_dict([x.mean_std_layers for x in s])),
            avg(r.ssim_lightness for r in rows),
            avg(r.lattice for r in rows),
        )


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate` returns: figures per triple, their mean, and what measured them."""

    triples: list[tuple[Triple, Figures]]
    mean: Figures
    encoder: str
    fingerprint: str
    size: int
    content_layers: tuple[str, ...]
    style_layers: tuple[str, ...]

    def to_dict(self) -> dict:
        """The ``spokenstyle eval --json`` object."""
        return {
            "encoder": self.encoder,
            "fingerprint": self.fingerprint,
            "size": self.size,
            "content_layers": list(self.content_layers),
            "style_layers": list(self.style_layers),
            "triples": [
                dict(zip(("content", "style", "output"), t.names()), figures=f.to_dict()) for t, f in self.triples
            ],
            "mean": self.mean.to_dict(),
        }


def _name(x: Any) -> str:
    return str(x) if isinstance(x, (str, os.PathLike)) else f"<{type(x).__name__}>"


# ----------------------------------------------------------------------------- matching
def _is_path(x: Any) -> bool:
    return isinstance(x, (str, os.PathLike))


def _images_by_stem(folder: Path, what: str) -> dict[str, Path]:
    from ..image.imageio import INPUT_EXTENSIONS

    found: dict[str, Path] = {}
    for f in sorted(folder.iterdir()):
        if not f.is_file() or f.name.startswith(".") or f.suffix.lower() not in INPUT_EXTENSIONS:
            continue
        if f.stem in found:
            raise UsageError(
                f"{what} folder '{folder}' has two images named '{f.stem}' ({found[f.stem].name}, {f.name}); "
                "triples are matched by file name stem, so keep one"
            )
        found[f.stem] = f
    if not found:
        raise UsageError(f"{what} folder '{folder}' has no images ({', '.join(INPUT_EXTENSIONS)})")
    return found


def _quoted(stems) -> str:
    stems = sorted(stems)
    shown = ", ".join(f"'{s}'" for s in stems[:5])
    return shown + (f" and {len(stems) - 5} more" if len(stems) > 5 else "")


def _check_same_stems(content: dict, content_dir: Path, other: dict, other_dir: Path, what: str) -> None:
    missing, extra = set(content) - set(other), set(other) - set(content)
    if not missing and not extra:
        return
    parts = []
    if missing:
        parts.append(f"no {what} for {_quoted(missing)}")
    if extra:
        parts.append(f"no content for {_quoted(extra)}")
    raise UsageError(
        f"content folder '{content_dir}' ({len(content)} images) and {what} folder '{other_dir}' "
        f"({len(other)} images) do not match by file name stem: {'; '.join(parts)}; give each photo one {what} of the same name"
    )


def match_triples(content: Any, style: Any, output: Any) -> list[Triple]:
    """The triples to evaluate: three files (or images in memory), or content and output folders
    matched by file name stem with one style file or a third matching folder."""
    for what, x in (("content", content), ("style", style), ("output", output)):
        if _is_path(x) and not Path(x).exists():
            raise UsageError(f"{what} '{x}' does not exist; check the path")
    is_dir = {what: _is_path(x) and Path(x).is_dir() for what, x in (("content", content), ("style", style), ("output", output))}
    if is_dir["content"] != is_dir["output"]:
        folder, single = ("content", "output") if is_dir["content"] else ("output", "content")
        raise UsageError(
            f"{folder} '{_name(content if folder == 'content' else output)}' is a folder but {single} "
            f"'{_name(output if folder == 'content' else content)}' is not; pass two folders (matched by file name stem) or two files"
        )
    if not is_dir["content"]:
        if is_dir["style"]:
            raise UsageError(f"style '{style}' is a folder but content and output are single images; pass one style image")
        return [Triple(content, style, output)]
    cdir, odir = Path(content), Path(output)
    contents, outputs = _images_by_stem(cdir, "content"), _images_by_stem(odir, "output")
    _check_same_stems(contents, cdir, outputs, odir, "output")
    styles = None
    if is_dir["style"]:
        sdir = Path(style)
        styles = _images_by_stem(sdir, "style")
        _check_same_stems(contents, cdir, styles, sdir, "style")
    return [Triple(contents[k], styles[k] if styles else style, outputs[k]) for k in sorted(contents)]


# ----------------------------------------------------------------------------- sizing
def _load(x: Any):
    """(1, 3, H, W) float32 in [0, 1] from a path, a PIL image or a tensor (headers are checked
    first, by :func:`evaluate`, so a bad file is named before any work)."""
    from ..image import imageio

    return imageio.load(x, max_pixels=None)[0].pixels.unsqueeze(0)


def _long_side(hw: tuple[int, int], size: int) -> tuple[int, int]:
    h, w = hw
    scale = size / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def _resize(x, hw: tuple[int, int]):
    import torch.nn.functional as F

    if tuple(x.shape[-2:]) == tuple(hw):
        return x
    return F.interpolate(x, size=hw, mode="bilinear", antialias=True, align_corners=False).clamp_(0.0, 1.0)


def _check_side(x, what: str, name: str) -> None:
    h, w = x.shape[-2:]
    if min(h, w) < MIN_SIDE:
        raise UsageError(
            f"{what} '{name}' is {w}x{h} pixels after sizing; every side must be at least {MIN_SIDE} "
            "(relu5_1 has a stride of 16): use a larger --size or a less elongated image"
        )


def check_size(size: Any) -> int:
    if not isinstance(size, int) or isinstance(size, bool) or size < MIN_SIZE:
        raise UsageError(f"size={size!r} must be an integer of at least {MIN_SIZE} pixels (the long side; default {DEFAULT_SIZE})")
    return size


# ----------------------------------------------------------------------------- evaluate
def load_encoder(encoder: Any = DEFAULT_ENCODER, device: str = "cpu"):
    """A feature encoder by registered name (or one given as is), in eval mode on ``device``."""
    from ..core.device import resolve_device
    from ..encoders import FeatureEncoder
    from ..encoders import load as load_encoder_named

    if isinstance(encoder, FeatureEncoder):
        return encoder.eval().requires_grad_(False).to(resolve_device(device))
    if not isinstance(encoder, str):
        raise UsageError(f"encoder={encoder!r} must be a registered name (e.g. {', '.join(map(repr, BUILTIN_ENCODERS))}) or a FeatureEncoder")
    from ..plugins.manager import get_plugin_manager

    return load_encoder_named(encoder, plugins=get_plugin_manager()).to(resolve_device(device))


def evaluate(
    content: Any,
    style: Any,
    output: Any,
    *,
    encoder: Any = DEFAULT_ENCODER,
    size: int = DEFAULT_SIZE,
    device: str = "cpu",
    progress: bool = False,
) -> Evaluation:
    """Figures for each content/style/output triple and their mean.

    Args:
        content, style, output: image files (or PIL images / tensors), or content and output
            folders matched by file name stem with one style file or a third matching folder.
        encoder: a feature encoder's registered name (default ``vgg19``) or a ``FeatureEncoder``.
        size: the long side, in pixels, photos and outputs are measured at (styles are only shrunk).
        device: "cpu" (default), "cuda", "auto", ...
        progress: show a progress bar over triples (on stderr, on a terminal).
    """
    from tqdm import tqdm

    from . import metrics

    size = check_size(size)
    triples = match_triples(content, style, output)
    from ..image.imageio import open_image

    for t in triples:  # every header first: a bad file fails before any work
        for what, x in zip(("content", "style", "output"), (t.content, t.style, t.output)):
            if _is_path(x):
                open_image(x, max_pixels=None, what=what).close()
    enc = load_encoder(encoder, device)
    c_layers, s_layers = metrics.content_layers(enc), metrics.style_layers(enc)
    all_layers = tuple(dict.fromkeys(s_layers + c_layers))
    style_key, style_features = None, {}  # one style for every output is encoded once
    rows: list[tuple[Triple, Figures]] = []
    bar = tqdm(total=len(triples), unit="triple", file=sys.stderr, disable=None if progress else True, dynamic_ncols=True)
    try:
        for t in triples:
            c_name, s_name, o_name = t.names()
            photo = _load(t.content)
            photo = _resize(photo, _long_side(tuple(photo.shape[-2:]), size))
            _check_side(photo, "content", c_name)
            out = _load(t.output)
            out_style = _resize(out, _long_side(tuple(out.shape[-2:]), size))
            _check_side(out_style, "output", o_name)
            on_grid = _resize(out, tuple(photo.shape[-2:]))
            ratio_photo = photo.shape[-1] / photo.shape[-2]
            ratio_out = out.shape[-1] / out.shape[-2]
            if abs(ratio_out / ratio_photo - 1) > ASPECT_TOLERANCE:
                warnings.warn(
                    f"output '{o_name}' ({out.shape[-1]}x{out.shape[-2]}) has another aspect ratio than content "
                    f"'{c_name}'; the content distance and SSIM compare it stretched to the photo's shape",
                    stacklevel=2,
                )
            key = t.style if _is_path(t.style) else id(t.style)
            if key != style_key:
                s = _load(t.style)
                h, w = s.shape[-2:]
                if max(h, w) > size:
                    s = _resize(s, _long_side((h, w), size))
                _check_side(s, "style", s_name)
                style_key, style_features = key, metrics.features(s, enc, s_layers)
            f_photo = metrics.features(photo, enc, c_layers)
            f_blank = metrics.features(metrics.blank_like(photo), enc, c_layers)
            if on_grid.shape == out_style.shape:  # the usual case: one pass serves both
                f_out = metrics.features(on_grid, enc, all_layers)
                f_out_style = f_out
            else:
                f_out = metrics.features(on_grid, enc, c_layers)
                f_out_style = metrics.features(out_style, enc, s_layers)
            figures = Figures(
                metrics.content_from_features(f_photo, {k: f_out[k] for k in c_layers}, f_blank),
                metrics.style_from_features(style_features, {k: f_out_style[k] for k in s_layers}),
                metrics.ssim_lightness(photo, on_grid),
                metrics.lattice(out) if min(out.shape[-2:]) >= 4 * metrics.LATTICE_PERIOD else float("nan"),
            )
            rows.append((t, figures))
            bar.update(1)
    finally:
        bar.close()
    name = encoder if isinstance(encoder, str) else getattr(enc, "name", type(enc).__name__)
    return Evaluation(rows, Figures.mean([f for _, f in rows]), name, enc.fingerprint(), size, c_layers, s_layers)
