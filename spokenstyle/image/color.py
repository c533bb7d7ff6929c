"""Colour spaces on image tensors: sRGB <-> linear RGB <-> Oklab, and keeping colours.

Tensors are (N, 3, H, W) floats, sRGB in [0, 1]; every function works on the tensor's device.
Oklab (Björn Ottosson, 2020) is perceptual: L is lightness in [0, 1], (a, b) chroma; moving
(a, b) changes colour without changing lightness, which is what white balance and split toning
need.
"""

from __future__ import annotations

import torch

_LMS_FROM_LINEAR = (
    (0.4122214708, 0.5363325363, 0.0514459929),
    (0.2119034982, 0.6806995451, 0.1073969566),
    (0.0883024619, 0.2817188376, 0.6299787005),
)
_LAB_FROM_LMS = (
    (0.2104542553, 0.7936177850, -0.0040720468),
    (1.9779984951, -2.4285922050, 0.4505937099),
    (0.0259040371, 0.7827717662, -0.8086757660),
)
_LMS_FROM_LAB = (
    (1.0, 0.3963377774, 0.2158037573),
    (1.0, -0.1055613458, -0.0638541728),
    (1.0, -0.0894841775, -1.2914855480),
)
_LINEAR_FROM_LMS = (
    (4.0767416621, -3.3077115913, 0.2309699292),
    (-1.2684380046, 2.6097574011, -0.3413193965),
    (-0.0041960863, -0.7034186147, 1.7076147010),
)


def _mix(x: torch.Tensor, m: tuple) -> torch.Tensor:
    """Per-pixel 3x3 matrix product over dim 1 of an (N, 3, H, W) tensor."""
    mat = torch.tensor(m, dtype=x.dtype, device=x.device)
    n, c, h, w = x.shape
    return torch.matmul(mat, x.reshape(n, c, h * w)).reshape(n, c, h, w)


def srgb_to_linear(x: torch.Tensor) -> torch.Tensor:
    hi = x.clamp_min(0.04045).add_(0.055).mul_(1 / 1.055).pow_(2.4)  # in place: fewer passes
    return torch.where(x <= 0.04045, x * (1 / 12.92), hi)


def linear_to_srgb(x: torch.Tensor) -> torch.Tensor:
    hi = x.clamp_min(0.0031308).pow_(1 / 2.4).mul_(1.055).sub_(0.055)
    return torch.where(x <= 0.0031308, x * 12.92, hi)


def linear_to_oklab(x: torch.Tensor) -> torch.Tensor:
    """Linear sRGB (in gamut, so LMS >= 0) -> Oklab."""
    lms = _mix(x, _LMS_FROM_LINEAR).clamp_min_(0.0).pow_(1 / 3)
    return _mix(lms, _LAB_FROM_LMS)


def oklab_to_linear(lab: torch.Tensor) -> torch.Tensor:
    lms = _mix(lab, _LMS_FROM_LAB)
    return _mix(lms.pow_(3), _LINEAR_FROM_LMS)


def _fit(lin: torch.Tensor, L: torch.Tensor) -> torch.Tensor:
    """Per pixel, the largest t in [0, 1] such that grey + t (lin - grey) is in [0, 1]^3."""
    grey = L * L * L
    d = lin - grey
    inf = torch.full_like(d, float("inf"))
    t_hi = torch.where(lin > 1, (1.0 - grey) / d.clamp_min(1e-8), inf)
    t_lo = torch.where(lin < 0, grey / (-d).clamp_min(1e-8), inf)
    return torch.minimum(t_hi, t_lo).amin(dim=1, keepdim=True).clamp_(0.0, 1.0)


def gamut_map(lab: torch.Tensor, iterations: int = 2) -> torch.Tensor:
    """Oklab -> linear RGB in gamut, keeping lightness and hue.

    An out-of-gamut colour loses just enough Oklab chroma to fit (a few fixed-point steps of
    "scale (a, b) by the fraction that fits in linear light"), instead of having channels
    clipped, which flattens detail and shifts hue and lightness. Residual overshoot (well
    under 1/255 after two steps) is clipped.
    """
    lin = oklab_to_linear(lab)
    # out of gamut by more than float round-off (1e-4 in linear light is < 1/20 of an 8-bit step)
    bad = ((lin < -1e-4) | (lin > 1.0001)).any(dim=1)  # (N, H, W)
    if not bool(bad.any()):
        return lin
    # Work on the out-of-gamut pixels only: usually a small part of the photo.
    sub_lab = lab.transpose(0, 1)[:, bad].T.reshape(1, -1, 3, 1).permute(0, 2, 1, 3)  # (1, 3, K, 1)
    sub_lin = lin.transpose(0, 1)[:, bad].T.reshape(1, -1, 3, 1).permute(0, 2, 1, 3)
    L = sub_lab[:, :1].clamp(0.0, 1.0)
    ab = sub_lab[:, 1:]
    for _ in range(iterations):
        ab = ab * _fit(sub_lin, L)
        sub_lin = oklab_to_linear(torch.cat([sub_lab[:, :1], ab], dim=1).contiguous())
    lin.transpose(0, 1)[:, bad] = sub_lin.clamp(0.0, 1.0)[0, :, :, 0]
    return lin


