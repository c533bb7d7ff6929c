"""One renderer per medium: each paints a :class:`~.kit._Canvas` with the kit's blocks
(the texture vocabulary is listed in :mod:`spokenstyle.builtins.exemplar`)."""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from ...core.intent import MEDIA, hex_to_rgb
from ...image import color
from .kit import _blur, _by_lightness, _Canvas, _field_at, _paper, _ramp_index, _relief, _smoothstep, _strokes, _to_image, _voronoi

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


RENDERERS: dict[str, Callable[[_Canvas], torch.Tensor]] = {
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
assert set(RENDERERS) == set(MEDIA), "every medium of spokenstyle.MEDIA needs a renderer"
