"""Contact sheets: one photo in every built-in medium and a row of looks, each cell labelled
with the prompt that made it, so a user chooses a look by eye and copies its words.

``spokenstyle sheet PHOTO -o sheet.jpg`` and :func:`make_sheet`. Every cell is an ordinary
``engine.stylize(photo, prompt, seed=seed)`` at the cell's size, so what a cell shows is what
that prompt gives (at that size).
"""

from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from PIL import Image, ImageDraw, ImageFont

from ..errors import UsageError
from ..core.intent import MEDIA

#: Media the built-in lexicon names beyond the intent's eleven (which size the trained
#: generator's embedding, so they stay fixed): the ``render`` backend draws them.
DRAWN_MEDIA: tuple[str, ...] = ("charcoal", "ukiyo_e")

#: The prompt of each built-in medium's cell: its name in plain words.
MEDIA_PROMPTS: tuple[str, ...] = tuple(m.replace("_", " ") for m in MEDIA + DRAWN_MEDIA)

#: The looks row: colour and tone looks in everyday words (no texture).
LOOK_PROMPTS: tuple[str, ...] = (
    "make it warmer",
    "cooler, a bit brighter",
    "more contrast, punchy",
    "kinda dreamy",
    "moody but not too dark",
    "black and white",
    "faded pastel",
    "vintage film with grain",
)

ORIGINAL = "original"
MIN_CELL, MAX_CELL = 64, 1024

#: Fonts with Chinese glyphs, where the common systems keep them (the label of a Chinese prompt).
_CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
)


@dataclass
class Sheet:
    """The sheet's image and, per cell (row-major), its prompt, backends and seconds."""

    image: Image.Image
    cells: list[dict[str, Any]] = field(default_factory=list)

    def save(self, path: str | os.PathLike, *, quality: int = 92) -> Path:
        from ..image import imageio

        return imageio.save(self.image, path, quality=quality)


def _needs_cjk(text: str) -> bool:
    return any(ord(c) > 0x2E7F for c in text)


def label_font(size: int, path: str | os.PathLike | None, cjk: bool) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    """The labels' font: ``path``, else (for Chinese text) a CJK system font, else Pillow's own."""
    if path is not None:
        try:
            return ImageFont.truetype(str(path), size)
        except OSError as exc:
            raise UsageError(f"font={str(path)!r} cannot be read as a TrueType/OpenType font ({exc}); "
                             "give a .ttf/.otf/.ttc file") from None
    if cjk:
        for candidate in _CJK_FONTS:
            if Path(candidate).is_file():
                try:
                    return ImageFont.truetype(candidate, size)
                except OSError:
                    continue
        warnings.warn("no font with Chinese glyphs found; the Chinese labels show boxes (pass font=PATH, "
                      "--font on the command line, a .ttf/.otf/.ttc with CJK glyphs)", stacklevel=3)
    return ImageFont.load_default(size)


def _check_prompts(prompts: Sequence[str] | None, what: str) -> tuple[str, ...]:
    if prompts is None:
        return ()
    if isinstance(prompts, str):
        raise UsageError(f"{what}= must be a list of prompts, not one string; use [{prompts!r}]")
    out = tuple(prompts)
    bad = next((p for p in out if not isinstance(p, str) or not p.strip()), None)
    if bad is not None or (out and len(set(out)) != len(out)):
        raise UsageError(f"{what}= must be distinct, non-empty prompts; got {list(out)!r}")
    return out