def srgb_to_oklab(x: torch.Tensor) -> torch.Tensor:
    return linear_to_oklab(srgb_to_linear(x))


def oklab_to_srgb(lab: torch.Tensor, *, map_gamut: bool = True) -> torch.Tensor:
    """Oklab -> sRGB in [0, 1]; out-of-gamut colours are desaturated to fit (see gamut_map)
    unless ``map_gamut=False``, which clips channels."""
    lin = gamut_map(lab) if map_gamut else oklab_to_linear(lab)
    return linear_to_srgb(lin).clamp_(0.0, 1.0)


def luminance(x: torch.Tensor) -> torch.Tensor:
    """Oklab lightness L, (N, 1, H, W)."""
    return srgb_to_oklab(x)[:, :1]


def chroma(x: torch.Tensor) -> torch.Tensor:
    """Oklab chroma sqrt(a^2 + b^2), (N, 1, H, W); 0 for greys."""
    lab = srgb_to_oklab(x)
    return lab[:, 1:].pow(2).sum(1, keepdim=True).sqrt()


#: The ways :func:`preserve_color` can keep a photo's colours.
PRESERVE_COLOR_MODES = ("luminance", "statistics")


def preserve_color(original: torch.Tensor, styled: torch.Tensor, mode: str = "luminance") -> torch.Tensor:
    """``styled`` with the colours of ``original``; both (N, 3, H, W) sRGB of the same shape.

    ``"luminance"``: the lightness (Oklab L) of ``styled`` with the colours (a, b) of
    ``original``, pixel for pixel: every colour the style added is gone, only tones change.
    ``"statistics"``: the lightness of ``styled`` and its own colour variation, re-paletted so
    the colours' mean and covariance are the original's (:func:`match_color_statistics`):
    brush strokes keep their colour differences, in the photo's palette.
    """
    if original.shape != styled.shape:
        raise ValueError(f"preserve_color: shapes differ, {tuple(original.shape)} vs {tuple(styled.shape)}")
    if mode == "luminance":
        lab = srgb_to_oklab(styled)
        lab[:, 1:] = srgb_to_oklab(original)[:, 1:]
        return oklab_to_srgb(lab)
    if mode == "statistics":
        return match_color_statistics(original, styled)
    raise ValueError(f"preserve_color: unknown mode {mode!r}; use one of {', '.join(PRESERVE_COLOR_MODES)}")


