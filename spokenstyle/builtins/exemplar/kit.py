"""The exemplar's drawing kit: palettes, the canvas, paper, blur, cells, brush strokes, relief.

Pure tensor code shared by the per-medium renderers (:mod:`.renderers`); random numbers come
from the canvas's seeded CPU generator, so a seed draws the same picture on any device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
import torch.nn.functional as F

from ...core.intent import hex_to_rgb
from ...errors import UsageError
from ...image import color

#: Default colours per medium, used when the intent has no palette.
DEFAULT_PALETTES: dict[str, tuple[str, ...]] = {
    "oil_painting": ("#1d3557", "#457b9d", "#2a9d8f", "#e9c46a", "#f4a261", "#e76f51", "#6b4226", "#f1e6d0"),
    "watercolor": ("#2e86ab", "#a23b72", "#f18f01", "#c73e1d", "#3b8b5c", "#6a4c93", "#f2c14e"),
    "pencil_sketch": ("#2b2c30", "#3a3b3f", "#4d4e53"),
    "ink_wash": ("#101010", "#1c1c1c", "#2a2a2a"),
    "mosaic": ("#1f4e79", "#c9a227", "#8c2f39", "#e8dcc0", "#3d6b45", "#d9822b", "#5b7fa3"),
    "pixel_art": ("#1d2b53", "#7e2553", "#008751", "#ab5236", "#29adff", "#ffa300", "#ffec27", "#fff1e8"),
    "comic": ("#ffd23f", "#ee4266", "#3bceac", "#1a8fe3", "#0ead69", "#ff8c42", "#9d4edd"),
    "neon": ("#ff2bd6", "#00f0ff", "#39ff14", "#ffe600", "#ff3b30", "#7b2cff"),
    "vintage_film": ("#2f4858", "#5c7d8a", "#e9d8a6", "#f6ae2d", "#d9734e", "#9b2226"),
    "impressionist": ("#f6d365", "#fda085", "#8fd3f4", "#84c9a0", "#a18cd1", "#4a6fa5", "#f7f4ea", "#5b8c5a"),
    "stained_glass": ("#c1121f", "#1d4ed8", "#f59e0b", "#059669", "#7c3aed", "#fde047", "#0ea5e9"),
}

PAPER = {
    "watercolor": "#fbf8f1",
    "pencil_sketch": "#f3f0e8",
    "ink_wash": "#f4efe3",
}


def _palette_rgb(palette: Sequence[str] | None, medium: str, device) -> torch.Tensor:
    """(K, 3) sRGB colours: the given palette, else the medium's default."""
    if palette is not None and isinstance(palette, str):
        raise UsageError(f"palette={palette!r} must be a list of '#rrggbb' strings, not one string")
    hexes = list(palette) if palette else list(DEFAULT_PALETTES[medium])
    return torch.tensor([hex_to_rgb(str(c).lower()) for c in hexes], dtype=torch.float32, device=device)


# ------------------------------------------------------------------------------ building blocks