def make_sheet(
    photo: Any,
    *,
    engine: Any = None,
    media: Sequence[str] | None = MEDIA_PROMPTS,
    looks: Sequence[str] | None = LOOK_PROMPTS,
    cell: int = 256,
    columns: int = 6,
    seed: int = 0,
    backend: str = "auto",
    font: str | os.PathLike | None = None,
    progress: bool = True,
) -> Sheet:
    """The photo and every prompt of ``media`` and then ``looks``, in a grid.

    photo:    a path, PIL image or tensor (anything ``engine.stylize`` takes).
    media:    the first rows after the original (default: every built-in medium).
    looks:    the rows after them, starting on a new row (default :data:`LOOK_PROMPTS`).
    cell:     the long side of each cell in pixels (64..1024); every cell is stylized at this size.
    columns:  cells per row (1..16).
    seed:     passed to every ``stylize`` (grain and other random parts).
    backend:  the backend(s) of the media cells (e.g. "transform" to see a trained generator);
              a medium that is a grade (vintage film), and the looks, are planned as usual.
    font:     a TrueType/OpenType font for the labels (one with CJK glyphs for Chinese prompts).
    """
    from tqdm import tqdm

    from ..image import imageio
    from ..core.engine import Engine
    from ..core.plan import check_seed

    if isinstance(cell, bool) or not isinstance(cell, int) or not MIN_CELL <= cell <= MAX_CELL:
        raise UsageError(f"cell={cell!r} must be a whole number of pixels from {MIN_CELL} to {MAX_CELL}")
    if isinstance(columns, bool) or not isinstance(columns, int) or not 1 <= columns <= 16:
        raise UsageError(f"columns={columns!r} must be a whole number from 1 to 16")
    check_seed(seed)
    media, looks = _check_prompts(media, "media"), _check_prompts(looks, "looks")
    if not media and not looks:
        raise UsageError("media= and looks= are both empty; a sheet needs at least one prompt")
    engine = engine if engine is not None else Engine()
    if backend != "auto":  # a wrong name is an error before any cell is made, media or not
        from ..core.intent import StyleIntent

        engine.plan(engine.encode(media[0]) if media else StyleIntent(), backend)
    if isinstance(photo, (str, os.PathLike)):  # decoded once, at the cell's size
        imageio.open_image(photo, what="photo").close()
        photo = imageio.load(photo, max_size=cell)[0].pixels
    original = engine.stylize(photo, "", strength=0.0, max_size=cell)
    w, h = original.images[0].size
    # (prompt, backend) per cell: the original and the media fill rows; the looks start a row of their own
    sections = [[(ORIGINAL, None)] + [(p, _media_backend(engine, p, backend)) for p in media]]
    sections += [[(p, "auto") for p in looks]] if looks else []
    rows = [s[i : i + columns] for s in sections for i in range(0, len(s), columns)]
    labels = [p for row in rows for p, _ in row]
    size = max(11, round(min(w, h) * 0.065))
    face = label_font(size, font, any(_needs_cjk(p) for p in labels))
    strip = round(size * 1.7)
    sheet = Image.new("RGB", (columns * w, len(rows) * (h + strip)), "white")
    draw = ImageDraw.Draw(sheet)
    cells: list[dict[str, Any]] = []
    bar = tqdm(total=len(labels), unit="cell", desc="sheet", file=sys.stderr, disable=None if progress else True,
               dynamic_ncols=True)
    try:
        for r, row in enumerate(rows):
            for c, (prompt, cell_backend) in enumerate(row):
                if cell_backend is None:
                    result = original
                else:
                    result = engine.stylize(photo, prompt, seed=seed, max_size=cell, backend=cell_backend)
                img = result.images[0].convert("RGB")
                if img.size != (w, h):  # a backend that changes the size still fills its cell
                    img = img.resize((w, h), Image.Resampling.LANCZOS)
                x, y = c * w, r * (h + strip)
                sheet.paste(img, (x, y))
                text = _fit(draw, prompt, face, w - 8)
                draw.text((x + w / 2, y + h + strip / 2), text, fill=(20, 20, 20), font=face, anchor="mm")
                cells.append({"prompt": prompt, "row": r, "column": c, "backends": list(result.backends),
                              "medium": result.intent.medium, "seconds": round(result.timings["stylize"], 4)})
                bar.update(1)
    finally:
        bar.close()
    return Sheet(sheet, cells)


def _media_backend(engine: Any, prompt: str, backend: str) -> str:
    """``backend`` for a media cell, or "auto" for a medium that is a colour grade (vintage
    film): a texture backend has no texture to draw for it (``--backend transform`` refuses it),
    and the planner grades it; the cell's ``backends`` say what ran."""
    from ..builtins.grade import GRADE_MEDIA

    return "auto" if engine.encode(prompt).medium in GRADE_MEDIA else backend


def _fit(draw: ImageDraw.ImageDraw, text: str, face: Any, width: int) -> str:
    """``text``, shortened with an ellipsis until it fits in ``width`` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while len(text) > 1 and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text.rstrip() + "…"