def _sqrtm(m: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Square root and inverse square root of symmetric positive (semi)definite (..., k, k)."""
    vals, vecs = torch.linalg.eigh(m)
    vals = vals.clamp_min(0.0)
    root = (vecs * vals.sqrt().unsqueeze(-2)) @ vecs.transpose(-1, -2)
    inv = (vecs * vals.clamp_min(1e-30).rsqrt().unsqueeze(-2)) @ vecs.transpose(-1, -2)
    return root, inv


def match_color_statistics(original: torch.Tensor, styled: torch.Tensor, *, eps: float = 1e-6) -> torch.Tensor:
    """Per image: Oklab L of ``styled``; its (a, b) mapped affinely so that their mean and 2x2
    covariance equal those of ``original`` (which may have another size, or be one image for all).

    The map is the Monge-Kantorovich linear transfer (Pitie & Kokaram, 2007),
    ``A = Cs^-1/2 (Cs^1/2 Cc Cs^1/2)^1/2 Cs^-1/2``: of all affine maps that give the target
    mean and covariance, the one that moves colours least, so the style's colour structure
    (which stroke is warmer than its neighbour) survives without the rotations or flips a
    per-channel or Cholesky match can introduce. Matching (a, b) jointly keeps their
    correlation (an orange-teal palette stays one axis). ``eps`` (a chroma variance, std 0.001,
    far below a visible difference) regularises a nearly grey ``styled``: its faint variation
    is not blown up into colour noise; such an image gets the original's mean colour.
    Out-of-gamut results lose chroma (keeping L and hue), so the match is exact up to that.
    """
    if original.dim() != 4 or styled.dim() != 4 or original.shape[1] != 3 or styled.shape[1] != 3 \
            or original.shape[0] not in (1, styled.shape[0]):
        raise ValueError(
            f"match_color_statistics: need (N, 3, H, W) images with one original per styled image (or one for all), "
            f"got {tuple(original.shape)} and {tuple(styled.shape)}"
        )
    lab = srgb_to_oklab(styled)
    n = lab.shape[0]
    ab_s = lab[:, 1:].reshape(n, 2, -1).double()
    # Only statistics are taken from ``original``: its size may differ (a style image).
    ab_c = srgb_to_oklab(original)[:, 1:].reshape(original.shape[0], 2, -1).double().expand(n, -1, -1)
    mu_s, mu_c = ab_s.mean(-1, keepdim=True), ab_c.mean(-1, keepdim=True)
    xs, xc = ab_s - mu_s, ab_c - mu_c
    count = ab_s.shape[-1]
    eye = torch.eye(2, dtype=torch.float64, device=lab.device)
    cov_s = xs @ xs.transpose(1, 2) / count + eps * eye
    cov_c = xc @ xc.transpose(1, 2) / count
    root_s, inv_root_s = _sqrtm(cov_s)
    middle, _ = _sqrtm(root_s @ cov_c @ root_s)
    transfer = inv_root_s @ middle @ inv_root_s
    ab = transfer @ xs + mu_c
    lab[:, 1:] = ab.reshape(lab[:, 1:].shape).to(lab.dtype)
    return oklab_to_srgb(lab)


def hex_to_oklab(colour: str) -> tuple[float, float, float]:
    """'#rrggbb' -> (L, a, b)."""
    from ..core.intent import hex_to_rgb

    rgb = torch.tensor(hex_to_rgb(colour), dtype=torch.float64).view(1, 3, 1, 1)
    lab = srgb_to_oklab(rgb).view(3)
    return float(lab[0]), float(lab[1]), float(lab[2])


# ------------------------------------------------------------------ measuring and protecting
#: 8-bit levels at and beyond which a pixel counts as clipped (blown out or crushed).
CLIP_HIGH = 254.5 / 255.0
CLIP_LOW = 0.5 / 255.0


def clipped_highlights(x: torch.Tensor) -> float:
    """Fraction of pixels with a channel blown out (>= 255 in 8 bits): highlight detail lost."""
    return float((x.amax(dim=1) >= CLIP_HIGH).float().mean())


def crushed_shadows(x: torch.Tensor) -> float:
    """Fraction of pixels that are pure black (every channel 0 in 8 bits): shadow detail lost."""
    return float((x.amax(dim=1) <= CLIP_LOW).float().mean())


def warmth(x: torch.Tensor) -> float:
    """Mean Oklab b + a/4 (yellow-orange positive, blue negative): how warm a photo looks."""
    lab = srgb_to_oklab(x)
    return float((lab[:, 2] + 0.25 * lab[:, 1]).mean())


def _ramp(t: torch.Tensor, lo: float, hi: float) -> torch.Tensor:
    """0 below ``lo``, 1 above ``hi``, smooth in between."""
    u = ((t - lo) / (hi - lo)).clamp(0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def highlight_weight(L: torch.Tensor) -> torch.Tensor:
    """How much of a highlight an Oklab lightness is: 0 up to 0.55, 1 at white."""
    return _ramp(L, 0.55, 1.0)


def shadow_weight(L: torch.Tensor) -> torch.Tensor:
    """How much of a shadow an Oklab lightness is: 1 at black, 0 from 0.3 up."""
    return 1.0 - _ramp(L, 0.0, 0.3)


def skin_weight(lab: torch.Tensor) -> torch.Tensor:
    """(N, 1, H, W) in [0, 1]: how likely each Oklab pixel is a skin tone.

    Skin of every complexion sits in a narrow band of hue (orange, about 25-80 degrees in
    OkLCh), at moderate chroma (0.02-0.16) and mid to high lightness (0.3-0.95): a soft box
    in that space, so the weight fades out instead of cutting a hard edge through a face.
    """
    L, a, b = lab[:, :1], lab[:, 1:2], lab[:, 2:3]
    C = (a * a + b * b).sqrt()
    hue = torch.rad2deg(torch.atan2(b, a))
    w_hue = _ramp(hue, 15.0, 30.0) * (1.0 - _ramp(hue, 75.0, 95.0))
    w_c = _ramp(C, 0.015, 0.03) * (1.0 - _ramp(C, 0.14, 0.2))
    w_l = _ramp(L, 0.25, 0.35) * (1.0 - _ramp(L, 0.93, 0.98))
    return w_hue * w_c * w_l
