"""Media made of flat pieces: pixel art (square blocks of a small palette), mosaic (tesserae
in grout) and stained glass (panes in dark leading), each piece coloured from the photo.

The palette is the photo's own (k-means in Oklab, :func:`toolkit.kmeans_palette`), moved
towards colours the prompt names; the pieces are a block grid or superpixels that follow the
photo's edges (:func:`toolkit.cells`), so the subject stays in the picture.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ...image import color
from . import toolkit as tk

#: 4x4 Bayer matrix (ordered dither thresholds), centred on 0.
BAYER4 = (torch.tensor([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]], dtype=torch.float32) + 0.5) / 16 - 0.5

GROUT = (0.23, 0.22, 0.21)
LEAD = (0.04, 0.04, 0.045)


def pixel_art(x: torch.Tensor, *, seed: int | None, palette: list[str] | None = None, pixel: int | None = None,
              colors: int = 16, dither: bool = True) -> torch.Tensor:
    """Blocks of ``pixel`` photo pixels (default: 64 blocks across the short side), each one
    colour of a ``colors``-colour palette, with an optional 4x4 ordered dither."""
    n, _, h, w = x.shape
    b = pixel if pixel is not None else max(2, int(round(min(h, w) / 64)))
    small = F.avg_pool2d(x.float(), b, ceil_mode=True)
    lab = color.srgb_to_oklab(small)
    named = tk.named_palette(palette, x.device)
    out = torch.empty(n, 3, small.shape[-2], small.shape[-1], device=x.device)
    for i in range(n):
        pal = tk.toward_named(tk.kmeans_palette(small[i : i + 1], colors, chroma_weight=2.0), named)
        # Pixel art is drawn in clean, slightly bolder colours than the photo's.
        pal = torch.cat([pal[:, :1], pal[:, 1:] * 1.15], 1)
        li = lab[i : i + 1]
        if dither:
            sh, sw = li.shape[-2:]
            tile = BAYER4.to(x.device).repeat((sh + 3) // 4, (sw + 3) // 4)[:sh, :sw]
            spread = _palette_spacing(pal)
            li = li + torch.stack([tile * spread, tile * 0, tile * 0]).unsqueeze(0)
        idx = tk.nearest(li, pal, chroma_weight=1.5)
        out[i] = tk.paint(idx, tk.lab_to_rgb(pal))[0]
    return F.interpolate(out, scale_factor=b, mode="nearest")[..., :h, :w]


def _palette_spacing(pal: torch.Tensor) -> float:
    """Typical lightness gap between palette neighbours: the dither's amplitude."""
    L = torch.sort(pal[:, 0]).values
    return float((L[1:] - L[:-1]).median()) if L.numel() > 1 else 0.0


def mosaic(x: torch.Tensor, *, seed: int | None, palette: list[str] | None = None, tile: float | None = None) -> torch.Tensor:
    """Tesserae about ``tile`` pixels across (default 14 at a 512-pixel short side), each one
    flat colour of the photo, set in dark grout."""
    n, _, h, w = x.shape
    s = tk.scale_of(x)
    size = tile if tile is not None else max(8.0, 14.0 * s)
    labels = tk.cells(x, size, compactness=2.0, seed=seed, iterations=2, jitter=0.3)
    fill = _recolour(tk.cell_means(x, labels), palette, chroma=1.1)
    # Each stone is cut from a slightly different batch: a small lightness offset per cell.
    jit = tk.noise((n, int(labels.max()) + 1), seed, 301, x.device)
    offset = (torch.gather(jit, 1, labels.reshape(n, -1)).view(n, 1, h, w) - 0.5) * 0.08
    fill = (fill * (1.0 + offset)).clamp(0.0, 1.0)
    grout = tk.borders(labels, max(1.0, 2.2 * s))
    bevel = tk.blur(grout, 1.2 * s)
    fill = fill * (1.0 - 0.25 * bevel)
    g = torch.tensor(GROUT, device=x.device).view(1, 3, 1, 1)
    return (fill * (1.0 - grout) + g * grout).clamp(0.0, 1.0)


def stained_glass(x: torch.Tensor, *, seed: int | None, palette: list[str] | None = None,
                  pane: float | None = None) -> torch.Tensor:
    """Panes about ``pane`` pixels across (default: a twelfth of the short side, at least 12)
    that follow the photo's edges, in a few saturated glass colours with light through them,
    joined by black leading. Smaller panes put more lead than glass over the subject
    (benchmarks/media_fidelity.py: SSIM L 0.24 at 30 px per 512, 0.43 at a twelfth)."""
    n, _, h, w = x.shape
    s = tk.scale_of(x)
    size = pane if pane is not None else max(12.0, min(h, w) / 12.0)
    labels = tk.cells(x, size, compactness=0.9, seed=seed, iterations=3, jitter=0.4)
    fill = tk.cell_means(x, labels)
    out = torch.empty_like(fill)
    named = tk.named_palette(palette, x.device)
    for i in range(n):
        pal = tk.toward_named(tk.kmeans_palette(fill[i : i + 1], 10, chroma_weight=2.5), named)
        L = pal[:, :1].clamp(0.3, 0.82)
        ab = pal[:, 1:]
        c = ab.norm(dim=1, keepdim=True)
        # Glass is strongly coloured: chroma raised (greys get a faint cool tint of their own).
        ab = torch.where(c > 0.02, ab * (0.14 / c.clamp_min(1e-6)).clamp(1.0, 1.6), ab + torch.tensor([-0.01, -0.03], device=x.device))
        glass = torch.cat([L, ab], 1)
        idx = tk.nearest(color.srgb_to_oklab(fill[i : i + 1]), pal)
        out[i] = tk.paint(idx, tk.lab_to_rgb(glass))[0]
    lead = tk.borders(labels, max(2.5, 3.5 * s))
    # Light through old glass: uneven inside each pane, darker towards the leading.
    light = 0.82 + 0.3 * tk.value_noise(n, h, w, 1.5 * size, seed, 311, x.device, octaves=2)
    near = tk.blur(lead, 2.0 * s)
    out = out * light * (1.0 - 0.35 * near)
    # The photo's strongest lines are leaded too, so a face or an eye keeps its features.
    from .graphic import _outlines

    lead = torch.maximum(lead, 0.85 * _outlines(x, sigma=1.4, width=1.5))
    k = torch.tensor(LEAD, device=x.device).view(1, 3, 1, 1)
    return (out * (1.0 - lead) + k * lead).clamp(0.0, 1.0)


def _recolour(img: torch.Tensor, palette: list[str] | None, chroma: float) -> torch.Tensor:
    """``img`` with its chroma scaled and, when the prompt names colours, its hues moved to them."""
    lab = color.srgb_to_oklab(img)
    named = tk.named_palette(palette, img.device)
    if named is not None:
        flat = lab.permute(0, 2, 3, 1).reshape(-1, 3)
        flat = tk.toward_named(flat, named, 0.7)
        lab = flat.view(lab.shape[0], lab.shape[2], lab.shape[3], 3).permute(0, 3, 1, 2)
    lab = torch.cat([lab[:, :1], lab[:, 1:] * chroma], 1)
    return color.oklab_to_srgb(lab).clamp(0.0, 1.0)
