"""The built-in ``exemplar`` generator: a procedural style image for a medium.

A texture backend (AdaIN, Gatys) needs a *style image*. When a prompt names a medium ("oil
painting", "水墨") and the user gives no style image, this generator paints one from the
:class:`~spokenstyle.intent.StyleIntent`: the medium picks the texture vocabulary, the palette
(or the medium's default palette) picks the colours, and the look colours the result. The same
images serve as the style set that trains the AdaIN decoder, so every seed draws a different
composition, scale and colour arrangement.

Pure tensor code: no weights, no downloads. Random numbers are drawn from a seeded CPU
``torch.Generator`` (small grids and point sets), then moved to the target device, so a seed
gives bit-identical images on the CPU and the same composition on any device. Sizes are in
pixels scaled by ``unit = min(H, W) / 256``: an exemplar at 512 is the same picture at twice
the resolution, not a picture with finer texture.

Texture vocabulary per medium (:data:`~spokenstyle.intent.MEDIA`):

==============  ==============================================================================
oil_painting    overlapping elongated brush strokes following a smooth flow field, in palette
                colours chosen by a low-frequency "scene"; bristle streaks along each stroke
                and impasto relief (lit from the top left); faint canvas weave
watercolor      soft, domain-warped pigment washes glazed over white paper (subtractive), darker
                rims where pigment dried at the edge, granulation, fine paper grain; paper shows
pencil_sketch   grey graphite hatching in patches (one direction in light areas, cross-hatching
                in dark ones), wobbling pressure, a few contour lines, toothy off-white paper
ink_wash        水墨: layered mountain silhouettes in grey-black ink that fade into mist, with
                fibre-feathered edges and moss dots, on warm rice paper; mostly white
mosaic          irregular tesserae (a jittered-grid Voronoi), each a flat palette colour with a
                little variation and bevel, separated by dark grout lines
comic           flat bold colour regions with thick black outlines and a regular halftone dot
                grid (Ben-Day dots) whose dot size follows a shading gradient
pixel_art       hard, piecewise-constant blocks from a small limited palette, shading ramps with
                ordered dithering and dark outlines
neon            glowing tubes (circles, frames, zigzags, waves) in bright saturated colours with
                white-hot cores and wide halos on a near-black wall
vintage_film    a soft, defocused scene with lifted blacks and faded colours, film grain,
                a warm light leak, dust and scratches, vignette
impressionist   short dabs of broken colour: neighbouring dabs take neighbouring palette hues,
                loosely oriented, over a light ground that peeks through
stained_glass   large irregular cells of bright, saturated, mottled glass lit from behind,
                joined by thick dark lead came
==============  ==============================================================================

The look: :class:`ExemplarGenerator` grades the finished exemplar with the intent's look
attributes (``spokenstyle.builtins.grade.grade``), so "warm oil painting" gives a warmer
exemplar. Vignette is left out (it frames a photo; on a texture sample it would only darken the
style's statistics), and so are the palette's split toning (the palette already *is* the colours)
and ``strength`` (the backend blends with the photo). A backend that runs ``grade`` on the photo
afterwards and does not want the look twice can pass ``look=False``.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn.functional as F

from .. import color
from ..errors import UsageError
from ..intent import MEDIA, StyleIntent, hex_to_rgb

MIN_SIZE = 16
MAX_SIZE = 4096

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

# ----------------------------------------------------------------------------- validation


def _check_size(size) -> tuple[int, int]:
    """``size`` -> (height, width); an int is a square."""
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise UsageError(f"size={size!r} must be an int or a (height, width) pair")
        dims = tuple(size)
    else:
        dims = (size, size)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int):
            try:
                d = operator.index(d)  # numpy / torch integers
            except TypeError:
                raise UsageError(
                    f"size={size!r} must be an int or a (height, width) pair of ints "
                    f"between {MIN_SIZE} and {MAX_SIZE}, e.g. size=256"
                ) from None
        if not MIN_SIZE <= d <= MAX_SIZE:
            raise UsageError(
                f"size={size!r} is out of range; use between {MIN_SIZE} and {MAX_SIZE} pixels per side, e.g. size=256"
            )
        out.append(int(d))
    return out[0], out[1]


def _check_seed(seed) -> int:
    if seed is None:
        return 0
    if isinstance(seed, bool):
        raise UsageError(f"seed={seed!r} must be an int (or None for 0)")
    try:
        return operator.index(seed)
    except TypeError:
        raise UsageError(f"seed={seed!r} must be an int (or None for 0)") from None


def _check_medium(medium) -> str:
    if not medium:
        raise UsageError(
            "the exemplar generator needs a medium: intent.medium is empty; build the intent from a prompt "
            "that names one (e.g. 'oil painting') or pass StyleIntent(medium=...), one of " + ", ".join(MEDIA)
        )
    if medium not in _RENDERERS:
        raise UsageError(f"medium={medium!r} is not one the exemplar generator knows; use one of " + ", ".join(MEDIA))
    return medium


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


# ------------------------------------------------------------------------------------ media


def _painterly(cv: _Canvas, *, cell: float, layers: int, half_len: float, half_wid: float, coherence: float,
               broken: float, relief: float, bristle: float) -> torch.Tensor:
    """Shared by oil and impressionist: a covered underpainting plus ``layers`` of strokes on top.

    Stroke colour: the palette entry a low-frequency scene asks for at the stroke's centre, moved
    by one or two entries with probability ``broken`` (broken colour)."""
    u = cv.unit
    pal = _by_lightness(cv.palette)
    k = pal.shape[0]
    scene = cv.noise(2.5, octaves=3)[0, 0]
    scene = ((scene - scene.mean()) / scene.std().clamp_min(1e-6) * 0.32 + 0.5).clamp(0.0, 1.0)
    # light towards the top (a sky) for some seeds: composition varies with the seed
    yy, xx = cv.coords()
    tilt = cv.uniform(-0.35, 0.35)
    scene = (scene + tilt * (0.5 - yy / cv.h)).clamp(0.0, 1.0)
    angle = cv.noise(1.5, octaves=2)[0, 0] * (math.pi * (1.0 - coherence)) + cv.uniform(0, math.pi)

    rgb = torch.zeros(cv.h, cv.w, 3, device=cv.device)
    height = torch.zeros(cv.h, cv.w, device=cv.device)
    for layer in range(layers + 1):
        first = layer == 0
        c = cell * u * (1.4 if first else 1.0)
        st = _strokes(cv, c, half_len * c, half_wid * c, angle, cover=first)
        n = st.py.numel()
        idx = _ramp_index(_field_at(scene, st.py, st.px), k)
        jump = (cv.rand(n) < broken).long() * (cv.randint(2) * 2 - 1) * (1 + (cv.rand(n) < 0.3).long())
        idx = (idx + jump).clamp(0, k - 1)
        colours = pal[idx] * (0.88 + 0.24 * cv.rand(n, 1))
        owner = st.owner.clamp_min(0)
        # bristle streaks run along the stroke: a 1-D pattern across it
        freq = (5.0 + 6.0 * cv.rand(n))[owner]
        phase = (cv.rand(n) * 6.283)[owner]
        streak = torch.sin(st.v * freq + phase) * 0.6 + torch.sin(st.v * freq * 2.3 + phase * 1.7) * 0.4
        ridge = (1.0 - st.v.abs().clamp(max=1.0) ** 2).sqrt()
        h_here = ridge * (0.6 + 0.4 * (1.0 - st.u.abs().clamp(max=1.0))) + bristle * streak * ridge
        stroke_rgb = colours[owner] * (1.0 + 0.06 * bristle * streak).unsqueeze(-1)
        if first:
            rgb, height = stroke_rgb, h_here * 0.5
        else:
            inside = (st.owner >= 0)
            rgb = torch.where(inside.unsqueeze(-1), stroke_rgb, rgb)
            height = torch.where(inside, h_here + 0.25 * layer, height)
    img = _to_image(rgb)
    shade = _relief(height.view(1, 1, cv.h, cv.w) * (2.0 * u), relief / u)
    img = img * shade.clamp(0.6, 1.4)
    weave = torch.sin(xx * (math.pi / (1.5 * u))) * torch.sin(yy * (math.pi / (1.5 * u)))
    img = img * (1.0 + 0.025 * weave)
    return img


def _oil(cv: _Canvas) -> torch.Tensor:
    return _painterly(cv, cell=cv.uniform(10.0, 14.0), layers=2, half_len=0.95, half_wid=0.32, coherence=0.55,
                      broken=0.25, relief=0.22, bristle=0.35)


def _impressionist(cv: _Canvas) -> torch.Tensor:
    return _painterly(cv, cell=cv.uniform(5.5, 7.0), layers=3, half_len=0.7, half_wid=0.36, coherence=0.2,
                      broken=0.6, relief=0.12, bristle=0.2)


def _watercolor(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    paper = _paper(cv, "watercolor").view(1, 3, 1, 1)
    img = paper.expand(1, 3, cv.h, cv.w).clone()
    pal = cv.palette
    washes = 6
    order = torch.randperm(pal.shape[0], generator=cv.gen).tolist()
    for i in range(washes):
        colour = pal[order[i % len(order)]].view(1, 3, 1, 1)
        warp_y = cv.noise(3.0, octaves=2) * 0.06 * cv.h
        warp_x = cv.noise(3.0, octaves=2) * 0.06 * cv.w
        base = cv.noise(cv.uniform(1.5, 3.0), octaves=3, gain=0.45)
        # domain warp: move the field by a smooth displacement (bleeding, irregular blooms)
        yy, xx = cv.coords()
        gy = ((yy + warp_y[0, 0]) / cv.h) * 2 - 1
        gx = ((xx + warp_x[0, 0]) / cv.w) * 2 - 1
        field = F.grid_sample(base, torch.stack([gx, gy], -1).unsqueeze(0), mode="bilinear",
                              padding_mode="reflection", align_corners=False)
        thr = cv.uniform(0.75, 1.2)
        d = field - thr
        alpha = _smoothstep(0.0, 0.08, d)
        rim = torch.exp(-d.clamp_min(0.0) / 0.12) * alpha  # pigment gathers at the drying edge
        density = alpha * (0.35 + 0.2 * cv.noise(4.0)) + 0.45 * rim
        density = density * (1.0 + 0.25 * cv.fine_noise(1.5))  # granulation
        density = density.clamp(0.0, 0.95)
        img = img * (1.0 - density * (1.0 - colour))  # glaze: pigment filters the light below
    grain = _blur(cv.fine_noise(1.0), 0.7 * u)
    tooth = cv.noise(24.0)
    return img * (1.0 + 0.025 * grain + 0.012 * tooth)


def _hatch_lines(coord: torch.Tensor, spacing: float, width: float, jitter: torch.Tensor) -> torch.Tensor:
    """Parallel lines across ``coord`` (pixels): 1 on a line, 0 between, antialiased."""
    t = (coord + jitter) / spacing
    dist = (t - torch.floor(t) - 0.5).abs() * spacing  # 0 on the line (centred), pixels
    return _smoothstep(width + 0.6, max(0.0, width - 0.6), dist)


def _contours(field: torch.Tensor, level: float, width: float) -> torch.Tensor:
    """A soft line where the (1, 1, H, W) ``field`` crosses ``level``; ``width`` in pixels."""
    gx = F.pad(field[..., :, 1:] - field[..., :, :-1], (0, 1, 0, 0))
    gy = F.pad(field[..., 1:, :] - field[..., :-1, :], (0, 0, 0, 1))
    grad = (gx * gx + gy * gy).sqrt().clamp_min(1e-6)
    return _smoothstep(width, width * 0.3, (field - level).abs() / grad)


def _pencil(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    yy, xx = cv.coords()
    tone = cv.noise(2.0, octaves=3)[0, 0]
    tone = (tone - tone.mean()) / tone.std().clamp_min(1e-6)
    patches = _voronoi(cv, cv.uniform(26.0, 36.0) * u, jitter=1.0)
    n = patches.py.numel()
    base_angle = cv.uniform(0.5, 1.0)  # hatching leans one way, as a hand does
    theta = (base_angle + (cv.rand(n) - 0.5) * 0.9)[patches.owner]
    patch_tone = tone + 0.3 * cv.noise(6.0)[0, 0]
    gap = _smoothstep(0.3 * u, 1.5 * u, patches.border)  # a hairline gap where hatch directions change
    pressure = (0.75 + 0.25 * cv.noise(10.0, stretch=(1.0, 1.0))[0, 0]).clamp(0.3, 1.0)
    spacing = 4.0 * u
    dark = torch.zeros(cv.h, cv.w, device=cv.device)
    jitter = cv.noise(14.0)[0, 0] * 0.6 * u
    for i, (turn, start) in enumerate(((0.0, -0.3), (math.pi / 2, 0.5), (-math.pi / 5, 1.2))):
        a = theta + turn
        across = xx * torch.sin(a) - yy * torch.cos(a)
        lines = _hatch_lines(across, spacing * (1.0 - 0.1 * i), 0.55 * u, jitter)
        weight = _smoothstep(start, start + 0.5, patch_tone) * gap
        dark = torch.maximum(dark, lines * weight * pressure * (0.55 + 0.1 * i))
    field = cv.noise(1.8, octaves=2)
    outline = torch.zeros_like(dark)
    for level in (-0.6, 0.2, 0.9):
        outline = torch.maximum(outline, _contours(field, level, 1.1 * u)[0, 0] * 0.8)
    dark = torch.maximum(dark, outline * pressure)
    tooth = _smoothstep(-1.2, 0.8, cv.fine_noise(1.0)[0, 0])  # graphite catches on the paper's tooth
    dark = dark * (0.55 + 0.45 * tooth)
    # each patch takes a palette colour: shades of graphite by default, coloured pencils with a palette
    lead = cv.palette[torch.randint(cv.palette.shape[0], (n,), generator=cv.gen).to(cv.device)][patches.owner]
    paper = _paper(cv, "pencil_sketch")
    paper = paper * (1.0 + 0.015 * cv.fine_noise(1.5)[0, 0]).unsqueeze(-1)
    rgb = paper + dark.unsqueeze(-1) * (lead - paper)
    return _to_image(rgb)


def _ink(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    yy, xx = cv.coords()
    # rice paper: short fibres in two directions, a warm white
    fibres = torch.maximum(cv.noise(40.0, stretch=(1.0, 6.0)), cv.noise(40.0, stretch=(6.0, 1.0)))[0, 0]
    fibre_line = _smoothstep(1.2, 2.2, fibres)
    ink = torch.zeros(cv.h, cv.w, device=cv.device)
    pal = _by_lightness(cv.palette)
    colour_w = torch.zeros(cv.h, cv.w, 3, device=cv.device)
    ranges = 3
    feather = cv.noise(12.0, octaves=2)[0, 0]
    for r in range(ranges):
        # a mountain ridge: a 1-D profile across the width, lower and darker for nearer ranges
        prof = cv.noise(cv.uniform(1.5, 3.0), octaves=4, gain=0.55, stretch=(1e4, 1.0))[0, 0, 0]
        crest = cv.h * (0.3 + 0.17 * r + cv.uniform(-0.05, 0.05)) - prof * cv.h * (0.1 + 0.04 * r)
        below = yy - crest.view(1, -1) + feather * 3.0 * u  # pixels below the ridge, feathered
        body = _smoothstep(-1.5 * u, 2.5 * u, below)
        mist = torch.exp(-below.clamp_min(0.0) / (cv.h * (0.05 + 0.03 * r)))  # fades into mist
        edge = torch.exp(-below.clamp_min(0.0) / (3.0 * u))  # a darker ink line on the ridge
        strength = 0.3 + 0.2 * r
        cun = cv.noise(18.0, octaves=2, stretch=(5.0, 1.0))[0, 0]  # texture strokes down the slopes
        wash = body * (strength * mist * (0.7 + 0.3 * cv.noise(6.0)[0, 0]) * (1.0 + 0.35 * cun) + 0.3 * edge)
        wash = wash * (1.0 - 0.25 * fibre_line)
        colour = pal[min(r, pal.shape[0] - 1)]
        colour_w = colour_w + wash.unsqueeze(-1) * colour
        ink = ink + wash
    # moss dots (苔点) along the nearest ridge
    dots = _voronoi(cv, 14.0 * u, jitter=1.0)
    n = dots.py.numel()
    radius = (1.2 + 1.8 * cv.rand(n)) * u
    centre_dist = ((yy - dots.py[dots.owner]) ** 2 + (xx - dots.px[dots.owner]) ** 2).sqrt()
    on_ridge = torch.exp(-(yy - crest.view(1, -1) - 6.0 * u).abs() / (6.0 * u))
    keep = (cv.rand(n) < 0.55)[dots.owner]
    dot = _smoothstep(radius[dots.owner], radius[dots.owner] * 0.5, centre_dist) * on_ridge * keep
    ink = ink + 0.8 * dot
    colour_w = colour_w + (0.8 * dot).unsqueeze(-1) * pal[0]
    ink_colour = colour_w / ink.clamp_min(1e-6).unsqueeze(-1)
    density = 1.0 - torch.exp(-1.6 * ink)  # ink adds up but never past black
    paper = _paper(cv, "ink_wash")
    paper = paper * (1.0 - 0.02 * fibre_line + 0.01 * cv.fine_noise(1.0)[0, 0]).unsqueeze(-1)
    rgb = paper + density.unsqueeze(-1) * (ink_colour - paper)
    return _to_image(rgb)


def _mosaic(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    tiles = _voronoi(cv, cv.uniform(10.0, 13.0) * u, jitter=0.55)
    n = tiles.py.numel()
    pal = cv.palette
    k = pal.shape[0]
    # a pattern of bands and blobs, so tiles group into motifs like a real floor
    field = cv.noise(2.0, octaves=2)[0, 0]
    yy, xx = cv.coords()
    ring_y, ring_x = cv.uniform(0.2, 0.8) * cv.h, cv.uniform(0.2, 0.8) * cv.w
    rings = ((yy - ring_y) ** 2 + (xx - ring_x) ** 2).sqrt() / (min(cv.h, cv.w) * cv.uniform(0.12, 0.2))
    pattern = field * 0.8 + torch.sin(rings * math.pi) * 1.0
    order = torch.randperm(k, generator=cv.gen).to(cv.device)
    level = _field_at(pattern, tiles.py, tiles.px)
    idx = order[_ramp_index(((level + 2.0) / 4.0).clamp(0.0, 1.0), k)]
    colours = pal[idx] * (0.9 + 0.18 * cv.rand(n, 1))
    rgb = colours[tiles.owner]
    bevel = 1.0 - 0.12 * _smoothstep(3.0 * u, 0.8 * u, tiles.border)
    sheen = 1.0 + 0.04 * cv.noise(30.0)[0, 0]
    rgb = rgb * (bevel * sheen).unsqueeze(-1)
    grout_colour = torch.tensor(hex_to_rgb("#282621"), device=cv.device)
    grout = _smoothstep(1.3 * u, 0.7 * u, tiles.border).unsqueeze(-1)
    grout_rgb = grout_colour * (1.0 + 0.15 * cv.fine_noise(1.0)[0, 0]).unsqueeze(-1)
    return _to_image(rgb + grout * (grout_rgb - rgb))


def _comic(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    yy, xx = cv.coords()
    pal = cv.palette
    k = pal.shape[0]
    # flat regions: bands of a smooth field (organic shapes), each band a flat bold colour
    field = cv.noise(cv.uniform(2.0, 3.0), octaves=2)[0, 0]
    levels = 5
    pos = ((field * 0.9 + 2.0) / 4.0 * levels).clamp(0.0, levels - 1e-3)
    band = pos.long()
    colour_idx = torch.randperm(max(k, levels), generator=cv.gen).to(cv.device) % k
    flat = pal[colour_idx[band]]
    # distance in pixels to the nearest band edge: |pos - round(pos)| / |grad pos|
    gx = F.pad(pos[:, 1:] - pos[:, :-1], (0, 1))
    gy = F.pad(pos[1:] - pos[:-1], (0, 0, 0, 1))
    grad = (gx * gx + gy * gy).sqrt().clamp_min(1e-6)
    edge_dist = (pos - pos.round()).abs() / grad
    edge_dist = torch.where((pos.round() <= 0) | (pos.round() >= levels), torch.full_like(pos, 1e9), edge_dist)
    outline = _smoothstep(2.2 * u, 1.4 * u, edge_dist)
    # halftone: a rotated regular dot grid; dot radius follows a shading gradient per region
    period = 6.0 * u
    rot = math.radians(cv.uniform(15.0, 45.0))
    pu = (xx * math.cos(rot) + yy * math.sin(rot)) / period
    pv = (-xx * math.sin(rot) + yy * math.cos(rot)) / period
    du = pu - torch.floor(pu) - 0.5
    dv = pv - torch.floor(pv) - 0.5
    r = (du * du + dv * dv).sqrt() * period
    # shading: bigger dots away from a light in one corner; one band in five stays flat colour
    ly, lx = cv.uniform(0.0, 1.0) * cv.h, cv.uniform(0.0, 1.0) * cv.w
    shade = (((yy - ly) ** 2 + (xx - lx) ** 2).sqrt() / (min(cv.h, cv.w) * 1.1)).clamp(0.0, 1.0)
    shade = (shade + 0.25 * cv.noise(4.0)[0, 0]).clamp(0.0, 1.0)
    dotted = (torch.arange(levels, device=cv.device) != cv.randint(levels))[band]
    radius = (0.18 + 0.3 * shade) * period
    dots = _smoothstep(radius + 0.5, radius - 0.5, r) * dotted
    dot_colour = flat * 0.45  # a darker print of the same ink
    rgb = flat + dots.unsqueeze(-1) * (dot_colour - flat)
    ink = torch.tensor(hex_to_rgb("#111111"), device=cv.device)
    rgb = rgb + outline.unsqueeze(-1) * (ink - rgb)
    return _to_image(rgb)


_BAYER_2 = torch.tensor([[0.0, 2.0], [3.0, 1.0]]) / 4.0 + 0.125


def _pixel_art(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    block = max(2, round(cv.uniform(7.0, 10.0) * u))
    gh, gw = math.ceil(cv.h / block), math.ceil(cv.w / block)
    small = _Canvas(gh, gw, cv.gen, cv.device, cv.palette, cv.custom_palette)
    pal = _by_lightness(cv.palette)
    k = pal.shape[0]
    field = small.noise(max(1.5, 3.0 * min(gh, gw) / 32.0), octaves=2)[0, 0]
    field = (field - field.min()) / (field.max() - field.min()).clamp_min(1e-6)
    yy, xx = small.coords()
    bayer = _BAYER_2.to(cv.device)[yy.long() % 2, xx.long() % 2]
    levels = field * (k - 1)
    idx = (torch.floor(levels) + (levels - torch.floor(levels) > bayer).float()).long().clamp(0, k - 1)
    # dark outline where a light shape meets a much darker one (2+ steps down the ramp)
    up = torch.cat([idx[:1], idx[:-1]], 0)
    left = torch.cat([idx[:, :1], idx[:, :-1]], 1)
    edge = ((idx - up).abs() >= 2) | ((idx - left).abs() >= 2)
    idx = torch.where(edge, torch.zeros_like(idx), idx)
    rgb = pal[idx]  # (gh, gw, 3): exact palette colours
    rgb = rgb.repeat_interleave(block, 0).repeat_interleave(block, 1)[: cv.h, : cv.w]
    return _to_image(rgb)


def _segment_distance(yy, xx, y0: float, x0: float, y1: float, x1: float) -> torch.Tensor:
    """Distance in pixels from each pixel to the segment (y0, x0)-(y1, x1)."""
    dy, dx = y1 - y0, x1 - x0
    t = (((yy - y0) * dy + (xx - x0) * dx) / max(dy * dy + dx * dx, 1e-9)).clamp(0.0, 1.0)
    return ((yy - y0 - t * dy) ** 2 + (xx - x0 - t * dx) ** 2).sqrt()


def _neon(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    yy, xx = cv.coords()
    s = min(cv.h, cv.w)
    pal = cv.palette
    wall = torch.tensor(hex_to_rgb("#07060e"), device=cv.device)
    bricks = 1.0 + 0.25 * cv.noise(6.0)[0, 0] + 0.1 * cv.fine_noise(1.0)[0, 0]
    light = torch.zeros(cv.h, cv.w, 3, device=cv.device)  # linear light, added up
    shapes = 3 + cv.randint(4)
    for i in range(shapes):
        cy, cx = cv.uniform(0.15, 0.85) * cv.h, cv.uniform(0.15, 0.85) * cv.w
        size = cv.uniform(0.1, 0.28) * s
        kind = cv.randint(4)  # ring, frame, zigzag, wave
        if kind == 0:  # ring
            d = (((yy - cy) ** 2 + (xx - cx) ** 2).sqrt() - size).abs()
        elif kind == 1:  # rounded frame
            qy = (yy - cy).abs() - size * cv.uniform(0.5, 1.0)
            qx = (xx - cx).abs() - size * cv.uniform(0.7, 1.3)
            outside = torch.stack([qy.clamp_min(0), qx.clamp_min(0)]).pow(2).sum(0).sqrt()
            d = (outside + torch.maximum(qy, qx).clamp_max(0.0) - 4.0 * u).abs()
        else:  # a zigzag or a wave: a polyline
            segments = 6 if kind == 2 else 14
            amp = size * cv.uniform(0.2, 0.35)
            span = size * cv.uniform(1.2, 1.8)
            t = torch.linspace(-1.0, 1.0, segments + 1)
            zig = torch.where(torch.arange(segments + 1) % 2 == 0, -1.0, 1.0) if kind == 2 else torch.sin(t * math.pi * 2.0)
            pts_x = (cx + t * span).tolist()
            pts_y = (cy + amp * zig).tolist()
            d = torch.full_like(yy, 1e9)
            for j in range(segments):
                d = torch.minimum(d, _segment_distance(yy, xx, pts_y[j], pts_x[j], pts_y[j + 1], pts_x[j + 1]))
        tube = 1.6 * u
        colour = color.srgb_to_linear(pal[cv.randint(pal.shape[0])].clone())
        core = torch.exp(-((d / tube) ** 2))
        glow = 0.4 * torch.exp(-d / (4.0 * u)) + 0.035 * torch.exp(-d / (14.0 * u))
        white = torch.ones(3, device=cv.device)
        light = light + core.unsqueeze(-1) * (0.5 * colour + 0.7 * white) * 1.6 + glow.unsqueeze(-1) * colour
    base = color.srgb_to_linear(wall) * bricks.unsqueeze(-1)
    lin = base + light
    lin = 1.0 - torch.exp(-lin * 1.3)  # soft shoulder: overlapping glows saturate, never clip
    return _to_image(color.linear_to_srgb(lin.clamp(0.0, 1.0)))


def _vintage(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    yy, xx = cv.coords()
    pal = _by_lightness(cv.palette)
    k = pal.shape[0]
    # a defocused photo: a light sky over darker ground at a wavy horizon, soft bokeh discs
    horizon = cv.h * cv.uniform(0.4, 0.65) + cv.noise(1.5)[0, 0] * 0.08 * cv.h
    sky_t = (yy / horizon).clamp(0.0, 1.0)  # 0 at the top, 1 at the horizon
    ground_t = ((yy - horizon) / (cv.h - horizon).clamp_min(1.0)).clamp(0.0, 1.0)
    blend = _smoothstep(-0.04 * cv.h, 0.04 * cv.h, yy - horizon).unsqueeze(-1)
    drift = (0.15 * cv.noise(2.0)[0, 0]).unsqueeze(-1)
    sky = pal[k - 1] + (sky_t.unsqueeze(-1) + drift).clamp(0, 1) * (pal[max(k - 3, 0)] - pal[k - 1])
    ground = pal[min(1, k - 1)] + (ground_t.unsqueeze(-1) - drift).clamp(0, 1) * (pal[0] - pal[min(1, k - 1)])
    lin = color.srgb_to_linear(sky + blend * (ground - sky))
    img = _to_image(color.linear_to_srgb(lin.clamp(0, 1)))
    # light leak: a warm glow bleeding in from one edge
    side = cv.randint(4)
    pos_along = (xx / cv.w) if side < 2 else (yy / cv.h)
    dist = (yy / cv.h) if side == 0 else (1 - yy / cv.h) if side == 1 else (xx / cv.w) if side == 2 else (1 - xx / cv.w)
    leak = torch.exp(-dist / 0.18) * _smoothstep(0.0, 0.6, 1.0 - (pos_along - cv.uniform(0.2, 0.8)).abs() * 1.5)
    leak_colour = torch.tensor(hex_to_rgb("#ff6a2b"), device=cv.device).view(1, 3, 1, 1)
    img = 1.0 - (1.0 - img) * (1.0 - 0.6 * leak * leak_colour)  # screen blend
    # fade: lifted blacks, lowered whites, less chroma
    lab = color.srgb_to_oklab(img)
    L = 0.14 + 0.74 * lab[:, :1]
    grain = _blur(cv.fine_noise(1.0), 0.6 * u) * 1.6
    L = L + 0.035 * grain * (0.5 + L * (1 - L) * 2.0)
    vign = ((yy / cv.h - 0.5) ** 2 + (xx / cv.w - 0.5) ** 2).sqrt() * 1.414
    L = L * (1.0 - 0.35 * _smoothstep(0.45, 1.0, vign))
    # dust specks and vertical scratches
    specks = _smoothstep(3.3, 3.8, cv.fine_noise(1.5).abs())
    scratch_x = cv.rand(2 + cv.randint(3)) * cv.w
    scratches = torch.zeros_like(xx)
    for sx in scratch_x.tolist():
        wobble = cv.noise(2.0)[0, 0] * 3.0 * u
        scratches = torch.maximum(scratches, _smoothstep(0.9 * u, 0.2 * u, (xx - sx - wobble).abs()))
    L = L + 0.25 * specks[0] * (0.5 - L) * 2 + 0.12 * scratches
    ab = lab[:, 1:] * 0.7
    return color.oklab_to_srgb(torch.cat([L.clamp(0, 1), ab], 1))


def _stained_glass(cv: _Canvas) -> torch.Tensor:
    u = cv.unit
    yy, xx = cv.coords()
    cells = _voronoi(cv, cv.uniform(34.0, 46.0) * u, jitter=1.0)
    n = cells.py.numel()
    pal = cv.palette
    k = pal.shape[0]
    # a round rose-window lead splits cells: inside and outside of it take different glass
    ry, rx = cv.uniform(0.3, 0.7) * cv.h, cv.uniform(0.3, 0.7) * cv.w
    rr = cv.uniform(0.2, 0.35) * min(cv.h, cv.w)
    dist_ring = ((yy - ry) ** 2 + (xx - rx) ** 2).sqrt() - rr
    inside = (dist_ring < 0).long()
    glass_idx = torch.randint(k, (n, 2), generator=cv.gen).to(cv.device)
    idx = glass_idx[cells.owner, inside]
    rgb = pal[idx]
    # mottled glass lit from behind: brighter in the middle of each pane, uneven thickness
    centre = _smoothstep(0.0, 14.0 * u, cells.border)
    mottle = cv.noise(10.0, octaves=2)[0, 0]
    light = (0.78 + 0.22 * centre + 0.08 * mottle).unsqueeze(-1)
    glow = (0.08 * centre).unsqueeze(-1)
    rgb = (rgb * light + glow).clamp(0.0, 1.0)
    lead_dist = torch.minimum(cells.border, dist_ring.abs())
    lead = _smoothstep(2.8 * u, 2.0 * u, lead_dist).unsqueeze(-1)
    came = torch.tensor(hex_to_rgb("#17140f"), device=cv.device)
    shine = (0.12 * torch.exp(-((lead_dist - 0.8 * u) / (0.6 * u)) ** 2)).unsqueeze(-1)  # a soft highlight on the lead
    came_rgb = came + shine
    return _to_image(rgb + lead * (came_rgb - rgb))


_RENDERERS: dict[str, Callable[[_Canvas], torch.Tensor]] = {
    "oil_painting": _oil,
    "watercolor": _watercolor,
    "pencil_sketch": _pencil,
    "ink_wash": _ink,
    "mosaic": _mosaic,
    "pixel_art": _pixel_art,
    "comic": _comic,
    "neon": _neon,
    "vintage_film": _vintage,
    "impressionist": _impressionist,
    "stained_glass": _stained_glass,
}
assert set(_RENDERERS) == set(MEDIA), "every medium of spokenstyle.MEDIA needs a renderer"


# ---------------------------------------------------------------------------------- public API


def render_exemplar(medium: str, *, size=256, seed: int | None = None, palette: Sequence[str] | None = None,
                    device="cpu") -> torch.Tensor:
    """A style exemplar for ``medium``: (1, 3, H, W) float32 sRGB in [0, 1] on ``device``.

    ``size``: an int (square) or (height, width), each 16..4096. ``seed``: an int (None = 0); the
    same seed gives the same image. ``palette``: '#rrggbb' colours to paint with (default: the
    medium's own, :data:`DEFAULT_PALETTES`). No look is applied; see :class:`ExemplarGenerator`.
    """
    medium = _check_medium(medium)
    h, w = _check_size(size)
    seed = _check_seed(seed)
    try:
        device = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise UsageError(f"device={device!r} is not a torch device ({exc}); use e.g. 'cpu' or 'cuda'") from None
    gen = torch.Generator(device="cpu").manual_seed(seed)
    canvas = _Canvas(h, w, gen, device, _palette_rgb(palette, medium, device), bool(palette))
    with torch.no_grad():
        img = _RENDERERS[medium](canvas)
    return img.float().clamp_(0.0, 1.0).contiguous()


#: Look attributes the exemplar leaves to the photo (see the module docstring).
_NOT_ON_EXEMPLAR = ("vignette",)


class ExemplarGenerator:
    """Callable generator: ``gen(intent, *, size=256, seed=None, device="cpu", look=True)``.

    Returns a (1, 3, H, W) float32 sRGB image in [0, 1] showing ``intent.medium`` in
    ``intent.palette`` (or the medium's default colours), graded with the intent's look unless
    ``look=False``. Registered as the built-in generator ``exemplar``.
    """

    media = MEDIA

    def __call__(self, intent: StyleIntent, *, size=256, seed: int | None = None, device="cpu",
                 look: bool = True) -> torch.Tensor:
        if not isinstance(intent, StyleIntent):
            raise UsageError(
                f"intent must be a spokenstyle.StyleIntent, got {type(intent).__name__}; "
                "use engine.encode(prompt) or StyleIntent(medium=...)"
            )
        if not intent.medium:
            raise UsageError(
                "intent.medium is empty: the exemplar generator paints a medium; use a prompt that names one "
                "(e.g. 'oil painting', '水墨') or StyleIntent(medium=...), one of " + ", ".join(MEDIA)
            )
        img = render_exemplar(intent.medium, size=size, seed=seed, palette=intent.palette, device=device)
        if look:
            attrs = {k: v for k, v in intent.attributes.items() if k not in _NOT_ON_EXEMPLAR}
            look_intent = StyleIntent(attributes=attrs)
            if look_intent.changed:
                from .grade import grade

                img = grade(img, look_intent, seed=_check_seed(seed))
        return img
