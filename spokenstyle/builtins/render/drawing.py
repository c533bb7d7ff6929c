"""Drawn media: pencil sketch, charcoal and ink wash, from the photo's own edges and tones.

Lines come from the flow-based DoG of the photo's lightness (:func:`toolkit.line_drawing`);
tones become hatching (noise smeared along the photo's flow into strokes, thresholded by how
dark the photo is there) or, for ink, a few flat washes with bleeding edges. The result is
grey pigment on a sheet of paper: lines where the photo has edges, paper where it is light.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ... import ops
from . import toolkit as tk

PAPER = (0.965, 0.955, 0.93)
GRAPHITE = (0.23, 0.23, 0.25)
CHARCOAL_PAPER = (0.93, 0.915, 0.88)
CHARCOAL = (0.10, 0.10, 0.11)
RICE_PAPER = (0.955, 0.94, 0.90)
INK = (0.07, 0.07, 0.08)


def _tone(lum: torch.Tensor) -> torch.Tensor:
    """Darkness in [0, 1] (0 = paper), stretched between the photo's 2nd and 98th percentiles."""
    lo, hi = tk.quantile(lum, 0.02), tk.quantile(lum, 0.98)
    return 1.0 - ((lum - lo) / (hi - lo).clamp_min(0.05)).clamp(0.0, 1.0)


