"""What the medium renderers share: blurs, the photo's flow, seeded noise and paper, line
drawing from the flow-based DoG, palettes, and cells.

Everything works on (N, C, H, W) float tensors on the photo's device. Random parts come from
a CPU ``torch.Generator`` seeded by the caller and are then moved to the device, so a seed
gives the same picture on every machine. Sizes are given for a 512-pixel short side and
scaled with the photo (:func:`scale_of`), so a larger photo gets the same picture, not finer
strokes.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ... import ops
from ...image import color

#: Short side (pixels) the renderers' sizes are written for.
REFERENCE_SIDE = 512


def scale_of(x: torch.Tensor) -> float:
    """How much larger than :data:`REFERENCE_SIDE` the photo's short side is (at least 0.4)."""
    return max(0.4, min(x.shape[-2:]) / REFERENCE_SIDE)


def luma(x: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) Oklab lightness of an sRGB batch: perceptually even steps of grey."""
    return color.srgb_to_oklab(x)[:, :1].clamp(0.0, 1.0)


# --------------------------------------------------------------------------------- blurs
def _kernel(sigma: float, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, int]:
    r = max(1, int(math.ceil(3.0 * sigma)))
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return (k / k.sum()).to(device=device, dtype=dtype), r


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur with replicated borders; wide blurs run on a downsampled copy
    (a Gaussian of sigma 8 and more has nothing a quarter-size image lacks)."""
    if sigma <= 0.3:
        return x
    if sigma >= 8.0:
        f = int(sigma // 4)
        h, w = x.shape[-2:]
        small = F.avg_pool2d(x, f, ceil_mode=True)
        small = blur(small, math.sqrt(max(sigma * sigma / (f * f) - 0.25, 0.1)))
        return F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    k, r = _kernel(sigma, x.device, x.dtype)
    c = x.shape[1]
    r = min(r, x.shape[-1] - 1, x.shape[-2] - 1) if min(x.shape[-2:]) > 1 else 0
    if r == 0:
        return x
    k = k[k.numel() // 2 - r : k.numel() // 2 + r + 1]
    k = k / k.sum()
    y = F.conv2d(F.pad(x, (r, r, 0, 0), mode="replicate"), k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(F.pad(y, (0, 0, r, r), mode="replicate"), k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def gradient(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Central differences (d/dx, d/dy) with replicated borders, same shape as ``x``."""
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    return (p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) * 0.5, (p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) * 0.5


def edge_strength(x: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) gradient magnitude of the lightness, normalised by its 99th percentile."""
    gx, gy = gradient(luma(x))
    g = (gx * gx + gy * gy).sqrt()
    return g / quantile(g, 0.99).clamp_min(1e-4)


def quantile(x: torch.Tensor, q: float, samples: int = 65536) -> torch.Tensor:
    """Per-image ``q`` quantile of ``x`` ((N, 1, 1, 1)), from an evenly strided subsample."""
    flat = x.reshape(x.shape[0], -1)
    step = max(1, flat.shape[1] // samples)
    return torch.quantile(flat[:, ::step].float(), q, dim=1).view(-1, 1, 1, 1).to(x.dtype)


# ---------------------------------------------------------------------------------- flow
def tangent(tensor: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The flow of a structure tensor ((N, 3, H, W): Exx, Exy, Eyy): the unit vector along
    the edges (tx, ty) and the anisotropy in [0, 1] (0 where there is no direction)."""
    exx, exy, eyy = tensor[:, 0:1], tensor[:, 1:2], tensor[:, 2:3]
    root = ((exx - eyy) ** 2 + 4.0 * exy * exy).clamp_min(0.0).sqrt()
    l1 = 0.5 * (exx + eyy + root)
    l2 = 0.5 * (exx + eyy - root)
    tx, ty = l1 - exx, -exy
    norm = (tx * tx + ty * ty).sqrt()
    flat = norm < 1e-9
    # Where the tensor is isotropic in x (Exy = 0, Exx >= Eyy) the tangent is vertical.
    tx = torch.where(flat, torch.zeros_like(tx), tx / norm.clamp_min(1e-9))
    ty = torch.where(flat, torch.ones_like(ty), ty / norm.clamp_min(1e-9))
    total = l1 + l2
    aniso = torch.where(total > 1e-9, (l1 - l2) / total.clamp_min(1e-9), torch.zeros_like(total))
    return tx, ty, aniso.clamp(0.0, 1.0)


def _pixel_grid(n: int, h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    ys = torch.arange(h, device=device, dtype=torch.float32).view(1, h, 1).expand(n, h, w)
    xs = torch.arange(w, device=device, dtype=torch.float32).view(1, 1, w).expand(n, h, w)
    return xs, ys


def _sample(img: torch.Tensor, px: torch.Tensor, py: torch.Tensor) -> torch.Tensor:
    h, w = img.shape[-2:]
    grid = torch.stack([px * (2.0 / max(w - 1, 1)) - 1.0, py * (2.0 / max(h - 1, 1)) - 1.0], dim=-1)
    return F.grid_sample(img, grid, mode="bilinear", padding_mode="border", align_corners=True)


def along_flow(img: torch.Tensor, tx: torch.Tensor, ty: torch.Tensor, length: float, *, step: float = 1.0,
               across: bool = False) -> torch.Tensor:
    """Line-integral convolution: ``img`` averaged along the flow's streamlines over about
    ``length`` pixels each way (a triangle weight), following the field as it bends.
    ``across`` follows the perpendicular field instead (cross-hatching). Noise smeared this way
    becomes strokes that follow the forms."""
    if across:
        tx, ty = -ty, tx
    n, _, h, w = img.shape
    steps = max(1, int(round(length / step)))
    xs, ys = _pixel_grid(n, h, w, img.device)
    acc = img.clone()
    total = 1.0
    for sign in (1.0, -1.0):
        px, py = xs, ys
        vx_prev, vy_prev = tx[:, 0], ty[:, 0]
        for i in range(1, steps + 1):
            vx = _sample(tx, px, py)[:, 0]
            vy = _sample(ty, px, py)[:, 0]
            # The tangent has no sign: keep going the way we came.
            flip = torch.where(vx * vx_prev + vy * vy_prev < 0, -1.0, 1.0)
            vx, vy = vx * flip, vy * flip
            px = (px + sign * step * vx).clamp(0, w - 1)
            py = (py + sign * step * vy).clamp(0, h - 1)
            vx_prev, vy_prev = vx, vy
            wt = 1.0 - i / (steps + 1)
            acc = acc + wt * _sample(img, px, py)
            total += wt
    return acc / total


def flow_of(x: torch.Tensor, sigma: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The photo's structure tensor (``ops.structure_tensor``, smoothed over ``sigma``), its
    tangent field and anisotropy."""
    tensor = ops.structure_tensor(x.contiguous(), sigma=sigma)
    tx, ty, aniso = tangent(tensor)
    return tensor, tx, ty, aniso


def line_drawing(lum: torch.Tensor, tensor: torch.Tensor, *, sigma: float, sharpness: float = 1.0,
                 sigma_m: float = 3.0) -> torch.Tensor:
    """(N, 1, H, W) ink amount in [0, 1] of a flow-based XDoG drawing (Kang et al. 2007,
    Winnemöller et al. 2012): the DoG along the gradient, smoothed along the flow
    (``ops.flow_dog``), soft-thresholded on its dark side. ``sharpness`` > 1 gives crisper,
    thinner lines; the threshold adapts to the photo's own edge contrast."""
    d = ops.flow_dog(lum.contiguous(), tensor, sigma=sigma, k=1.6, sigma_m=sigma_m)
    dark = (-d).clamp_min(0.0)
    ref = quantile(dark, 0.97).clamp_min(2e-3)
    t = dark / ref
    lo, hi = 0.25 * sharpness, 0.25 * sharpness + 0.75 / sharpness
    return smoothstep(lo, hi, t)


def smoothstep(lo: float, hi: float, t: torch.Tensor) -> torch.Tensor:
    u = ((t - lo) / max(hi - lo, 1e-6)).clamp(0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


# --------------------------------------------------------------------------------- noise
def generator(seed: int | None, salt: int) -> torch.Generator:
    """A CPU generator for one use (``salt``) of one seed: the same numbers on every machine."""
    g = torch.Generator(device="cpu")
    g.manual_seed(((0 if seed is None else int(seed)) * 1_000_003 + salt) % (2**63))
    return g


def noise(shape: tuple[int, ...], seed: int | None, salt: int, device: torch.device) -> torch.Tensor:
    """Uniform noise in [0, 1) of ``shape``, drawn on the CPU and moved to ``device``."""
    return torch.rand(shape, generator=generator(seed, salt)).to(device)


def value_noise(n: int, h: int, w: int, cell: float, seed: int | None, salt: int, device: torch.device,
                octaves: int = 3) -> torch.Tensor:
    """(N, 1, H, W) smooth noise in about [0, 1]: bicubic value noise with features of about
    ``cell`` pixels and ``octaves`` finer octaves at half amplitude each."""
    out = torch.zeros(n, 1, h, w, device=device)
    amp, total = 1.0, 0.0
    for o in range(octaves):
        c = max(1.0, cell / (2**o))
        gh, gw = max(2, int(math.ceil(h / c)) + 2), max(2, int(math.ceil(w / c)) + 2)
        grid = noise((n, 1, gh, gw), seed, salt * 16 + o, device)
        up = F.interpolate(grid, size=(int(round((gh - 1) * c)), int(round((gw - 1) * c))), mode="bicubic",
                           align_corners=True)
        out = out + amp * up[..., :h, :w]
        total += amp
        amp *= 0.5
    return (out / total).clamp(0.0, 1.0)


def paper(n: int, h: int, w: int, tone: tuple[float, float, float], s: float, seed: int | None,
          device: torch.device, *, tooth: float = 0.04) -> tuple[torch.Tensor, torch.Tensor]:
    """A sheet of paper ((N, 3, H, W) of colour ``tone``, mottled and grained) and its tooth
    ((N, 1, H, W) in [0, 1], high where the surface stands up and takes pigment or graphite)."""
    mottle = value_noise(n, h, w, 60.0 * s, seed, 101, device, octaves=3) - 0.5
    grain = noise((n, 1, h, w), seed, 102, device)
    grain = blur(grain, 0.7 * s)
    grain = (grain - grain.mean(dim=(-2, -1), keepdim=True)) / grain.std(dim=(-2, -1), keepdim=True).clamp_min(1e-6)
    teeth = (0.5 + 0.18 * grain).clamp(0.0, 1.0)
    base = torch.tensor(tone, device=device).view(1, 3, 1, 1)
    sheet = base * (1.0 + 0.5 * tooth * mottle + tooth * 0.35 * grain * 0.1)
    return sheet.clamp(0.0, 1.0), teeth


# ------------------------------------------------------------------------------ palettes
def kmeans_palette(x: torch.Tensor, k: int, *, iterations: int = 12, samples: int = 20000,
                   chroma_weight: float = 1.0) -> torch.Tensor:
    """(k, 3) Oklab palette of one image ((1, 3, H, W) sRGB) by k-means on an evenly strided
    subsample, started from lightness quantiles (no random start, so the same photo always
    gets the same palette). ``chroma_weight`` > 1 keeps small colourful areas from being
    absorbed by large grey ones."""
    lab = color.srgb_to_oklab(x[:1].float()).reshape(3, -1).t()
    step = max(1, lab.shape[0] // samples)
    pts = lab[::step].clone()
    wts = torch.tensor([1.0, chroma_weight, chroma_weight], device=pts.device)
    pts_w = pts * wts
    order = torch.argsort(pts_w[:, 0] + 0.5 * pts_w[:, 1:].norm(dim=1))
    idx = order[((torch.arange(k, device=pts.device, dtype=torch.float32) + 0.5) / k * (len(order) - 1)).long()]
    centres = pts_w[idx].clone()
    for _ in range(iterations):
        assign = torch.cdist(pts_w, centres).argmin(dim=1)
        sums = torch.zeros_like(centres).index_add_(0, assign, pts_w)
        counts = torch.zeros(k, device=pts.device).index_add_(0, assign, torch.ones_like(assign, dtype=torch.float32))
        empty = counts == 0
        centres = torch.where(empty[:, None], centres, sums / counts.clamp_min(1.0)[:, None])
    return centres / wts


def nearest(lab: torch.Tensor, palette: torch.Tensor, chroma_weight: float = 1.0) -> torch.Tensor:
    """Index (N, H, W) of the nearest palette colour ((k, 3) Oklab) for each pixel of ``lab``."""
    n, _, h, w = lab.shape
    wts = torch.tensor([1.0, chroma_weight, chroma_weight], device=lab.device)
    flat = lab.permute(0, 2, 3, 1).reshape(-1, 3) * wts
    out = torch.empty(flat.shape[0], dtype=torch.long, device=lab.device)
    chunk = 1 << 20  # bounded memory for large photos
    pal = palette * wts
    for i in range(0, flat.shape[0], chunk):
        out[i : i + chunk] = torch.cdist(flat[i : i + chunk], pal).argmin(dim=1)
    return out.view(n, h, w)


def paint(index: torch.Tensor, palette_rgb: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) image of palette colours ((k, 3) sRGB) by index (N, H, W)."""
    return palette_rgb[index].permute(0, 3, 1, 2).contiguous()


def lab_to_rgb(lab: torch.Tensor) -> torch.Tensor:
    """(k, 3) Oklab colours -> (k, 3) sRGB in gamut."""
    return color.oklab_to_srgb(lab.t().reshape(1, 3, -1, 1)).reshape(3, -1).t().clamp(0.0, 1.0)


def named_palette(hexes: list[str] | None, device: torch.device) -> torch.Tensor | None:
    """The prompt's colours ('#rrggbb') as (k, 3) Oklab, or None."""
    if not hexes:
        return None
    return torch.tensor([color.hex_to_oklab(c) for c in hexes], device=device, dtype=torch.float32)


def toward_named(palette: torch.Tensor, named: torch.Tensor | None, amount: float = 0.85) -> torch.Tensor:
    """The photo's palette with each colour's hue and chroma moved ``amount`` of the way to
    the nearest colour the prompt named (lightness kept, so the picture still reads)."""
    if named is None:
        return palette
    d = torch.cdist(palette[:, 1:], named[:, 1:]) + 0.3 * torch.cdist(palette[:, :1], named[:, :1])
    target = named[d.argmin(dim=1)]
    out = palette.clone()
    out[:, 1:] = torch.lerp(palette[:, 1:], target[:, 1:], amount)
    return out


# --------------------------------------------------------------------------------- cells
def cells(x: torch.Tensor, size: float, *, compactness: float, seed: int | None, iterations: int = 3,
          jitter: float = 0.35) -> torch.Tensor:
    """(N, H, W) cell labels: superpixels of about ``size`` pixels across (SLIC, Achanta et al.
    2012: k-means in position and Oklab colour, each pixel comparing only the 9 seeds around
    its grid cell). Seeds start on a jittered grid; a higher ``compactness`` gives rounder cells,
    a lower one cells that hug the photo's edges."""
    n, _, h, w = x.shape
    dev = x.device
    lab = color.srgb_to_oklab(blur(x.float(), 0.5 * size / 8.0))
    gh, gw = max(1, int(math.ceil(h / size))), max(1, int(math.ceil(w / size)))
    jit = (noise((n, 2, gh, gw), seed, 201, dev) - 0.5) * (2.0 * jitter)
    gy = (torch.arange(gh, device=dev, dtype=torch.float32).view(1, gh, 1) + 0.5 + jit[:, 0]) * (h / gh)
    gx = (torch.arange(gw, device=dev, dtype=torch.float32).view(1, 1, gw) + 0.5 + jit[:, 1]) * (w / gw)
    cy, cx = gy.clamp(0, h - 1).reshape(n, -1), gx.clamp(0, w - 1).reshape(n, -1)
    k = gh * gw
    flat_lab = lab.reshape(n, 3, -1)
    ccol = torch.gather(flat_lab, 2, (cy.round().long() * w + cx.round().long()).unsqueeze(1).expand(n, 3, k))
    ys = torch.arange(h, device=dev, dtype=torch.float32).view(h, 1).expand(h, w)
    xs = torch.arange(w, device=dev, dtype=torch.float32).view(1, w).expand(h, w)
    cell_y = (ys * gh / h).floor().long().clamp(0, gh - 1)
    cell_x = (xs * gw / w).floor().long().clamp(0, gw - 1)
    spatial = (h / gh + w / gw) * 0.5
    labels = torch.empty(n, h, w, dtype=torch.long, device=dev)
    for b in range(n):
        for it in range(iterations + 1):
            best = torch.full((h, w), float("inf"), device=dev)
            lab_b = lab[b]
            for oy in (-1, 0, 1):
                for ox in (-1, 0, 1):
                    ny, nx = (cell_y + oy).clamp(0, gh - 1), (cell_x + ox).clamp(0, gw - 1)
                    cand = ny * gw + nx
                    dy = (ys - cy[b][cand]) / spatial
                    dx = (xs - cx[b][cand]) / spatial
                    dc = ((lab_b - ccol[b][:, cand]) ** 2).sum(0)
                    dist = compactness * compactness * (dx * dx + dy * dy) + dc / 0.01
                    better = dist < best
                    best = torch.where(better, dist, best)
                    labels[b] = torch.where(better, cand, labels[b])
            if it == iterations:
                break
            lb = labels[b].reshape(-1)
            counts = torch.zeros(k, device=dev).index_add_(0, lb, torch.ones_like(lb, dtype=torch.float32))
            has = counts > 0
            sy = torch.zeros(k, device=dev).index_add_(0, lb, ys.reshape(-1))
            sx = torch.zeros(k, device=dev).index_add_(0, lb, xs.reshape(-1))
            sc = torch.zeros(3, k, device=dev).index_add_(1, lb, lab_b.reshape(3, -1))
            cy[b] = torch.where(has, sy / counts.clamp_min(1), cy[b])
            cx[b] = torch.where(has, sx / counts.clamp_min(1), cx[b])
            ccol[b] = torch.where(has, sc / counts.clamp_min(1), ccol[b])
    return labels


def cell_means(x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W): each cell filled with its mean colour (averaged in linear light)."""
    n, c, h, w = x.shape
    lin = color.srgb_to_linear(x.float())
    out = torch.empty_like(lin)
    for b in range(n):
        lb = labels[b].reshape(-1)
        k = int(lb.max()) + 1
        counts = torch.zeros(k, device=x.device).index_add_(0, lb, torch.ones_like(lb, dtype=torch.float32))
        sums = torch.zeros(c, k, device=x.device).index_add_(1, lb, lin[b].reshape(c, -1))
        out[b] = (sums / counts.clamp_min(1))[:, lb].view(c, h, w)
    return color.linear_to_srgb(out).clamp(0.0, 1.0)


def borders(labels: torch.Tensor, width: float) -> torch.Tensor:
    """(N, 1, H, W) in [0, 1]: 1 on the boundaries between cells, about ``width`` pixels wide,
    antialiased."""
    lab = labels.unsqueeze(1).float()
    p = F.pad(lab, (0, 1, 0, 1), mode="replicate")
    edge = ((p[..., :-1, :-1] != p[..., :-1, 1:]) | (p[..., :-1, :-1] != p[..., 1:, :-1])).float()
    r = max(0, int(math.floor((width - 1) / 2)))
    if r:
        edge = F.max_pool2d(edge, 2 * r + 1, 1, r)
    return blur(edge, 0.5).clamp(0.0, 1.0) if width >= 1.5 else edge


def block(x: torch.Tensor, size: int) -> torch.Tensor:
    """``x`` averaged over ``size``-pixel blocks (a photo-sized, blocky image)."""
    h, w = x.shape[-2:]
    small = F.avg_pool2d(x, size, ceil_mode=True)
    return F.interpolate(small, scale_factor=size, mode="nearest")[..., :h, :w]
