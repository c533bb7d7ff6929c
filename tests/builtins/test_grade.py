"""The grade backend moves real photos the way the words say (English and Chinese)."""

import pytest
import torch

from harness.helpers import PHOTOS, lum, photo, saturation, warm_index
from spokenstyle import StyleIntent
from spokenstyle.builtins.grade import GradeBackend, grade
from spokenstyle.builtins.lexicon import LexiconEncoder
from spokenstyle.image.color import chroma, oklab_to_srgb, srgb_to_oklab

enc = LexiconEncoder()
NAMES = list(PHOTOS)


def g(x, prompt, **kw):
    return grade(x, enc.encode(prompt), **kw)


@pytest.fixture(scope="module", params=NAMES)
def img(request):
    return photo(request.param)


@pytest.mark.parametrize("prompt", ["warmer", "暖一点", "make it warm", "暖色调"])
def test_warmer_raises_red_minus_blue(img, prompt):
    out = g(img, prompt)
    assert warm_index(out) > warm_index(img) + 0.01


@pytest.mark.parametrize("prompt", ["cooler", "冷一点"])
def test_cooler_lowers_red_minus_blue(img, prompt):
    assert warm_index(g(img, prompt)) < warm_index(img) - 0.01


def test_white_balance_moves_chroma_not_lightness(img):
    out = g(img, "very warm")
    assert (lum(out) - lum(img)).abs().mean() < 0.01


@pytest.mark.parametrize("prompt", ["black and white", "黑白", "monochrome"])
def test_black_and_white_drives_saturation_to_zero(img, prompt):
    out = g(img, prompt)
    assert saturation(img) > 0.1
    assert saturation(out) < 0.01
    assert float(chroma(out).max()) < 0.01


@pytest.mark.parametrize("prompt", ["more contrast", "对比度高一点", "punchy", "高对比"])
def test_more_contrast_raises_luminance_std(img, prompt):
    assert lum(g(img, prompt)).std() > lum(img).std() * 1.03


def _flat(x):
    """Fraction of pixels that are pure black or pure white in 8 bits (detail lost)."""
    return float(((x <= 1 / 255).all(1) | (x >= 254 / 255).all(1)).float().mean())


@pytest.mark.parametrize("prompt", ["super contrasty", "very vivid", "darker, moody", "way brighter", "super warm"])
def test_no_clipping_into_flat_patches(img, prompt):
    out = g(img, prompt)
    assert _flat(out) < _flat(img) + 0.08  # near-black shadows may go black when asked
    # pixels with real content (mid lightness) never become flat black or white
    L = lum(img)[:, 0]
    mid = (L > 0.3) & (L < 0.9)
    flat = (out <= 1 / 255).all(1) | (out >= 254 / 255).all(1)
    assert float(flat[mid].float().mean()) < 0.002


@pytest.mark.parametrize("prompt", ["super contrasty", "way brighter", "much darker", "less contrast", "faded"])
def test_tone_curves_are_monotonic(img, prompt):
    """Pointwise tone steps keep the order of lightness: no inversions, no posterisation."""
    L0, L1 = lum(img).flatten(), lum(g(img, prompt)).flatten()
    order = torch.argsort(L0)
    assert (L1[order].diff() >= -2e-3).float().mean() > 0.99


def test_saturation_boost_keeps_colours_in_gamut_without_clipping_hue():
    img = photo("coffee")
    out = g(img, "very vivid")
    lab0, lab1 = srgb_to_oklab(img), srgb_to_oklab(out)
    c0, c1 = lab0[:, 1:].norm(dim=1), lab1[:, 1:].norm(dim=1)
    colourful = (c0 > 0.05) & (c1 > 0.05)
    hue0 = torch.atan2(lab0[:, 2], lab0[:, 1])[colourful]
    hue1 = torch.atan2(lab1[:, 2], lab1[:, 1])[colourful]
    dh = torch.remainder(hue1 - hue0 + torch.pi, 2 * torch.pi) - torch.pi
    assert dh.abs().mean() < 0.04  # hue kept (clipping channels instead shifts it ~0.09 rad here)
    assert (lum(out) - lum(img)).abs().mean() < 0.003  # and lightness
    assert c1.mean() > c0.mean() * 1.1  # and more chroma