def _hatch_field(tx: torch.Tensor, ty: torch.Tensor, aniso: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The direction hatching follows: the photo's flow where it has one, a diagonal where it
    is flat (a draughtsman's default stroke), blended by the anisotropy."""
    dx, dy = math.cos(math.radians(-55)), math.sin(math.radians(-55))
    sign = torch.where(tx * dx + ty * dy < 0, -1.0, 1.0)
    wgt = tk.smoothstep(0.15, 0.6, aniso)
    hx = wgt * sign * tx + (1 - wgt) * dx
    hy = wgt * sign * ty + (1 - wgt) * dy
    norm = (hx * hx + hy * hy).sqrt().clamp_min(1e-6)
    return hx / norm, hy / norm


def _streaks(shape, hx, hy, length: float, s: float, seed, salt: int, device, *, across: bool = False,
             grain: float = 0.6) -> torch.Tensor:
    """Strokes: white noise smeared along the field, as a roughly uniform value in [0, 1]
    (thresholding it at ``t`` inks about a fraction ``t`` of the paper)."""
    n, _, h, w = shape
    nz = tk.blur(tk.noise((n, 1, h, w), seed, salt, device), grain * s)
    lic = tk.along_flow(nz, hx, hy, length, step=max(1.0, s), across=across)
    z = (lic - lic.mean(dim=(-2, -1), keepdim=True)) / lic.std(dim=(-2, -1), keepdim=True).clamp_min(1e-6)
    return 0.5 * (1.0 + torch.erf(z / math.sqrt(2.0)))


def _on_paper(sheet: torch.Tensor, pigment: tuple[float, float, float], ink: torch.Tensor) -> torch.Tensor:
    p = torch.tensor(pigment, device=sheet.device).view(1, 3, 1, 1)
    ink = ink.clamp(0.0, 1.0)
    return sheet * (1.0 - ink) + p * ink


def pencil_sketch(x: torch.Tensor, *, seed: int | None, charcoal: bool = False) -> torch.Tensor:
    """Graphite lines along the photo's edges and hatching in its darker tones, on paper.
    ``charcoal``: broader, darker, smudged marks that catch on the paper's tooth."""
    n, _, h, w = x.shape
    s = tk.scale_of(x)
    dev = x.device
    lum = tk.luma(x)
    tensor, *_ = tk.flow_of(x, sigma=2.0 * s)
    _, tx, ty, aniso = tk.flow_of(x, sigma=6.0 * s)
    hx, hy = _hatch_field(tx, ty, aniso)
    dark = _tone(tk.blur(lum, (1.5 if charcoal else 0.8) * s))
    sheet, tooth = tk.paper(n, h, w, CHARCOAL_PAPER if charcoal else PAPER, s, seed, dev,
                            tooth=0.08 if charcoal else 0.04)
    if not charcoal:
        lines = tk.line_drawing(lum, tensor, sigma=0.9 * s, sharpness=1.2, sigma_m=3.0 * s)
        s1 = _streaks(x.shape, hx, hy, 12.0 * s, s, seed, 11, dev, grain=0.45)
        s2 = _streaks(x.shape, hx, hy, 12.0 * s, s, seed, 12, dev, across=True, grain=0.45)
        first = tk.smoothstep(-0.06, 0.06, (dark * 1.1 - 0.25) - s1)
        second = tk.smoothstep(-0.06, 0.06, ((dark - 0.55) * 1.5) - s2)
        shade = 0.12 * dark
        ink = 1.0 - (1.0 - 0.92 * lines) * (1.0 - 0.42 * first) * (1.0 - 0.38 * second) * (1.0 - shade)
        ink = ink * (0.8 + 0.4 * tooth)
        return _on_paper(sheet, GRAPHITE, ink)
    lines = tk.line_drawing(lum, tensor, sigma=1.6 * s, sharpness=0.9, sigma_m=4.0 * s)
    lines = tk.blur(lines, 0.8 * s)
    strokes = _streaks(x.shape, hx, hy, 12.0 * s, s, seed, 13, dev, grain=1.5)
    smudge = tk.blur(dark, 3.0 * s) ** 1.3
    fill = tk.smoothstep(-0.15, 0.15, dark * 1.1 - 0.1 - 0.6 * (strokes - 0.5) - 0.25)
    ink = 1.0 - (1.0 - 0.95 * lines) * (1.0 - 0.42 * smudge) * (1.0 - 0.45 * fill)
    # Charcoal sits on the peaks of the paper: the valleys stay light in the mid tones.
    catch = tk.smoothstep(0.2, 0.75, tooth + ink * 0.6)
    ink = ink * (0.55 + 0.45 * catch)
    return _on_paper(sheet, CHARCOAL, ink)


def ink_wash(x: torch.Tensor, *, seed: int | None) -> torch.Tensor:
    """Sumi-e: three or four flat ink tones that bleed into the paper at their edges, and
    brush lines on the strongest edges, on rice paper."""
    n, _, h, w = x.shape
    s = tk.scale_of(x)
    dev = x.device
    lum = tk.luma(x)
    smooth = ops.bilateral(lum.contiguous(), sigma_space=3.0 * s, sigma_range=0.08)
    dark = _tone(smooth)
    # Wobble the washes' outlines with smooth noise, as wet ink spreads unevenly.
    wob = torch.cat([tk.value_noise(n, h, w, 24.0 * s, seed, 31 + i, dev, octaves=2) for i in range(2)], 1) - 0.5
    xs, ys = tk._pixel_grid(n, h, w, dev)
    amp = 3.0 * s
    warped = tk._sample(dark, xs + amp * 2 * wob[:, 0], ys + amp * 2 * wob[:, 1])
    levels = (0.22, 0.5, 0.78)
    wash = sum(tk.smoothstep(t - 0.03, t + 0.03, warped) for t in levels) / len(levels)
    wash = tk.blur(wash, 1.2 * s)
    # Pigment pools where a wash ends: a darker rim on the inside of each edge.
    rim = (wash - tk.blur(wash, 3.0 * s)).clamp_min(0.0)
    density = (0.78 * wash ** 1.15 + 0.9 * rim).clamp(0.0, 1.0)
    tensor, *_ = tk.flow_of(x, sigma=2.5 * s)
    lines = tk.line_drawing(lum, tensor, sigma=1.3 * s, sharpness=1.4, sigma_m=4.0 * s)
    lines = tk.blur(lines, 0.6 * s)
    sheet, tooth = tk.paper(n, h, w, RICE_PAPER, s, seed, dev, tooth=0.06)
    ink = 1.0 - (1.0 - density * (0.85 + 0.3 * (tooth - 0.5))) * (1.0 - 0.9 * lines)
    return _on_paper(sheet, INK, ink)
