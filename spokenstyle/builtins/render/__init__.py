"""The ``render`` style backend: media drawn from the photo's own structure and palette.

Where ``adain`` and ``gatys`` transfer the texture of a style image (for a medium, a
procedural exemplar with colours of its own), ``render`` draws the medium from the photo:
its edges (a flow-based DoG along the structure tensor's flow), its tones (hatching, washes,
posterised areas) and its colours (a k-means palette, or the photo's own hues). The subject
stays where it was and no colour appears that the photo (or the prompt) did not have.

============== =============================== ==================================================
medium         module                          what it draws
============== =============================== ==================================================
pencil_sketch  :mod:`.drawing`                 graphite lines on the edges, hatching along the flow
charcoal       :mod:`.drawing`                 broad, smudged marks caught on the paper's tooth
ink_wash       :mod:`.drawing`                 a few bleeding ink tones and brush lines
watercolor     :mod:`.painting`                transparent washes, darkened edges, granulation
oil_painting   :mod:`.painting`                anisotropic Kuwahara strokes with lit relief
impressionist  :mod:`.painting`                small strokes of broken colour
pixel_art      :mod:`.cells`                   square blocks of a small palette, ordered dither
mosaic         :mod:`.cells`                   flat tesserae in grout
stained_glass  :mod:`.cells`                   saturated panes in black leading
comic          :mod:`.graphic`                 flat colours, black outlines (halftone optional)
neon           :mod:`.graphic`                 glowing edges in the photo's hues on a dark ground
ukiyo_e        :mod:`.graphic`                 woodblock pigments, sumi outlines, washi paper
============== =============================== ==================================================

The hot filters are operators (``ops.structure_tensor``, ``ops.anisotropic_kuwahara``,
``ops.bilateral``, ``ops.flow_dog``); the rest is plain torch (:mod:`.toolkit`). Photos
longer than ``work_size`` are rendered at that size and scaled back up, which bounds time and
memory (a 4096² photo renders like a 1536² one). Random parts (paper, strokes, cell seeds)
follow the seed (None = 0) and are drawn on the CPU, so a seed gives one picture everywhere.
"""

from __future__ import annotations

from typing import Any, Callable

import torch
import torch.nn.functional as F

from ...errors import UsageError
from ...core.intent import StyleIntent
from ...plugins.protocols import Option, Options

#: Every medium this backend can render (``--backend render`` with any of them).
RENDERED: tuple[str, ...] = (
    "pencil_sketch", "charcoal", "ink_wash", "watercolor", "oil_painting", "impressionist",
    "pixel_art", "mosaic", "stained_glass", "comic", "neon", "ukiyo_e",
)
#: The media ``render`` is the planner's default for (priority above ``adain``'s): chosen by
#: measurement and by looking at held-out photos (benchmarks/media_fidelity.py, benchmarks/RESULTS.md,
#: docs/images/media-vs-*.jpg).
DEFAULT_MEDIA: tuple[str, ...] = RENDERED

DEFAULT_WORK_SIZE = 1536


def _renderer(medium: str) -> Callable[..., torch.Tensor]:
    from . import cells, drawing, graphic, painting

    table: dict[str, Callable[..., torch.Tensor]] = {
        "pencil_sketch": drawing.pencil_sketch,
        "charcoal": lambda x, **kw: drawing.pencil_sketch(x, charcoal=True, seed=kw["seed"]),
        "ink_wash": drawing.ink_wash,
        "watercolor": painting.watercolor,
        "oil_painting": painting.oil_painting,
        "impressionist": lambda x, **kw: painting.oil_painting(x, impressionist=True, seed=kw["seed"]),
        "pixel_art": cells.pixel_art,
        "mosaic": cells.mosaic,
        "stained_glass": cells.stained_glass,
        "comic": graphic.comic,
        "neon": graphic.neon,
        "ukiyo_e": graphic.ukiyo_e,
    }
    return table[medium]


def _positive_int(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise UsageError(f"render: {name}={value!r} must be a whole number from {lo} to {hi}")
    return value


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "on", "false", "0", "no", "off"):
        return value.strip().lower() in ("true", "1", "yes", "on")
    if not isinstance(value, bool):
        raise UsageError(f"render: {name}={value!r} must be true or false")
    return value


