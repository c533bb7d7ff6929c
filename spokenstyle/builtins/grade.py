"""The built-in ``grade`` style backend: parametric colour and tone grading in Oklab.

Pure tensor code on (N, 3, H, W) sRGB floats in [0, 1], on the input's device (CPU or CUDA),
no weights. Steps, in order (each skipped when its amount is 0):

====================  ==================================================================
exposure              linear-light gain, +-1.5 stops at +-1, with a soft highlight shoulder
brightness            a quadratic curve on Oklab L (0 and 1 stay put, shadows keep detail)
shadows               lifts (or deepens) the toe: L + k * L * (1 - L)^3, monotonic
contrast              a smooth S-curve around mid-grey (blend towards smoothstep); no clipping
fade                  lifted blacks, slightly lowered whites, a little less chroma
vignette              lightness falls off smoothly towards the corners
sharpness             unsharp mask of L (softness: blend towards a blurred L)
grain                 seeded Gaussian luminance noise, sized with the image
warmth, tint          shift Oklab (a, b) in proportion to L: colour moves, lightness does not
split toning          palette[0] into the shadows, palette[-1] into the highlights (chroma only)
saturation, vibrance  scale chroma; vibrance favours muted colours; -1 saturation is grey
protect               what the prompt keeps (``intent.protect``): "highlights" undoes the
                      brightening of highlights (no new blown whites), "shadows" the darkening
                      of shadows (no new pure blacks), "skin" every colour change on skin tones
gamut                 out-of-gamut colours lose chroma at constant lightness, not clipped
strength              blend with the input; 0 returns the input tensor itself
====================  ==================================================================
"""

from __future__ import annotations

import functools
import math

import torch
import torch.nn.functional as F

from ..image import color
from ..core.intent import StyleIntent
from ..plugins.protocols import Options

#: Media the grade renders completely (their look *is* a grade): the planner's contract.
GRADE_MEDIA = ("vintage_film",)


def _smoothstep(t: torch.Tensor) -> torch.Tensor:
    return t * t * (3.0 - 2.0 * t)


def _blur(x: torch.Tensor, factor: int) -> torch.Tensor:
    """A cheap smooth blur of an (N, 1, H, W) tensor: average-pool by ``factor``, a 3x3 box,
    then bilinear back up. Its radius grows with ``factor``, its cost does not."""
    h, w = x.shape[-2:]
    small = F.avg_pool2d(x, factor, ceil_mode=True) if factor > 1 else x
    if min(small.shape[-2:]) >= 2:
        small = F.avg_pool2d(small, 3, 1, 1, count_include_pad=False)
    if factor > 1:
        small = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return small


