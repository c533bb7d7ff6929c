"""Training images: a folder of photos held in memory, and heavy augmentation.

The project trains on a handful of photos it may redistribute (``data/photos/``), so each
sample is a fresh random view: a random-scale crop, flips and quarter turns, and a colour
jitter in Oklab (hue rotation, chroma and lightness changes), which keeps the decoder from
learning the few photos' palettes.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

from ..image import color
from ..image import imageio
from ..errors import UsageError

def load_folder(folder: str | os.PathLike, *, what: str = "--data", max_size: int = 512) -> list[torch.Tensor]:
    """Every image in ``folder`` as a (3, H, W) float tensor, long side at most ``max_size``."""
    path = Path(folder)
    if not path.is_dir():
        raise UsageError(f"{what} '{folder}' is not a folder of images")
    # the same files `spokenstyle stylize FOLDER` would take
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in imageio.INPUT_EXTENSIONS)
    if not files:
        raise UsageError(f"{what} '{folder}' holds no images ({', '.join(imageio.INPUT_EXTENSIONS)})")
    return [photo.pixels for f in files for photo in imageio.load(str(f), max_size=max_size)]


def random_view(images: Sequence[torch.Tensor], crop: int, gen: torch.Generator, *, jitter: bool = True) -> torch.Tensor:
    """One augmented (3, crop, crop) view of a random image from ``images``."""
    img = images[int(torch.randint(len(images), (1,), generator=gen))]
    h, w = img.shape[-2:]
    # Random scale: the crop covers between crop px and the whole short side of the image.
    short = min(h, w)
    lo = min(1.0, crop / short)
    side = int(round(short * (lo + (1.0 - lo) * float(torch.rand((), generator=gen)))))
    side = max(min(side, short), min(crop, short))
    y = int(torch.randint(h - side + 1, (1,), generator=gen))
    x = int(torch.randint(w - side + 1, (1,), generator=gen))
    view = img[:, y : y + side, x : x + side].unsqueeze(0)
    view = F.interpolate(view, size=(crop, crop), mode="bilinear", align_corners=False, antialias=side > crop)
    if float(torch.rand((), generator=gen)) < 0.5:
        view = view.flip(-1)
    view = torch.rot90(view, int(torch.randint(4, (1,), generator=gen)), dims=(-2, -1))
    if jitter:
        view = jitter_colour(view, gen)
    return view[0].clamp(0.0, 1.0)


def jitter_colour(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Rotate hue, scale chroma and bend lightness in Oklab (x: (N, 3, H, W) sRGB)."""
    lab = color.srgb_to_oklab(x)
    angle = (float(torch.rand((), generator=gen)) - 0.5) * 2.0 * math.pi * 0.5  # up to +-90 degrees
    c, s = math.cos(angle), math.sin(angle)
    chroma = 0.5 + float(torch.rand((), generator=gen))  # 0.5 .. 1.5
    a, b = lab[:, 1:2], lab[:, 2:3]
    a, b = chroma * (c * a - s * b), chroma * (s * a + c * b)
    gamma = math.exp((float(torch.rand((), generator=gen)) - 0.5) * 0.6)
    L = lab[:, :1].clamp(0.0, 1.0) ** gamma
    return color.oklab_to_srgb(torch.cat([L, a, b], dim=1))


def batch(images: Sequence[torch.Tensor], size: int, crop: int, gen: torch.Generator, *, jitter: bool = True) -> torch.Tensor:
    """(size, 3, crop, crop) random views."""
    return torch.stack([random_view(images, crop, gen, jitter=jitter) for _ in range(size)])
