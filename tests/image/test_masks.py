"""Masks: the look lands only where the mask is white; black stays the photo, bit for bit."""

import numpy as np
import pytest
import torch
from PIL import Image

from harness.helpers import PHOTOS, photo
from spokenstyle import Engine, UsageError
from spokenstyle.image.color import srgb_to_oklab
from spokenstyle.image.masks import feather_mask, load_mask

PROMPT = "way warmer, much more contrast"  # a strong, global change: every pixel moves


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


def _half(h, w):
    """Left half black, right half white."""
    m = torch.zeros(h, w)
    m[:, w // 2 :] = 1.0
    return m


def _disc(h, w):
    yy, xx = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return (((yy - h / 2) ** 2 + (xx - w / 2) ** 2) < (min(h, w) / 3) ** 2).float()


def _weight_of(out, original, full):
    """Per pixel, how much of the styled change made it into ``out`` (least squares over RGB)."""
    d = full - original
    return ((out - original) * d).sum(1) / (d * d).sum(1).clamp_min(1e-12)


def _oklab_b(x):
    return srgb_to_oklab(x)[:, 2]


@pytest.mark.parametrize("name, feather", [("coffee", None), ("chelsea", 0), ("astronaut", 9)])
def test_black_is_bit_identical_and_white_gets_the_look(engine, name, feather):
    x = photo(name)
    h, w = x.shape[-2:]
    m = _disc(h, w)
    out = engine.stylize(x, PROMPT, mask=m, mask_feather=feather).tensor
    full = engine.stylize(x, PROMPT).tensor
    black, white = m == 0, m == 1
    assert torch.equal(out[..., black], x[..., black])
    # warmer where white: Oklab b rises there (by 0.009 on the already warm coffee cup, 0.04+
    # elsewhere; a just-noticeable chroma difference is about 0.02)
    assert float(_oklab_b(out)[:, white].mean()) > float(_oklab_b(x)[:, white].mean()) + 0.005
    # deep inside the white area (beyond any feather) the result is the unmasked one, exactly
    inner = _disc(h, w).clone()
    inner = (torch.nn.functional.avg_pool2d(inner[None, None], 21, stride=1, padding=10)[0, 0] == 1)
    assert torch.equal(out[..., inner], full[..., inner])


def test_feather_is_a_monotone_ramp_inside_the_white_region(engine):
    x = photo("coffee")
    h, w = x.shape[-2:]
    m = _half(h, w)
    full = engine.stylize(x, PROMPT).tensor
    for feather, ramp in ((12, 12), (5, 6), (None, 2)):  # default: 1% of 171 px = 2 px
        out = engine.stylize(x, PROMPT, mask=m, mask_feather=feather).tensor
        weight = _weight_of(out, x, full)[0].median(dim=0).values  # per column, robust
        edge = w // 2
        assert bool((weight[:edge] == 0).all())  # nothing leaks into black
        profile = weight[edge : edge + ramp + 3]
        assert bool((profile.diff() >= -1e-3).all()), profile  # monotone
        assert 0 < float(profile[0]) <= 0.25 and float(weight[edge + ramp]) > 0.999  # 0 -> 1 over the ramp
        assert int(((weight > 1e-3) & (weight < 0.999)).sum()) <= ramp  # and no wider


def test_feather_never_leaks_and_never_exceeds_the_mask():
    m = _disc(120, 160)
    m[10:13, 5:150] = 1.0  # a thin stroke
    m[60:, :40] = 0.5  # a grey area touching the border
    for feather in (1, 4, 15):
        soft = feather_mask(m, feather)
        assert bool((soft[m == 0] == 0).all())
        assert bool((soft <= m).all())
        r = -(-feather // 2)
        # anything not fully kept lies within 2r pixels of a lower pixel of the given mask
        lowered = soft < m
        near = -torch.nn.functional.max_pool2d(-m[None, None], 4 * r + 1, stride=1, padding=2 * r)[0, 0] < m
        assert bool((near | ~lowered).all())
    assert torch.equal(feather_mask(m, 0), m)
    ones = torch.ones(50, 60)
    assert torch.equal(feather_mask(ones, 7), ones)  # the image border is not an edge


def test_grey_mask_blends_and_colour_masks_count_by_luminance(engine, tmp_path):
    x = photo("chelsea")
    h, w = x.shape[-2:]
    full = engine.stylize(x, PROMPT).tensor
    half = engine.stylize(x, PROMPT, mask=torch.full((h, w), 0.5)).tensor
    assert torch.allclose(half, (x + full) / 2, atol=1e-6)
    red = Image.new("RGB", (w, h), (255, 0, 0))  # luminance 0.299 (ITU-R 601, as Pillow's "L")
    out = engine.stylize(x, PROMPT, mask=red).tensor
    assert float(_weight_of(out, x, full).median()) == pytest.approx(0.299, abs=2e-3)
    # transparent = not painted = black: white strokes on a transparent layer
    layer = np.zeros((h, w, 4), np.uint8)
    layer[:, w // 2 :] = (255, 255, 255, 255)
    layer[:, : w // 2, :3] = 255  # white but fully transparent
    Image.fromarray(layer, "RGBA").save(tmp_path / "strokes.png")
    out = engine.stylize(PHOTOS["chelsea"], PROMPT, mask=tmp_path / "strokes.png", mask_feather=0).tensor
    assert torch.equal(out[..., : w // 2], x[..., : w // 2])
    assert torch.equal(out[..., w // 2 :], full[..., w // 2 :])


def test_mask_of_the_original_size_follows_max_size(engine, tmp_path):
    m = _half(171, 256)
    Image.fromarray((m.numpy() * 255).astype(np.uint8)).save(tmp_path / "half.png")
    out = engine.stylize(PHOTOS["coffee"], PROMPT, mask=tmp_path / "half.png", max_size=100, mask_feather=0).tensor
    small = engine.stylize(PHOTOS["coffee"], strength=0, max_size=100).tensor
    assert out.shape[-1] == 100
    assert torch.equal(out[..., :48], small[..., :48])  # the black half (resizing blurs 1-2 columns)
    assert float(_oklab_b(out)[..., 52:].mean()) > float(_oklab_b(small)[..., 52:].mean()) + 0.02


def test_saved_file_keeps_the_black_region(engine, tmp_path):
    result = engine.stylize(PHOTOS["astronaut"], PROMPT, mask=_disc(192, 192))
    out = np.asarray(Image.open(result.save(tmp_path / "o.png")).convert("RGB"))
    original = np.asarray(Image.open(PHOTOS["astronaut"]).convert("RGB"))
    black = _disc(192, 192).numpy() == 0
    assert np.array_equal(out[black], original[black]) and not np.array_equal(out[~black], original[~black])
    assert result.masks == ["<tensor>"] and any("masked" in n for n in result.notes)


def test_batches_share_a_mask_or_take_one_each(engine):
    a, b = photo("coffee"), photo("chelsea")  # 256x171 and 256x170
    both = torch.cat([a, a.flip(-1)])
    out = engine.stylize(both, PROMPT, mask=_half(171, 256)).tensor
    assert torch.equal(out[..., :128], both[..., :128])
    per_photo = torch.stack([_half(171, 256), _half(171, 256).flip(-1)])[:, None]  # (N, 1, H, W)
    out = engine.stylize(both, PROMPT, mask=per_photo).tensor
    assert torch.equal(out[0, :, :, :128], both[0, :, :, :128]) and torch.equal(out[1, :, :, 128:], both[1, :, :, 128:])
    with pytest.raises(UsageError, match=r"mask= is one 256x171 mask but the photos differ in size .* one per photo"):
        engine.stylize([a, b], PROMPT, mask=_half(171, 256))
    result = engine.stylize([a, b], PROMPT, mask=[_half(171, 256), _disc(170, 256)])
    assert torch.equal(result.tensors[0][:, :, :128], a[0, :, :, :128])
    assert torch.equal(result.tensors[1][:, _disc(170, 256) == 0], b[0][:, _disc(170, 256) == 0])
    with pytest.raises(UsageError, match="list of 1 masks for 2 photos"):
        engine.stylize([a, b], PROMPT, mask=[_half(171, 256)])


@pytest.mark.parametrize(
    "mask, message",
    [
        (torch.zeros(100, 256), r"mask= is 256x100 but the photo <tensor> is 256x171; pass a mask of the photo's size \(resize it to 256x171"),
        (torch.zeros(2, 1, 171, 256), "holds 2 masks for 1 photos"),
        (torch.full((171, 256), 2.0), r"must lie in \[0, 1\]"),
        (torch.zeros(171, 256, 3), "mask= tensor has shape"),
        (torch.zeros(171, 256, dtype=torch.int32), "dtype"),
        ("nowhere/mask.png", "mask 'nowhere/mask.png' does not exist"),
        (3.5, "cannot use float as mask="),
    ],
)
def test_bad_masks_are_usage_errors(engine, mask, message):
    with pytest.raises(UsageError, match=message):
        engine.stylize(photo("coffee"), PROMPT, mask=mask)


@pytest.mark.parametrize("feather", [-1, "soft", True])
def test_bad_feather_is_a_usage_error(engine, feather):
    with pytest.raises(UsageError, match="mask_feather="):
        engine.stylize(photo("coffee"), PROMPT, mask=_half(171, 256), mask_feather=feather)


def test_a_mask_file_with_exif_rotation_matches_the_displayed_photo(tmp_path):
    # a portrait mask stored landscape plus an EXIF rotation is the displayed (portrait) size
    im = Image.new("L", (40, 30), 255)
    exif = Image.Exif()
    exif[0x0112] = 6
    im.save(tmp_path / "rot.jpg", exif=exif.tobytes())
    (m,) = load_mask(tmp_path / "rot.jpg")
    assert m.size == (30, 40) and float(m.weights.min()) > 0.98


def test_the_mask_comes_after_preserve_color(engine):
    x = photo("coffee")
    m = _half(171, 256)
    for mode in ("luminance", "statistics"):
        out = engine.stylize(x, "oil painting, very cool", mask=m, preserve_color=mode).tensor
        assert torch.equal(out[..., :128], x[..., :128])
