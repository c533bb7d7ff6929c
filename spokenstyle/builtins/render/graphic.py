"""Graphic media: comic, neon and ukiyo-e, built from flat colour and lines.

* comic: the photo smoothed (``ops.bilateral``), posterised to a few of its own colours
  (k-means in Oklab) and outlined in black where the flow-based DoG finds edges; optional
  halftone dots in the shadows;
* neon: the photo's edges as glowing tubes of its own hues, at full chroma, on a dark ground;
* ukiyo-e (浮世绘, woodblock): flat areas of a few colours pulled towards the pigments of
  Edo-period prints (Prussian blue, indigo, vermilion, ochre, sage), sumi outlines, and the
  grain of the paper and block.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ... import ops
from ...image import color
from . import toolkit as tk

INK = (0.06, 0.055, 0.06)
SUMI = (0.13, 0.11, 0.10)
WASHI = (0.95, 0.91, 0.81)
#: Pigments of Edo woodblock prints, sRGB hex.
WOODBLOCK = ("#1f3a5f", "#3b5b8c", "#7fa7b5", "#c0392b", "#d9773b", "#e1b866", "#7d9464", "#4a5d3a",
             "#8c5a3c", "#d8c3a0", "#2b2522")
NEON_DEFAULT = ("#21e6ff", "#ff36c8")


def _flat(x: torch.Tensor, k: int, palette: list[str] | None, *, chroma: float, smooth: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The photo smoothed and posterised to ``k`` of its colours: (flat sRGB, Oklab palette per image)."""
    s = tk.scale_of(x)
    soft = ops.bilateral(x.contiguous(), sigma_space=smooth * s, sigma_range=0.1)
    soft = ops.bilateral(soft, sigma_space=smooth * s, sigma_range=0.1)
    named = tk.named_palette(palette, x.device)
    out = torch.empty_like(soft)
    pals = []
    for i in range(x.shape[0]):
        pal = tk.toward_named(tk.kmeans_palette(soft[i : i + 1], k, chroma_weight=2.0), named)
        idx = tk.nearest(color.srgb_to_oklab(soft[i : i + 1]), pal, chroma_weight=1.5)
        # Majority filter: a label's lone pixels join their neighbours', so areas stay clean.
        idx = _majority(idx, k, max(1, int(round(1.5 * s))))
        shown = torch.cat([pal[:, :1], pal[:, 1:] * chroma], 1)
        out[i] = tk.paint(idx, tk.lab_to_rgb(shown))[0]
        pals.append(shown)
    return out, torch.stack(pals)


def _majority(idx: torch.Tensor, k: int, radius: int) -> torch.Tensor:
    onehot = F.one_hot(idx, k).permute(0, 3, 1, 2).float()
    votes = F.avg_pool2d(onehot, 2 * radius + 1, 1, radius, count_include_pad=False)
    return votes.argmax(dim=1)


def _outlines(x: torch.Tensor, *, sigma: float, width: float) -> torch.Tensor:
    s = tk.scale_of(x)
    tensor, *_ = tk.flow_of(x, sigma=2.0 * s)
    lines = tk.line_drawing(tk.luma(x), tensor, sigma=sigma * s, sharpness=1.8, sigma_m=3.0 * s)
    lines = tk.smoothstep(0.35, 0.6, lines)
    r = int(math.floor(width * s / 2))
    if r:
        lines = F.max_pool2d(lines, 2 * r + 1, 1, r)
    return tk.blur(lines, 0.5)


def _over(base: torch.Tensor, ink: tuple[float, float, float], amount: torch.Tensor) -> torch.Tensor:
    k = torch.tensor(ink, device=base.device).view(1, 3, 1, 1)
    return base * (1.0 - amount) + k * amount


def comic(x: torch.Tensor, *, seed: int | None, palette: list[str] | None = None, colors: int = 6,
          halftone: bool = False) -> torch.Tensor:
    """Flat colours and black outlines; ``halftone`` adds dots in the darker areas."""
    s = tk.scale_of(x)
    flat, _ = _flat(x, colors, palette, chroma=1.2, smooth=3.0)
    if halftone:
        n, _, h, w = x.shape
        period = max(3.0, 6.0 * s)
        xs, ys = tk._pixel_grid(n, h, w, x.device)
        u, v = (xs + ys) / (period * math.sqrt(2)), (xs - ys) / (period * math.sqrt(2))
        d = ((u - u.round()) ** 2 + (v - v.round()) ** 2).sqrt().unsqueeze(1)  # 0 at dot centres
        dark = 1.0 - tk.luma(flat)
        dots = tk.smoothstep(-0.05, 0.05, dark * 0.75 - 0.2 - d)
        flat = flat * (1.0 - 0.35 * dots)
    return _over(flat, INK, _outlines(x, sigma=1.1, width=2.0)).clamp(0.0, 1.0)


