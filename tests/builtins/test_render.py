"""The ``render`` backend: each medium measured on real photos (tests/data), not eyeballed.

What is measured, per medium, and why it can fail:

* drawn media (pencil, charcoal, ink): near-grey, mostly paper-light, and the dark marks lie
  on the photo's edges (their share on the photo's edge map, over the map's share of the
  picture: 1 for marks placed at random);
* pixel art: constant blocks and at most K colours; mosaic / stained glass: flat cells and
  thin dark borders; comic: few colours and dark outlines on the photo's edges;
* watercolor / oil / impressionist: the photo's hues (hue-histogram distance) — adain's
  exemplar colours fail this — and watercolor lighter than the photo;
* neon: a dark picture whose bright, saturated pixels are the photo's edges;
* every medium keeps the subject: its edge map correlates with the photo's.

The floors were set from the figures measured on coffee, chelsea and astronaut at their
test sizes (in the comments, 2026-12-08), with margins; the photos themselves fail them
(test_photo_itself_fails_the_flat_and_few_colour_measures).
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from spokenstyle import ops
from spokenstyle.errors import UsageError
from spokenstyle.image import color
from spokenstyle.core.intent import StyleIntent

from harness.helpers import PHOTOS, photo

render = pytest.importorskip("spokenstyle.builtins.render")
NAMES = tuple(PHOTOS)

needs_ops = pytest.mark.skipif(
    not all(hasattr(ops, f) for f in ("structure_tensor", "anisotropic_kuwahara", "bilateral", "flow_dog")),
    reason="the structure operators are not in spokenstyle.ops yet",
)
pytestmark = needs_ops

_CACHE: dict[tuple, torch.Tensor] = {}


def rendered(medium: str, name: str, seed: int = 0, **options) -> torch.Tensor:
    key = (medium, name, seed, tuple(sorted(options.items())))
    if key not in _CACHE:
        _CACHE[key] = render.RenderBackend().stylize(photo(name), StyleIntent(medium=medium), seed=seed, **options)
    return _CACHE[key]


# ------------------------------------------------------------------------------ measures
def lightness(x: torch.Tensor) -> torch.Tensor:
    return color.srgb_to_oklab(x)[:, :1]


def chroma(x: torch.Tensor) -> torch.Tensor:
    return color.srgb_to_oklab(x)[:, 1:].norm(dim=1, keepdim=True)


def edge_map(x: torch.Tensor, share: float = 0.15, grow: int = 2) -> torch.Tensor:
    """The photo's strongest edges: the top ``share`` of its lightness gradient, grown by
    ``grow`` pixels (a line drawn beside an edge is still on it)."""
    L = lightness(x)
    gx = F.pad(L, (1, 1, 0, 0), mode="replicate")
    gy = F.pad(L, (0, 0, 1, 1), mode="replicate")
    g = ((gx[..., 2:] - gx[..., :-2]) ** 2 + (gy[..., 2:, :] - gy[..., :-2, :]) ** 2).sqrt()
    mask = (g >= torch.quantile(g.flatten(), 1.0 - share)).float()
    return F.max_pool2d(mask, 2 * grow + 1, 1, grow) > 0


def gradient_magnitude(x: torch.Tensor, sigma_px: int = 1) -> torch.Tensor:
    L = F.avg_pool2d(lightness(x), 2 * sigma_px + 1, 1, sigma_px, count_include_pad=False)
    p = F.pad(L, (1, 1, 1, 1), mode="replicate")
    return ((p[..., 1:-1, 2:] - p[..., 1:-1, :-2]) ** 2 + (p[..., 2:, 1:-1] - p[..., :-2, 1:-1]) ** 2).sqrt()


def edge_correlation(photo_: torch.Tensor, out: torch.Tensor) -> float:
    """Pearson correlation of the two images' blurred gradient maps: does the picture keep
    the photo's edges where they were?"""
    a, b = gradient_magnitude(photo_, 2).flatten(), gradient_magnitude(out, 2).flatten()
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12))


def on_edges(photo_: torch.Tensor, marks: torch.Tensor) -> float:
    """Share of the marks on the photo's edge map, over the map's share of the picture."""
    edges = edge_map(photo_)
    return float(edges[marks].float().mean() / edges.float().mean()) if marks.any() else 0.0