@pytest.mark.parametrize("prompt", ["darker, moody", "暗一点，有情绪"])
def test_darker_moody_lowers_mean_luminance(img, prompt):
    assert lum(g(img, prompt)).mean() < lum(img).mean() - 0.03


@pytest.mark.parametrize("prompt", ["not too dark", "不要太暗", "别太暗", "warmer but not too dark"])
def test_not_too_dark_never_lowers_luminance(img, prompt):
    assert lum(g(img, prompt)).mean() >= lum(img).mean() - 1e-4


def test_moody_but_not_too_dark_darkens_only_a_little(img):
    base = lum(img).mean()
    moody = base - lum(g(img, "moody")).mean()
    limited = base - lum(g(img, "moody but not too dark")).mean()
    assert 0 < limited < moody * 0.75


@pytest.mark.parametrize("weak, strong", [("a little warmer", "very warm"), ("有点暖", "很暖"), ("slightly brighter", "way brighter")])
def test_a_little_moves_less_than_very(img, weak, strong):
    def moved(p):
        return (g(img, p) - img).abs().mean()
    assert 0 < moved(weak) < moved(strong)


def test_brighter_raises_mean_luminance(img):
    assert lum(g(img, "brighter")).mean() > lum(img).mean() + 0.02
    assert lum(g(img, "亮一点")).mean() > lum(img).mean() + 0.01


def test_strength_zero_returns_input_unchanged(img):
    intent = enc.encode("vintage film, very warm, more contrast").replace(strength=0.0)
    out = grade(img, intent)
    assert torch.equal(out, img)


def test_strength_scales_the_change(img):
    intent = enc.encode("very warm")
    full = grade(img, intent)
    half = grade(img, intent.replace(strength=0.5))
    assert torch.allclose(half, (img + full) / 2, atol=1e-5)


def test_identity_intent_returns_input_exactly(img):
    assert grade(img, enc.encode("")) is img


def test_fade_lifts_the_blacks(img):
    out = g(img, "faded, matte")
    assert lum(out).min() > lum(img).min() + 0.03