class RenderBackend:
    """Draws the prompt's medium from the photo itself; see the module docstring."""

    name = "render"
    media = DEFAULT_MEDIA
    priority = 28  # above adain (20) and magenta (25): for these media, drawing from the photo wins; below
    # transform (30), which takes a medium only when the user gave it weights of their own
    uses_style_image = False
    applies_look = False  # the grade runs after, applying the prompt's look and named colours
    options = Options(
        Option("work_size", DEFAULT_WORK_SIZE, "longest side rendered; longer photos are rendered at this size and scaled up"),
        Option("colors", None, "palette size of pixel art, comic and ukiyo-e", shown="16, 6 and 7"),
        Option("pixel", None, "pixel art: block size in pixels", shown="the short side / 64"),
        Option("dither", True, "pixel art: 4x4 ordered dither"),
        Option("halftone", False, "comic: halftone dots in the darker areas"),
        Option("cell", None, "mosaic tile / stained-glass pane size in pixels", shown="14 at a 512-pixel short side / a twelfth of the short side"),
    )

    @staticmethod
    def handles(intent: StyleIntent) -> bool:
        return intent.medium in RENDERED

    def warmup(self, device) -> None:
        x = torch.rand(1, 3, 32, 32, device=device)
        _renderer("pencil_sketch")(x, seed=0)

    @torch.no_grad()
    @options.apply
    def stylize(self, content: torch.Tensor, intent: StyleIntent, *, style: Any = None, seed: int | None = None,
                engine: Any = None, work_size: int, colors: int | None, pixel: int | None, dither: Any,
                halftone: Any, cell: float | None, **_: Any) -> torch.Tensor:
        medium = intent.medium
        if medium not in RENDERED:
            named = f"the medium '{medium}'" if medium else "no medium"
            raise UsageError(
                f"render: the prompt names {named}; render draws {', '.join(RENDERED)} "
                "(name one in the prompt, e.g. 'pencil sketch', or choose another backend)"
            )
        work_size = _positive_int("work_size", work_size, 64, 16384)
        extra: dict[str, Any] = {}
        if medium in ("pixel_art", "comic", "ukiyo_e") and colors is not None:
            extra["colors"] = _positive_int("colors", colors, 2, 64)
        elif colors is not None:
            _positive_int("colors", colors, 2, 64)
        if pixel is not None:
            pixel = _positive_int("pixel", pixel, 1, 512)
        if cell is not None and (isinstance(cell, bool) or not isinstance(cell, (int, float)) or not 3 <= cell <= 1024):
            raise UsageError(f"render: cell={cell!r} must be a number of pixels from 3 to 1024")
        dither, halftone = _flag("dither", dither), _flag("halftone", halftone)
        if medium == "pixel_art":
            extra.update(pixel=pixel, dither=dither)
        elif medium == "comic":
            extra["halftone"] = halftone
        elif medium == "mosaic" and cell is not None:
            extra["tile"] = float(cell)
        elif medium == "stained_glass" and cell is not None:
            extra["pane"] = float(cell)
        if medium in ("pixel_art", "mosaic", "stained_glass", "comic", "neon", "ukiyo_e") and intent.palette:
            extra["palette"] = list(intent.palette)
        if intent.strength == 0.0:
            return content
        x = content.float().clamp(0.0, 1.0)
        h, w = x.shape[-2:]
        draw = _renderer(medium)
        scale = work_size / max(h, w)
        if scale < 1.0 and medium != "pixel_art":  # pixel art is a block average: any size is cheap
            small = F.interpolate(x, size=(max(1, round(h * scale)), max(1, round(w * scale))), mode="bilinear",
                                  align_corners=False, antialias=True)
            out = F.interpolate(draw(small, seed=seed, **extra), size=(h, w), mode="bicubic", align_corners=False)
        else:
            out = draw(x, seed=seed, **extra)
        out = out.clamp(0.0, 1.0)
        if intent.strength != 1.0:  # the range is checked once, in core/intent.py
            out = torch.lerp(x, out, intent.strength)
        return out.to(content.dtype).contiguous()