def hue_distance(a: torch.Tensor, b: torch.Tensor, bins: int = 24) -> float:
    """Half the L1 distance of the chroma-weighted hue histograms (0 same hues, 1 disjoint)."""
    def hist(x):
        lab = color.srgb_to_oklab(x)
        c = lab[:, 1:].norm(dim=1).flatten()
        h = torch.atan2(lab[:, 2], lab[:, 1]).flatten()
        idx = ((h + math.pi) / (2 * math.pi) * bins).long().clamp(0, bins - 1)
        hh = torch.zeros(bins).index_add_(0, idx, c)
        return hh / hh.sum().clamp_min(1e-12)

    return float(0.5 * (hist(a) - hist(b)).abs().sum())


def colour_count(x: torch.Tensor, cover: float = 0.95) -> int:
    """How many distinct 8-bit colours cover ``cover`` of the pixels."""
    q = (x.clamp(0, 1) * 255).round().long()
    codes = (q[:, 0] * 65536 + q[:, 1] * 256 + q[:, 2]).flatten()
    counts = torch.sort(torch.unique(codes, return_counts=True)[1], descending=True).values
    return int((torch.cumsum(counts, 0) < cover * codes.numel()).sum()) + 1


def flat_share(x: torch.Tensor, tol: float = 2.5 / 255) -> float:
    """Share of pixels equal (within ``tol``) to both their right and lower neighbours."""
    dx = (x[..., :-1, 1:] - x[..., :-1, :-1]).abs().amax(1)
    dy = (x[..., 1:, :-1] - x[..., :-1, :-1]).abs().amax(1)
    return float(((dx < tol) & (dy < tol)).float().mean())


