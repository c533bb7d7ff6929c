"""The built-in ``exemplar`` generator: a procedural style image for a medium.

A texture backend (AdaIN, Gatys) needs a *style image*. When a prompt names a medium ("oil
painting", "水墨") and the user gives no style image, this generator paints one from the
:class:`~spokenstyle.core.intent.StyleIntent`: the medium picks the texture vocabulary, the palette
(or the medium's default palette) picks the colours, and the look colours the result. The same
images serve as the style set that trains the AdaIN decoder, so every seed draws a different
composition, scale and colour arrangement.

Pure tensor code: no weights, no downloads. Random numbers are drawn from a seeded CPU
``torch.Generator`` (small grids and point sets), then moved to the target device, so a seed
gives bit-identical images on the CPU and the same composition on any device. Sizes are in
pixels scaled by ``unit = min(H, W) / 256``: an exemplar at 512 is the same picture at twice
the resolution, not a picture with finer texture.

Texture vocabulary per medium (:data:`~spokenstyle.core.intent.MEDIA`):

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

from typing import Sequence

import torch

from ...core.intent import MEDIA, StyleIntent
from ...errors import UsageError
from .checks import MAX_SIZE, MIN_SIZE, _check_medium, _check_seed, _check_size
from .kit import DEFAULT_PALETTES, PAPER, _Canvas, _palette_rgb
from .renderers import RENDERERS

__all__ = ["DEFAULT_PALETTES", "MAX_SIZE", "MIN_SIZE", "PAPER", "RENDERERS", "ExemplarGenerator", "render_exemplar"]

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
        img = RENDERERS[medium](canvas)
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
                from ..grade import grade

                img = grade(img, look_intent, seed=_check_seed(seed))
        return img