@functools.lru_cache(maxsize=8)
def _vignette_mask(h: int, w: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """(1, 1, H, W): 0 in the middle, rising smoothly to 1 in the corners."""
    ys = torch.linspace(-1.0, 1.0, h, device=device, dtype=dtype).view(h, 1)
    xs = torch.linspace(-1.0, 1.0, w, device=device, dtype=dtype).view(1, w)
    r = ((xs * xs + ys * ys) * 0.5).sqrt()  # 0 centre, 1 corners
    t = ((r - 0.35) / 0.65).clamp(0.0, 1.0)
    return _smoothstep(t).view(1, 1, h, w)


class GradeBackend:
    """Colour and tone grading driven by a :class:`~spokenstyle.core.intent.StyleIntent`."""

    name = "grade"
    #: Media this backend renders fully (see docs/plugins.md, "How the planner picks backends").
    media = GRADE_MEDIA
    uses_style_image = False
    options = Options()  # no knobs: the intent says everything

    def handles(self, intent: StyleIntent) -> bool:
        return intent.medium in self.media

    def warmup(self, device) -> None:
        """Run every step once on a tiny image, so torch's first-call set-up is not billed to a photo."""
        x = torch.rand(1, 3, 16, 16, device=device)
        grade(x, StyleIntent(attributes={k: 0.3 for k in ("warmth", "tint", "saturation", "vibrance", "contrast",
                                                            "brightness", "exposure", "shadows", "fade", "grain",
                                                            "vignette", "sharpness")}, palette=["#224466", "#ffcc88"]))

    def stylize(self, content: torch.Tensor, intent: StyleIntent, *, style=None, seed=None, engine=None, **_):
        return grade(content, intent, seed=seed)


def grade(content: torch.Tensor, intent: StyleIntent, *, seed: int | None = None) -> torch.Tensor:
    """Apply ``intent``'s look to ``content`` ((N, 3, H, W) sRGB in [0, 1]); same shape, dtype, device."""
    if content.dim() != 4 or content.shape[1] != 3:
        raise ValueError(f"grade: content must be (N, 3, H, W), got {tuple(content.shape)}")
    a = intent.attributes
    if intent.strength == 0.0 or (not intent.changed and not intent.palette):
        return content
    dtype = content.dtype
    x = content.float()
    n, _, h, w = x.shape
    short = min(h, w)

    lin = color.srgb_to_linear(x)
    if a["exposure"]:
        lin = lin * (2.0 ** (1.5 * a["exposure"]))
    lab = color.linear_to_oklab(lin)
    L = lab[:, :1]
    ab = lab[:, 1:]

    # ------------------------------------------------------------------- lightness
    if a["exposure"] > 0:
        knee = 0.8  # soft shoulder instead of clipping blown highlights
        over = (L - knee).clamp_min(0.0)
        L = torch.where(L > knee, knee + (1 - knee) * torch.tanh(over / (1 - knee)), L)
    L = L.clamp(0.0, 1.0)
    L0 = L
    if a["brightness"]:
        # L * (1 + k (1 - L)): black and white stay put, mid-tones move, and the slope at
        # black stays 1 + k >= 0.45, so darkening never crushes the shadows into a flat black.
        k = max(-0.55, min(0.8, 0.7 * a["brightness"]))
        L = L * (1.0 + k * (1.0 - L))
    if a["shadows"]:
        inv = 1.0 - L
        L = L + a["shadows"] * L * inv * inv * inv
    if a["contrast"]:
        c = 0.85 * a["contrast"]  # slope at black/white stays >= 0.15: smooth, never clipped
        L = L + c * (_smoothstep(L) - L)
    if a["fade"] > 0:
        lo, hi = 0.14 * a["fade"], 0.04 * a["fade"]
        L = lo + L * (1.0 - lo - hi)
    if a["vignette"]:
        mask = _vignette_mask(h, w, x.device, x.dtype)
        v = a["vignette"]
        L = L * (1.0 - 0.55 * v * mask) if v > 0 else L + (-0.55 * v) * mask * (1.0 - L)
    if a["sharpness"]:
        s = a["sharpness"]
        factor = max(1, round(short / 1024)) if s > 0 else max(2, round(short / 256))
        blurred = _blur(L, factor)
        L = L + (1.5 * s if s > 0 else s) * (L - blurred)
    if a["grain"] > 0:
        gen = torch.Generator(device=x.device).manual_seed(0 if seed is None else int(seed))
        cell = max(1, round(short / 900))
        noise = torch.randn((n, 1, (h + cell - 1) // cell, (w + cell - 1) // cell), generator=gen, device=x.device, dtype=x.dtype)
        if cell > 1:
            noise = F.interpolate(noise, scale_factor=cell, mode="bilinear", align_corners=False)[..., :h, :w]
        L = L + (0.07 * a["grain"]) * noise * (0.35 + 2.6 * L * (1.0 - L))

    # ---------------------------------------------------------------------- colour
    # Where the tone steps darkened a pixel, shrink its chroma with its lightness, so dark
    # colours stay in gamut (no channel clipped to 0, no flat patches) and keep their look.
    ratio = (L / L0.clamp_min(1e-4)).clamp(0.0, 1.0)
    ab = ab * ratio
    scale = 1.0
    if a["saturation"]:
        s = a["saturation"]
        scale = 1.0 + s if s < 0 else 1.0 + 0.9 * s
    if a["fade"] > 0:
        scale *= 1.0 - 0.25 * a["fade"]
    if a["vibrance"]:
        C = ab.pow(2).sum(1, keepdim=True).sqrt()
        ab = ab * (scale * (1.0 + 0.8 * a["vibrance"] * (1.0 - C / 0.2).clamp(0.0, 1.0)))
    elif scale != 1.0:
        ab = ab * scale
    if scale != 0.0:  # black and white stays grey: no colour casts are added back
        shift_a = 0.025 * a["warmth"] + 0.1 * a["tint"]
        shift_b = 0.11 * a["warmth"]
        if shift_a or shift_b:
            shift = torch.tensor([shift_a, shift_b], device=x.device, dtype=x.dtype).view(1, 2, 1, 1)
            ab = ab + shift * L
        if intent.palette:
            ab = ab + _split_tone(intent.palette, L, x.device, x.dtype)

    lab = torch.cat([L, ab], dim=1)
    if intent.protect:
        lab = _protect(lab, color.srgb_to_oklab(x), intent.protect)
    out = color.oklab_to_srgb(lab)
    if intent.protect:
        out = _keep_unclipped(x, out, intent.protect)
    if intent.strength != 1.0:
        out = torch.lerp(x, out, intent.strength)
    return out.to(dtype)


def _protect(lab: torch.Tensor, lab_in: torch.Tensor, regions: list[str]) -> torch.Tensor:
    """Pull the graded Oklab ``lab`` back towards the photo's ``lab_in`` where a region is protected.

    Highlights: a pixel the grade made lighter keeps its original lightness and colour in
    proportion to how bright it was (:func:`~spokenstyle.image.color.highlight_weight`), so the look
    still lifts the mid-tones but nothing new is blown out. Shadows: the same for pixels made
    darker, by :func:`~spokenstyle.image.color.shadow_weight`. Skin: skin-toned pixels
    (:func:`~spokenstyle.image.color.skin_weight`) keep their chroma (a, b); their tones still change.
    """
    L, L_in = lab[:, :1], lab_in[:, :1]
    keep = torch.zeros_like(L)  # 0 = graded, 1 = the photo's own Oklab value
    if "highlights" in regions:
        up = ((L - L_in) / 0.01).clamp(0.0, 1.0)
        keep = torch.maximum(keep, color.highlight_weight(L_in) * up)
    if "shadows" in regions:
        down = ((L_in - L) / 0.01).clamp(0.0, 1.0)
        keep = torch.maximum(keep, color.shadow_weight(L_in) * down)
    out = lab + (lab_in - lab) * keep
    if "skin" in regions:
        skin = color.skin_weight(lab_in)
        # the photo's chroma, scaled with any darkening so dark skin stays in gamut
        ratio = (out[:, :1] / L_in.clamp_min(1e-4)).clamp(0.0, 1.0)
        out = torch.cat([out[:, :1], out[:, 1:] + (lab_in[:, 1:] * ratio - out[:, 1:]) * skin], dim=1)
    return out


def _keep_unclipped(x: torch.Tensor, out: torch.Tensor, regions: list[str]) -> torch.Tensor:
    """The guarantee behind protection: a pixel that was not clipped (a channel at 255 for
    highlights, pure black for shadows) is not clipped by the grade. Such a pixel is moved back
    along the straight line to its original sRGB value, exactly as far as needed (closed form:
    every channel is linear in the blend factor), so its colour direction is kept."""
    d = out - x
    t = torch.ones_like(out[:, :1])
    if "highlights" in regions:
        level = color.CLIP_HIGH - 1.0 / 512  # half an 8-bit step below the clipping level
        was_ok = x.amax(dim=1, keepdim=True) < level
        room = torch.where(d > 0, (level - x) / d.clamp_min(1e-8), torch.full_like(d, float("inf")))
        t = torch.where(was_ok, torch.minimum(t, room.amin(dim=1, keepdim=True)), t)
    if "shadows" in regions:
        level = color.CLIP_LOW + 1.0 / 512
        top = x.argmax(dim=1, keepdim=True)  # the brightest channel keeps the pixel off black
        xm, dm = x.gather(1, top), d.gather(1, top)
        was_ok = xm > level
        room = torch.where(dm < 0, (xm - level) / (-dm).clamp_min(1e-8), torch.full_like(dm, float("inf")))
        t = torch.where(was_ok, torch.minimum(t, room), t)
    t = t.clamp(0.0, 1.0)
    return x + d * t if bool((t < 1).any()) else out


def _split_tone(palette: list[str], L: torch.Tensor, device, dtype) -> torch.Tensor:
    """Chroma to add: the first palette colour in the shadows, the last in the highlights."""
    def chroma_of(hex_colour: str) -> torch.Tensor:
        _, ca, cb = color.hex_to_oklab(hex_colour)
        c = math.hypot(ca, cb)
        k = min(1.0, 0.06 / c) if c > 0 else 0.0  # a tint, not a paint: at most 0.06 chroma
        return torch.tensor([ca * k, cb * k], device=device, dtype=dtype).view(1, 2, 1, 1)

    shadows, highlights = chroma_of(palette[0]), chroma_of(palette[-1])
    inv = 1.0 - L
    # (1 - L)^2 for the shadows, faded out towards pure black, which cannot carry colour
    return shadows * (inv * inv * (L / (L + 0.05))) + highlights * (L * L)