def thin_part(mask: torch.Tensor, size: int = 5) -> torch.Tensor:
    """What a ``size``-pixel opening removes from a mask: its lines, not its filled areas."""
    m = mask.float()
    opened = F.max_pool2d(-F.max_pool2d(-m, size, 1, size // 2), size, 1, size // 2)
    return (m - opened) > 0.5


def thin_share(mask: torch.Tensor, size: int = 5) -> float:
    """Share of a mask that is thin lines (1 = all lines, 0 = blobs)."""
    return float(thin_part(mask, size).sum() / mask.sum().clamp_min(1))


# ------------------------------------------------------------------------- drawn media
@pytest.mark.parametrize("name", NAMES)
def test_pencil_sketch_is_grey_lines_on_light_paper_along_the_photos_edges(name):
    x, out = photo(name), rendered("pencil_sketch", name)
    L = lightness(out)
    assert float(chroma(out).mean()) < 0.02  # measured 0.006-0.007
    assert float((L > 0.8).float().mean()) > 0.5  # paper: measured 0.60-0.75
    dark = L < 0.55
    assert 0.01 < float(dark.float().mean()) < 0.3  # there are lines, and not a dark picture
    assert on_edges(x, L < 0.45) > 1.5  # the darkest marks, the lines: measured 2.02-2.09 (random marks: 1)
    assert edge_correlation(x, out) > 0.35  # measured 0.53-0.71


@pytest.mark.parametrize("name", NAMES)
def test_charcoal_is_darker_and_softer_than_pencil_and_still_grey(name):
    x, pencil, char = photo(name), rendered("pencil_sketch", name), rendered("charcoal", name)
    assert float(chroma(char).mean()) < 0.02
    assert float(lightness(char).mean()) < float(lightness(pencil).mean()) - 0.04  # measured 0.15-0.19 darker
    assert on_edges(x, lightness(char) < 0.45) > 1.3  # measured 2.02-2.09
    assert edge_correlation(x, char) > 0.3  # measured 0.60-0.72


@pytest.mark.parametrize("name", NAMES)
def test_ink_wash_is_a_few_grey_tones_on_light_paper(name):
    x, out = photo(name), rendered("ink_wash", name)
    L = lightness(out)
    assert float(chroma(out).mean()) < 0.02
    assert float(L.median()) > 0.6
    # Few tones: a 32-bin histogram of the lightness is more peaked than the photo's.
    def entropy(v):
        h = torch.histc(v.flatten(), 32, 0, 1)
        p = h / h.sum()
        return float(-(p[p > 0] * p[p > 0].log2()).sum())

    assert entropy(L) < entropy(lightness(x)) - 0.3  # measured 0.49-1.27 bits fewer
    assert edge_correlation(x, out) > 0.35


# ------------------------------------------------------------------------ painted media
@pytest.mark.parametrize("name", NAMES)
def test_watercolor_keeps_the_photos_hues_and_is_lighter(name):
    x, out = photo(name), rendered("watercolor", name)
    assert hue_distance(x, out) < 0.2  # measured 0.03-0.13 (a hue-swapped photo: > 0.5)
    assert float(lightness(out).mean()) > float(lightness(x).mean()) + 0.05  # measured +0.10 to +0.13
    assert edge_correlation(x, out) > 0.4


@pytest.mark.parametrize("medium", ["oil_painting", "impressionist"])
@pytest.mark.parametrize("name", NAMES)
def test_oil_and_impressionist_keep_the_photos_palette_and_subject(medium, name):
    x, out = photo(name), rendered(medium, name)
    assert hue_distance(x, out) < 0.2  # measured oil 0.01-0.02, impressionist 0.08-0.14 (hue-swapped: > 0.5)
    assert edge_correlation(x, out) > 0.45  # measured 0.86-0.97
    # Painted, not the photo: fine detail is replaced by strokes.
    assert float((out - x).abs().mean()) > 0.02


def test_hue_distance_catches_new_colours():
    """The measure the painted media are held to fails a picture in other colours."""
    x = photo("coffee")
    rolled = color.oklab_to_srgb(torch.cat([lightness(x), -color.srgb_to_oklab(x)[:, 1:]], 1)).clamp(0, 1)
    assert hue_distance(x, rolled) > 0.5


# --------------------------------------------------------------------------- flat pieces
@pytest.mark.parametrize("name", NAMES)
def test_pixel_art_is_constant_blocks_of_at_most_k_colours(name):
    x = photo(name)
    out = rendered("pixel_art", name, colors=12, pixel=4)
    h, w = (s // 4 * 4 for s in out.shape[-2:])
    blocks = out[..., :h, :w].unfold(2, 4, 4).unfold(3, 4, 4)
    assert float((blocks - blocks[..., :1, :1]).abs().max()) < 1e-6
    codes = torch.unique((out * 255).round().long().flatten(2), dim=2)
    assert codes.shape[-1] <= 12
    assert edge_correlation(x, out) > 0.3


@pytest.mark.parametrize("medium, ink", [("mosaic", "GROUT"), ("stained_glass", "LEAD")])
@pytest.mark.parametrize("name", NAMES)
def test_mosaic_and_stained_glass_are_flat_cells_with_thin_dark_borders(medium, ink, name):
    from spokenstyle.builtins.render import cells

    x, out = photo(name), rendered(medium, name)
    target = torch.tensor(getattr(cells, ink)).view(1, 3, 1, 1)
    border = (out - target).abs().amax(1, keepdim=True) < 0.06
    assert 0.04 < float(border.float().mean()) < 0.45  # measured mosaic 0.25-0.29, glass 0.05-0.13
    assert thin_share(border) > 0.8  # lines, not dark areas: measured 0.92-1.0
    assert float(lightness(out)[~border].mean()) > float(lightness(out)[border].mean()) + 0.12  # measured 0.19-0.32
    inside = ~F.max_pool2d(border.float(), 5, 1, 2).bool()
    flat = flat_share(torch.where(inside, out, torch.zeros_like(out)))
    assert flat > (0.6 if medium == "mosaic" else 0.3)  # measured mosaic 0.88-0.91, glass 0.49-0.66 (light through it varies)
    assert edge_correlation(x, out) > 0.2  # measured mosaic 0.30-0.64, glass 0.31-0.37


@pytest.mark.parametrize("name", NAMES)
def test_comic_has_few_colours_and_dark_outlines_on_the_edges(name):
    x, out = photo(name), rendered("comic", name)
    assert colour_count(out, 0.8) <= 14  # 6 colours + outline antialiasing: measured 10-11 (a photo: hundreds)
    from spokenstyle.builtins.render import graphic

    ink = (out - torch.tensor(graphic.INK).view(1, 3, 1, 1)).abs().amax(1, keepdim=True) < 0.06
    # the outlines (thin ink; the darkest areas are filled black, as in a comic) follow the edges
    assert on_edges(x, thin_part(ink)) > 1.6  # measured 2.04-2.08
    assert edge_correlation(x, out) > 0.4


@pytest.mark.parametrize("name", NAMES)
def test_neon_is_dark_with_bright_saturated_edges(name):
    x, out = photo(name), rendered("neon", name)
    L, C = lightness(out), chroma(out)
    assert float(L.mean()) < 0.35  # measured 0.26-0.29
    bright = L > 0.6
    assert float(bright.float().mean()) > 0.01
    assert on_edges(x, bright) > 1.7  # measured 2.02-2.08
    assert float(C[bright].mean()) > 0.06  # saturated, not white: measured 0.09-0.12


@pytest.mark.parametrize("name", NAMES)
def test_ukiyo_e_is_flat_colour_with_outlines_on_paper(name):
    x, out = photo(name), rendered("ukiyo_e", name)
    assert colour_count(F.avg_pool2d(out, 2), 0.8) < 400  # flat areas: measured 162-250 (a photo: thousands)
    from spokenstyle.builtins.render import graphic

    ink = (out - torch.tensor(graphic.SUMI).view(1, 3, 1, 1)).abs().amax(1, keepdim=True) < 0.08
    assert on_edges(x, thin_part(ink)) > 1.6  # the outlines: measured 2.01-2.10
    assert edge_correlation(x, out) > 0.35  # measured 0.85-0.93


def test_photo_itself_fails_the_flat_and_few_colour_measures():
    """The measures above can fail: the photo has thousands of colours and few flat pixels."""
    x = photo("coffee")
    assert colour_count(x, 0.9) > 1000
    assert colour_count(F.avg_pool2d(x, 2), 0.8) > 400
    assert flat_share(x) < 0.2


# ------------------------------------------------------------------------- the backend
def test_same_seed_same_picture_other_seed_other_paper():
    a = rendered("pencil_sketch", "coffee", seed=3)
    b = render.RenderBackend().stylize(photo("coffee"), StyleIntent(medium="pencil_sketch"), seed=3)
    c = rendered("pencil_sketch", "coffee", seed=4)
    assert torch.equal(a, b)
    assert float((a - c).abs().mean()) > 1e-3


def test_strength_blends_with_the_photo_and_zero_returns_it():
    x = photo("chelsea")
    backend = render.RenderBackend()
    full = rendered("comic", "chelsea")
    half = backend.stylize(x, StyleIntent(medium="comic", strength=0.5), seed=0)
    assert torch.allclose(half, 0.5 * x + 0.5 * full, atol=1e-5)
    assert backend.stylize(x, StyleIntent(medium="comic", strength=0.0)) is x


def test_a_batch_is_rendered_photo_by_photo():
    x = photo("coffee")
    pair = torch.cat([x, x.flip(-1)])
    out = render.RenderBackend().stylize(pair, StyleIntent(medium="mosaic"), seed=0)
    assert out.shape == pair.shape
    assert torch.allclose(out[:1], rendered("mosaic", "coffee"), atol=1e-5)


def test_a_photo_longer_than_work_size_is_rendered_smaller_and_scaled_up():
    x = F.interpolate(photo("coffee"), size=(684, 1024), mode="bilinear", align_corners=False)
    out = render.RenderBackend().stylize(x, StyleIntent(medium="watercolor"), seed=0, work_size=256)
    assert out.shape == x.shape and 0.0 <= float(out.min()) and float(out.max()) <= 1.0
    assert hue_distance(x, out) < 0.15


def test_named_colours_recolour_the_flat_media():
    x = photo("coffee")
    plain = rendered("pixel_art", "coffee")
    blue = render.RenderBackend().stylize(x, StyleIntent(medium="pixel_art", palette=["#2050d0", "#a0c0ff"]), seed=0)
    lab = color.srgb_to_oklab(blue)
    assert float(lab[:, 2].mean()) < float(color.srgb_to_oklab(plain)[:, 2].mean()) - 0.03  # towards blue (b < 0)


@pytest.mark.parametrize("options, word", [
    ({"colors": 1}, "colors"), ({"pixel": 0}, "pixel"), ({"work_size": 10}, "work_size"),
    ({"dither": "maybe"}, "dither"), ({"cell": -4}, "cell"),
])
def test_bad_options_are_refused_by_name(options, word):
    with pytest.raises(UsageError, match=word):
        render.RenderBackend().stylize(photo("coffee"), StyleIntent(medium="pixel_art"), **options)


def test_a_medium_it_does_not_draw_is_refused_with_the_list():
    with pytest.raises(UsageError, match="pencil_sketch"):
        render.RenderBackend().stylize(photo("coffee"), StyleIntent(medium="vintage_film"))
    with pytest.raises(UsageError, match="no medium"):
        render.RenderBackend().stylize(photo("coffee"), StyleIntent())