def test_vignette_darkens_corners_more_than_centre(img):
    out = g(img, "strong vignette")
    h, w = img.shape[-2:]
    d = lum(out) - lum(img)
    L0 = lum(img)
    ratio = lum(out) / L0.clamp_min(1e-3)
    lit = L0 > 0.05  # ratios of near-black pixels mean nothing

    def region(ys, xs):
        return ratio[..., ys, xs][lit[..., ys, xs]].mean()

    corner = region(slice(0, h // 8), slice(0, w // 8))
    centre = region(slice(3 * h // 8, 5 * h // 8), slice(3 * w // 8, 5 * w // 8))
    assert corner < 0.85
    assert abs(float(centre) - 1.0) < 0.01
    assert d[..., : h // 8, : w // 8].mean() < 0


def _detail(x):
    L = lum(x)
    return float((L[..., 1:, :] - L[..., :-1, :]).abs().mean() + (L[..., :, 1:] - L[..., :, :-1]).abs().mean())


def test_sharper_adds_detail_and_softer_removes_it(img):
    assert _detail(g(img, "sharper")) > _detail(img) * 1.1
    assert _detail(g(img, "softer, dreamy")) < _detail(img) * 0.9


def test_grain_is_seeded_and_adds_texture(img):
    a = g(img, "grainy", seed=1)
    b = g(img, "grainy", seed=1)
    c = g(img, "grainy", seed=2)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert _detail(a) > _detail(img)
    assert abs(float(lum(a).mean() - lum(img).mean())) < 0.01


def test_split_toning_tints_shadows_and_highlights_differently():
    ramp = torch.linspace(0, 1, 256).view(1, 1, 1, 256).expand(1, 3, 16, 256).contiguous()
    out = grade(ramp, StyleIntent(palette=["#1d5c63", "#f0a35e"]))  # teal shadows, orange highlights
    lab = srgb_to_oklab(out)
    dark, light = lab[..., 30:60].mean(dim=(-1, -2)), lab[..., 200:230].mean(dim=(-1, -2))
    assert dark[0, 2] < -0.005 < 0.005 < light[0, 2]  # b: blue-ish shadows, yellow-ish highlights
    assert (lum(out) - lum(ramp)).abs().max() < 0.02


def test_saturation_and_vibrance(img):
    assert saturation(g(img, "vivid")) > saturation(img) * 1.05
    assert saturation(g(img, "muted")) < saturation(img) * 0.95
    assert saturation(g(img, "vibrant")) > saturation(img)


def test_oklab_round_trip_is_accurate(img):
    assert (oklab_to_srgb(srgb_to_oklab(img)) - img).abs().max() < 1e-4


def test_batch_and_dtype_and_shape_are_preserved():
    x = torch.cat([photo("coffee"), photo("coffee").flip(-1)])
    out = g(x, "warmer, more contrast, grainy")
    assert out.shape == x.shape and out.dtype == x.dtype
    out16 = g(x.half(), "warmer")
    assert out16.dtype == torch.float16
    assert warm_index(out16.float()) > warm_index(x)
    with pytest.raises(ValueError, match=r"\(N, 3, H, W\)"):
        grade(x[:, :1], enc.encode("warmer"))


def test_backend_object_contract():
    backend = GradeBackend()
    intent = enc.encode("vintage film")
    assert backend.handles(intent) and not backend.handles(enc.encode("oil painting"))
    x = photo("chelsea")
    assert torch.equal(backend.stylize(x, intent, style=None, seed=3, engine=None), grade(x, intent, seed=3))


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU available")
def test_grade_on_cuda_matches_cpu():
    x = photo("coffee")
    intent = enc.encode("warmer, more contrast, fade, vignette, sharper")
    cpu = grade(x, intent)
    gpu = grade(x.cuda(), intent)
    assert gpu.device.type == "cuda"
    assert (gpu.cpu() - cpu).abs().max() < 2e-3


# ------------------------------------------------------------------ protection (issue 11)
from spokenstyle.image.color import clipped_highlights, crushed_shadows, skin_weight  # noqa: E402


@pytest.mark.parametrize("name", ["coffee", "astronaut"])
@pytest.mark.parametrize("plain, protected", [("提亮", "提亮，但不要过曝"), ("way brighter", "way brighter, keep the highlights")])
def test_protected_highlights_brighten_without_new_clipping(name, plain, protected):
    x = photo(name)
    bright, kept = g(x, plain), g(x, protected)
    assert clipped_highlights(bright) > clipped_highlights(x) + 0.01  # the plain word does blow some out
    assert clipped_highlights(kept) <= clipped_highlights(x)
    assert clipped_highlights(kept) <= clipped_highlights(bright)
    # it still brightens, nearly as much
    assert lum(kept).mean() > lum(x).mean() + 0.6 * float(lum(bright).mean() - lum(x).mean())


def test_protected_shadows_darken_without_new_pure_black():
    x = photo("astronaut")
    dark, kept = g(x, "much darker"), g(x, "much darker, 别死黑")
    assert crushed_shadows(dark) > crushed_shadows(x) + 0.01
    assert crushed_shadows(kept) <= crushed_shadows(x)
    assert lum(kept).mean() < lum(x).mean() - 0.05


def test_protected_skin_keeps_its_colour():
    x = photo("astronaut")
    lab0 = srgb_to_oklab(x)
    w = skin_weight(lab0)
    assert float(w.mean()) > 0.05  # the face is found

    def skin_shift(y):
        return float(((srgb_to_oklab(y)[:, 1:] - lab0[:, 1:]).norm(dim=1, keepdim=True) * w).sum() / w.sum())

    cold, kept = g(x, "much cooler"), g(x, "much cooler, keep the skin tones")
    assert skin_shift(kept) < 0.3 * skin_shift(cold)
    assert warm_index(kept) < warm_index(x) - 0.01  # the rest of the photo still cools


def test_protection_alone_changes_nothing():
    x = photo("coffee")
    intent = enc.encode("别过曝，保留肤色")
    assert intent.protect == ["highlights", "skin"] and intent.is_identity
    assert grade(x, intent) is x
