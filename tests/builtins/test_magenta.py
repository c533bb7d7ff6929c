"""The ``magenta`` and ``magenta26`` backends, through the engine as a user calls them: the style
vector (alpha toward the photo's own style), banded execution equal to the whole photo, the
engine's masks and colour preservation, bfloat16, and clear errors for bad options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import spokenstyle
from spokenstyle.errors import UsageError
from spokenstyle.image.color import srgb_to_oklab

ROOT = Path(__file__).resolve().parents[2]
CHELSEA = ROOT / "data/photos/heldout/chelsea.jpg"
COFFEE = ROOT / "data/photos/heldout/coffee.jpg"
PAINTING = ROOT / "examples/painting.jpg"


def _photo(path: Path, side: int = 160) -> Image.Image:
    im = Image.open(path).convert("RGB")
    im.thumbnail((side, side))
    return im


def _t(im: Image.Image) -> torch.Tensor:
    return torch.from_numpy(np.asarray(im, dtype=np.float32) / 255).permute(2, 0, 1)[None]


def _psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(10 * torch.log10(1.0 / ((a.double() - b.double()) ** 2).mean()))


def _color_stats(x: torch.Tensor) -> torch.Tensor:
    lab = srgb_to_oklab(x).flatten(2)
    return torch.cat([lab.mean(-1), lab.std(-1)], -1).flatten()


@pytest.fixture(scope="module")
def engine():
    return spokenstyle.Engine(device="cpu")


def test_the_planner_offers_magenta_by_name_and_it_transfers_the_style_image(engine):
    photo, style = _photo(CHELSEA), _photo(PAINTING, 256)
    res = engine.stylize(photo, None, style, backend="magenta")
    out = res.tensor
    assert res.backends[0] == "magenta"
    assert out.shape[-2:] == (photo.size[1], photo.size[0])
    # the colours move from the photo's toward the painting's (mean and spread in Oklab)
    before = (_color_stats(_t(photo)) - _color_stats(_t(style))).norm()
    after = (_color_stats(out) - _color_stats(_t(style))).norm()
    assert after < 0.6 * before, (float(before), float(after))  # measured 0.42x (coffee), 0.49x (chelsea)


def test_alpha_moves_the_style_vector_from_the_photos_own_to_the_style_images(engine):
    photo, style = _photo(COFFEE), _photo(PAINTING, 256)
    far = []
    for alpha in (0.0, 0.5, 1.0):
        out = engine.stylize(photo, None, style, backend="magenta", options={"alpha": alpha}).tensor
        far.append(float((_color_stats(out) - _color_stats(_t(style))).norm()))
    assert far[0] > far[1] > far[2], far
    # alpha 0 paints the photo in its own style: close to the photo, not to the painting
    own = engine.stylize(photo, None, style, backend="magenta", options={"alpha": 0.0}).tensor
    assert _psnr(own, _t(photo)) > 14.0  # measured 17.3 dB (coffee), 21.2 (chelsea); the painting is 8-11 dB away
    assert _psnr(own, _t(photo)) > _psnr(own, _t(style.resize(photo.size))) + 4


def test_bands_of_rows_paint_what_the_whole_photo_paints(engine):
    photo, style = _photo(CHELSEA, 300), _photo(PAINTING, 256)
    whole = engine.stylize(photo, None, style, backend="magenta").tensor
    banded = engine.stylize(photo, None, style, backend="magenta", options={"tile_size": 64}).tensor
    assert _psnr(whole, banded) > 60.0  # float rounding only: the norms' statistics stay whole-image
    w26 = engine.stylize(photo, None, backend="magenta26").tensor
    b26 = engine.stylize(photo, None, backend="magenta26", options={"tile_size": 64}).tensor
    assert _psnr(w26, b26) > 60.0


def test_size_paints_smaller_and_returns_the_photos_size(engine):
    photo = _photo(COFFEE, 300)
    out = engine.stylize(photo, None, _photo(PAINTING, 256), backend="magenta", options={"size": 96}).tensor
    assert out.shape[-2:] == (photo.size[1], photo.size[0])
    full = engine.stylize(photo, None, _photo(PAINTING, 256), backend="magenta").tensor

    def detail(x):  # mean absolute difference of neighbouring pixels
        return float((x[..., 1:, :] - x[..., :-1, :]).abs().mean() + (x[..., 1:] - x[..., :-1]).abs().mean())

    assert detail(out) < 0.7 * detail(full)  # painted at 96 px and scaled up: fewer, broader strokes


def test_a_mask_keeps_the_black_region_bit_identical_and_colour_can_be_kept(engine):
    photo = _photo(CHELSEA)
    w, h = photo.size
    mask = Image.new("L", (w, h), 0)
    mask.paste(255, (w // 2, 0, w, h))
    out = engine.stylize(photo, None, _photo(PAINTING, 256), backend="magenta", mask=mask, mask_feather=0).tensor
    src = _t(photo)
    assert torch.equal(out[..., : w // 2 - 1], src[..., : w // 2 - 1])
    assert not torch.allclose(out[..., w // 2 + 1:], src[..., w // 2 + 1:], atol=0.05)
    kept = engine.stylize(photo, None, _photo(PAINTING, 256), backend="magenta", preserve_color=True).tensor
    ab_photo, ab_kept = srgb_to_oklab(_t(photo))[:, 1:], srgb_to_oklab(kept)[:, 1:]
    assert (ab_kept - ab_photo).abs().mean() < 0.01  # the photo's own chroma, pixel for pixel


def test_without_a_style_image_the_prompts_medium_is_the_style(engine):
    res = engine.stylize(_photo(COFFEE), "watercolor", backend="magenta", seed=0)
    assert res.backends[0] == "magenta"
    again = engine.stylize(_photo(COFFEE), "watercolor", backend="magenta", seed=0)
    assert torch.equal(res.tensor, again.tensor)  # the exemplar follows the seed


def test_magenta26_mixes_styles_by_name_and_the_strength_blends_with_the_photo(engine):
    photo = _photo(COFFEE)
    a = engine.stylize(photo, None, backend="magenta26", options={"styles": "style19"}).tensor
    b = engine.stylize(photo, None, backend="magenta26", options={"styles": "style07"}).tensor
    mix = engine.stylize(photo, None, backend="magenta26", options={"styles": "style19:0.5,style07:0.5"}).tensor
    assert _psnr(a, b) < 20.0  # two different paintings
    assert min(_psnr(mix, a), _psnr(mix, b)) < 35.0 and not torch.equal(mix, a)
    half = engine.stylize(photo, None, backend="magenta26", strength=0.5, options={"styles": "style19"}).tensor
    assert _psnr(half, (a + _t(photo)) / 2) > 40.0


def test_bfloat16_paints_the_float32_picture(engine):
    photo, style = _photo(CHELSEA), _photo(PAINTING, 256)
    f32 = engine.stylize(photo, None, style, backend="magenta").tensor
    bf16 = engine.stylize(photo, None, style, backend="magenta", options={"precision": "bfloat16"}).tensor
    assert _psnr(f32, bf16) > 35.0  # measured 46.4 dB (chelsea, 160 px)


@pytest.mark.parametrize("backend, options, word", [
    ("magenta", {"alpha": 1.5}, "alpha"),
    ("magenta", {"alpha": "much"}, "alpha"),
    ("magenta", {"style_size": 8}, "style_size"),
    ("magenta", {"tile_size": 10}, "tile_size"),
    ("magenta", {"size": 20}, "size"),
    ("magenta", {"precision": "fp8"}, "precision"),
    ("magenta26", {"styles": "style99"}, "style"),
    ("magenta26", {"styles": "style01:-1"}, "style"),
])
def test_bad_options_are_errors_that_name_them(engine, backend, options, word):
    with pytest.raises(UsageError, match=word):
        engine.stylize(_photo(COFFEE, 64), None, _photo(PAINTING, 64), backend=backend, options=options)