@dataclass
class _Canvas:
    """What every renderer needs: the size, a seeded CPU generator, the device and the palette."""

    h: int
    w: int
    gen: torch.Generator
    device: torch.device
    palette: torch.Tensor  # (K, 3) sRGB on device
    custom_palette: bool

    @property
    def unit(self) -> float:
        return min(self.h, self.w) / 256.0

    def rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=self.gen).to(self.device)

    def randn(self, *shape: int) -> torch.Tensor:
        return torch.randn(shape, generator=self.gen).to(self.device)

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * float(torch.rand((), generator=self.gen))

    def randint(self, n: int) -> int:
        return int(torch.randint(n, (), generator=self.gen))

    def coords(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Pixel-centre coordinates (y, x), each (H, W)."""
        ys = torch.arange(self.h, device=self.device, dtype=torch.float32).add_(0.5)
        xs = torch.arange(self.w, device=self.device, dtype=torch.float32).add_(0.5)
        return ys.view(-1, 1).expand(self.h, self.w), xs.view(1, -1).expand(self.h, self.w)

    def noise(self, cells: float, octaves: int = 1, gain: float = 0.5, stretch: tuple[float, float] = (1.0, 1.0)) -> torch.Tensor:
        """Smooth fractal value noise, (1, 1, H, W), roughly zero mean and unit std.

        ``cells``: features across the short side at the lowest octave; ``stretch`` (sy, sx)
        makes features longer along an axis (fibres, streaks)."""
        total = torch.zeros(1, 1, self.h, self.w, device=self.device)
        amp, norm = 1.0, 0.0
        short = min(self.h, self.w)
        for o in range(octaves):
            c = cells * (2.0**o)
            gh = max(2, math.ceil(c * self.h / short / stretch[0]) + 2)
            gw = max(2, math.ceil(c * self.w / short / stretch[1]) + 2)
            grid = self.randn(1, 1, gh, gw)
            total += amp * F.interpolate(grid, size=(self.h, self.w), mode="bicubic", align_corners=True)
            norm += amp * amp
            amp *= gain
        return total / math.sqrt(norm)

    def fine_noise(self, scale: float = 1.0) -> torch.Tensor:
        """Pixel-scale noise (grain, paper tooth), (1, 1, H, W); ``scale`` in units."""
        step = max(1.0, scale * self.unit)
        gh, gw = max(2, round(self.h / step)), max(2, round(self.w / step))
        grid = self.randn(1, 1, gh, gw)
        if (gh, gw) == (self.h, self.w):
            return grid
        return F.interpolate(grid, size=(self.h, self.w), mode="bilinear", align_corners=False)


def _paper(cv: "_Canvas", medium: str) -> torch.Tensor:
    """(3,) paper colour: the medium's off-white, or with a user palette a near-white with a
    whisper of the palette's lightest colour (so every colour in the exemplar comes from it)."""
    if not cv.custom_palette:
        return torch.tensor(hex_to_rgb(PAPER[medium]), device=cv.device)
    lightest = _by_lightness(cv.palette)[-1]
    return 0.96 - 0.1 * (1.0 - lightest)


def _smoothstep(e0: float, e1: float, x: torch.Tensor) -> torch.Tensor:
    t = ((x - e0) / (e1 - e0)).clamp(0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _to_image(rgb_hw3: torch.Tensor) -> torch.Tensor:
    """(H, W, 3) -> (1, 3, H, W)."""
    return rgb_hw3.permute(2, 0, 1).unsqueeze(0).contiguous()


def _blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Gaussian-like blur of (N, C, H, W) whose cost does not grow with ``sigma``: pool down,
    separable Gaussian, bilinear back up."""
    if sigma <= 0.3:
        return x
    h, w = x.shape[-2:]
    factor = max(1, int(sigma / 2.0))
    small = F.avg_pool2d(x, factor, ceil_mode=True) if factor > 1 else x
    s = sigma / factor
    radius = max(1, math.ceil(2.5 * s))
    t = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    k = torch.exp(-0.5 * (t / s) ** 2)
    k = k / k.sum()
    c = small.shape[1]
    small = F.pad(small, (radius, radius, radius, radius), mode="replicate")
    small = F.conv2d(small, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    small = F.conv2d(small, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    if factor > 1:
        small = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return small


def _by_lightness(palette: torch.Tensor) -> torch.Tensor:
    """The palette sorted dark to light (Oklab L)."""
    L = color.srgb_to_oklab(palette.T.reshape(1, 3, -1, 1))[0, 0, :, 0]
    return palette[torch.argsort(L)]


def _ramp_index(t: torch.Tensor, k: int) -> torch.Tensor:
    """t in [0, 1] -> integer index in [0, k)."""
    return (t * k).long().clamp_(0, k - 1)


def _field_at(field: torch.Tensor, py: torch.Tensor, px: torch.Tensor) -> torch.Tensor:
    """Values of an (H, W) field at (possibly off-image) points, nearest pixel."""
    h, w = field.shape
    iy = py.long().clamp(0, h - 1)
    ix = px.long().clamp(0, w - 1)
    return field[iy, ix]


@dataclass
class _Cells:
    """Jittered-grid points and, per pixel, the point that owns it.

    Each grid cell holds one point; a pixel looks at the 3x3 cells around its own, so the cost is
    9 candidates per pixel whatever the number of points."""

    py: torch.Tensor  # (P,) point coordinates
    px: torch.Tensor
    owner: torch.Tensor  # (H, W) long, index into the points; -1 = none (stroke layers)
    u: torch.Tensor | None = None  # (H, W) stroke-local coordinates of the owner, normalised
    v: torch.Tensor | None = None
    border: torch.Tensor | None = None  # (H, W) distance in pixels to the nearest cell border


def _grid_points(cv: _Canvas, cell: float, jitter: float) -> tuple[torch.Tensor, torch.Tensor, int, int]:
    gh = math.ceil(cv.h / cell) + 2
    gw = math.ceil(cv.w / cell) + 2
    iy = torch.arange(gh, device=cv.device, dtype=torch.float32).view(-1, 1).expand(gh, gw)
    ix = torch.arange(gw, device=cv.device, dtype=torch.float32).view(1, -1).expand(gh, gw)
    off = cv.rand(2, gh, gw) * jitter + (1.0 - jitter) / 2.0
    py = ((iy - 1.0 + off[0]) * cell).reshape(-1)
    px = ((ix - 1.0 + off[1]) * cell).reshape(-1)
    return py, px, gh, gw


def _candidates(cv: _Canvas, cell: float, gw: int) -> torch.Tensor:
    """(9, H, W) flat indices of the points in the 3x3 cells around each pixel."""
    yy, xx = cv.coords()
    cy = (yy / cell).long() + 1
    cx = (xx / cell).long() + 1
    base = cy * gw + cx
    offsets = torch.tensor([dy * gw + dx for dy in (-1, 0, 1) for dx in (-1, 0, 1)], device=cv.device)
    return base.unsqueeze(0) + offsets.view(9, 1, 1)


def _voronoi(cv: _Canvas, cell: float, jitter: float = 0.9) -> _Cells:
    """A Voronoi partition of jittered grid points, with each pixel's distance to its cell border."""
    py, px, _, gw = _grid_points(cv, cell, jitter)
    cand = _candidates(cv, cell, gw)
    yy, xx = cv.coords()
    cy, cx = torch.stack([py, px], 1).index_select(0, cand.reshape(-1)).view(*cand.shape, 2).unbind(-1)
    d2 = (yy - cy) ** 2 + (xx - cx) ** 2
    best2, order = d2.topk(2, dim=0, largest=False)
    first, second = order[:1], order[1:2]
    owner = cand.gather(0, first)[0]
    other = cand.gather(0, second)[0]
    # exact distance to the bisector of the two nearest points
    sep = ((py[owner] - py[other]) ** 2 + (px[owner] - px[other]) ** 2).sqrt().clamp_min(1e-6)
    border = (best2[1] - best2[0]) / (2.0 * sep)
    return _Cells(py=py, px=px, owner=owner, border=border)


def _strokes(
    cv: _Canvas,
    cell: float,
    half_len: float,
    half_wid: float,
    angle: torch.Tensor,
    *,
    cover: bool,
) -> _Cells:
    """One layer of brush strokes, one per grid cell, oriented by the (H, W) ``angle`` field.

    ``cover=True``: every pixel belongs to the stroke nearest in the stroke's own elongated
    metric (a full-coverage underpainting). ``cover=False``: strokes are rounded bars drawn in
    a random stacking order; pixels outside every stroke get owner -1.
    ``half_len`` must not exceed ``cell`` so every stroke is seen by the 3x3 search."""
    py, px, _, gw = _grid_points(cv, cell, 1.0)
    n = py.numel()
    theta = _field_at(angle, py, px) + (cv.rand(n) - 0.5) * 0.5
    cos, sin = theta.cos(), theta.sin()
    length = half_len * (0.7 + 0.3 * cv.rand(n))
    width = half_wid * (0.75 + 0.5 * cv.rand(n))
    cand = _candidates(cv, cell, gw)
    yy, xx = cv.coords()
    prio = cv.rand(n)
    # one index_select of all point attributes: much cheaper than seven fancy-indexing gathers
    attrs = torch.stack([py, px, cos, sin, 1.0 / length, 1.0 / width, prio], 1)
    cpy, cpx, c, s, inv_len, inv_wid, prio = attrs.index_select(0, cand.reshape(-1)).view(*cand.shape, 7).unbind(-1)
    dy, dx = yy - cpy, xx - cpx
    u = (dx * c + dy * s) * inv_len
    v = (dy * c - dx * s) * inv_wid
    u2 = u * u
    shape = u2 * u2 + v * v  # a bar with rounded ends
    if cover:
        pick = shape.argmin(dim=0, keepdim=True)
        owner = cand.gather(0, pick)[0]
    else:
        prio = torch.where(shape < 1.0, prio, torch.full_like(prio, -1.0))
        best, pick = prio.max(dim=0, keepdim=True)
        owner = torch.where(best[0] >= 0, cand.gather(0, pick)[0], torch.full_like(cand[0], -1))
    return _Cells(py=py, px=px, owner=owner, u=u.gather(0, pick)[0], v=v.gather(0, pick)[0])


def _relief(height: torch.Tensor, strength: float) -> torch.Tensor:
    """Shading factor (1, 1, H, W) of a height field lit from the top left (impasto)."""
    gx = F.pad(height[..., :, 1:] - height[..., :, :-1], (0, 1, 0, 0))
    gy = F.pad(height[..., 1:, :] - height[..., :-1, :], (0, 0, 0, 1))
    return 1.0 - strength * (gx + gy)