def neon(x: torch.Tensor, *, seed: int | None, palette: list[str] | None = None) -> torch.Tensor:
    """The photo's edges as glowing tubes of saturated colour over a nearly black ground.
    A tube takes the photo's own hue there; where the photo is grey it takes the prompt's
    colours (or cyan and magenta), chosen by the edge's direction."""
    n, _, h, w = x.shape
    s = tk.scale_of(x)
    dev = x.device
    tensor, tx, ty, _ = tk.flow_of(x, sigma=2.0 * s)
    lines = tk.line_drawing(tk.luma(x), tensor, sigma=1.5 * s, sharpness=1.7, sigma_m=4.0 * s)
    lab = color.srgb_to_oklab(tk.blur(x, 2.0 * s))
    ab = lab[:, 1:]
    c = ab.norm(dim=1, keepdim=True)
    hexes = palette if palette and len(palette) >= 2 else NEON_DEFAULT
    named = tk.named_palette(list(hexes), dev)
    hi = named[torch.argsort(named[:, 0], descending=True)[:2]]  # the two lightest: tube colours
    pick = (0.5 + 0.5 * (tx * tx - ty * ty))  # 1 along horizontal edges, 0 along vertical ones
    alt = torch.lerp(hi[1, 1:].view(1, 2, 1, 1), hi[0, 1:].view(1, 2, 1, 1), pick)
    alt = alt / alt.norm(dim=1, keepdim=True).clamp_min(1e-6)
    own = ab / c.clamp_min(1e-6)
    wgt = tk.smoothstep(0.02, 0.06, c)
    direction = wgt * own + (1 - wgt) * alt
    direction = direction / direction.norm(dim=1, keepdim=True).clamp_min(1e-6)
    tube = color.oklab_to_srgb(torch.cat([torch.full_like(c, 0.72), 0.22 * direction], 1)).clamp(0.0, 1.0)
    light = tube * lines
    glow = 0.9 * tk.blur(light, 2.0 * s) + 0.8 * tk.blur(light, 6.0 * s) + 0.6 * tk.blur(light, 16.0 * s)
    core = (lines ** 2) * 0.45
    ground = 0.07 * x + torch.tensor([0.01, 0.01, 0.03], device=dev).view(1, 3, 1, 1)
    out = 1.0 - (1.0 - ground) * (1.0 - glow.clamp(0, 1)) * (1.0 - light) * (1.0 - core)
    return out.clamp(0.0, 1.0)


def ukiyo_e(x: torch.Tensor, *, seed: int | None, palette: list[str] | None = None, colors: int = 7) -> torch.Tensor:
    """Woodblock print: flat areas in woodblock pigments, sumi outlines, printed on washi."""
    n, _, h, w = x.shape
    s = tk.scale_of(x)
    dev = x.device
    flat, _ = _flat(x, colors, palette, chroma=1.0, smooth=3.5)
    lab = color.srgb_to_oklab(flat)
    pigments = tk.named_palette(list(WOODBLOCK), dev)
    flat_lab = lab.permute(0, 2, 3, 1).reshape(-1, 3)
    moved = tk.toward_named(flat_lab, pigments if not palette else tk.named_palette(palette, dev), 0.6)
    moved[:, :1] = torch.lerp(flat_lab[:, :1], moved[:, :1], 1.0)
    lab = moved.view(n, h, w, 3).permute(0, 3, 1, 2)
    # The lightest areas are left unprinted: the paper itself.
    L = lab[:, :1]
    printed = color.oklab_to_srgb(torch.cat([L.clamp(max=0.93), lab[:, 1:]], 1)).clamp(0.0, 1.0)
    sheet, tooth = tk.paper(n, h, w, WASHI, s, seed, dev, tooth=0.05)
    bare = tk.smoothstep(0.86, 0.92, L)
    # Ink from a wooden block: the grain shows as faint streaks along the block.
    grain = tk.blur(tk.noise((n, 1, h, max(1, w // 8)), seed, 401, dev), 1.0)
    grain = F.interpolate(grain, size=(h, w), mode="bilinear", align_corners=False)
    printed = printed * (0.94 + 0.1 * grain) * (sheet / torch.tensor(WASHI, device=dev).view(1, 3, 1, 1))
    base = printed * (1.0 - bare) + sheet * bare
    return _over(base, SUMI, _outlines(x, sigma=1.0, width=1.5) * 0.95).clamp(0.0, 1.0)
