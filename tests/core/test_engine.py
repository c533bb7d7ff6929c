"""Engine API: inputs of every kind, batches, Result, the planner, strength and preserve_color."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

import spokenstyle
from harness.helpers import PHOTOS, REPO, lum, photo, warm_index
from harness.plugins import fake_plugin
from spokenstyle import Engine, StyleIntent, UsageError
from spokenstyle.image.color import chroma, srgb_to_oklab
from spokenstyle.plugins.testing import isolated_plugins


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


def test_import_is_light():
    code = (
        "import sys, spokenstyle; "
        "heavy = [m for m in ('transformers', 'spokenstyle.core.engine', 'spokenstyle.builtins.grade', "
        "'spokenstyle.builtins.lexicon', 'PIL.Image') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip() == "[]"


def test_path_pil_and_tensor_inputs_agree(engine):
    path = PHOTOS["coffee"]
    by_path = engine.stylize(path, "warmer").tensors[0]
    by_str = engine.stylize(str(path), "warmer").tensors[0]
    by_pil = engine.stylize(Image.open(path), "warmer").tensors[0]
    by_tensor = engine.stylize(photo("coffee")[0], "warmer").tensors[0]
    for other in (by_str, by_pil, by_tensor):
        assert torch.allclose(by_path, other, atol=1e-6)


def test_result_fields(engine):
    result = engine.stylize(PHOTOS["chelsea"], "暖一点，对比度高一点")
    assert isinstance(result.image, Image.Image) and result.image.size == (256, 170)
    assert result.intent["warmth"] > 0 and result.intent["contrast"] > 0
    assert result.backends == ["grade"]
    assert set(result.timings) == {"load", "encode", "setup", "stylize", "total"}
    assert all(v >= 0 for v in result.timings.values())
    assert result.timings["total"] >= result.timings["stylize"]
    assert result.sources == [str(PHOTOS["chelsea"])]
    assert "warmth +0.20" in result.explain() and "backends: grade" in result.explain()
    assert warm_index(result.tensor) > warm_index(photo("chelsea"))
    assert result.to_dict()["intent"]["attributes"]["warmth"] == pytest.approx(0.2)


def test_batch_in_one_call_keeps_order_and_sizes(engine):
    inputs = [PHOTOS["coffee"], PHOTOS["astronaut"], PHOTOS["coffee"]]
    result = engine.stylize(inputs, "very warm")
    assert len(result) == 3
    assert [im.size for im in result.images] == [(256, 171), (192, 192), (256, 171)]
    assert torch.equal(result.tensors[0], result.tensors[2])
    single = engine.stylize(PHOTOS["astronaut"], "very warm").tensors[0]
    assert torch.allclose(result.tensors[1], single, atol=1e-6)
    with pytest.raises(UsageError, match="images"):
        result.image


def test_batched_tensor_input(engine):
    x = torch.cat([photo("coffee"), photo("coffee").flip(-1)])
    result = engine.stylize(x, "cooler")
    assert result.tensor.shape == x.shape
    assert warm_index(result.tensor) < warm_index(x)


def test_strength_zero_returns_the_photo_exactly(engine, tmp_path):
    result = engine.stylize(PHOTOS["coffee"], "vintage film, super warm", strength=0)
    original = Image.open(PHOTOS["coffee"]).convert("RGB")
    assert np.array_equal(np.asarray(result.image), np.asarray(original))
    assert any("strength 0" in n for n in result.notes)


def test_strength_in_between_is_in_between(engine):
    x = photo("coffee")
    w = [warm_index(engine.stylize(x, "very warm", strength=s).tensor) for s in (0.0, 0.5, 1.0)]
    assert w[0] < w[1] < w[2]


@pytest.mark.parametrize("bad", [-0.1, 1.5, "lots"])
def test_strength_out_of_range(engine, bad):
    with pytest.raises(UsageError, match="strength"):
        engine.stylize(PHOTOS["coffee"], "warmer", strength=bad)


def test_preserve_color_keeps_chroma_and_changes_tones(engine):
    x = photo("coffee")
    kept = engine.stylize(x, "black and white, much brighter", preserve_color=True).tensor
    assert (chroma(kept) - chroma(x)).abs().mean() < 0.01  # colours stay although b&w was asked
    assert lum(kept).mean() > lum(x).mean() + 0.03
    by_words = engine.stylize(x, "much brighter, keep the colours").tensor
    assert by_words.shape == x.shape
    a0, a1 = srgb_to_oklab(x)[:, 1:], srgb_to_oklab(engine.stylize(x, "very warm, keep the colours").tensor)[:, 1:]
    assert (a1 - a0).abs().mean() < 0.005


def test_intent_can_be_given_instead_of_a_prompt(engine):
    intent = StyleIntent(attributes={"warmth": 0.8})
    result = engine.stylize(photo("chelsea"), intent=intent)
    assert warm_index(result.tensor) > warm_index(photo("chelsea"))
    with pytest.raises(UsageError, match="not both"):
        engine.stylize(photo("chelsea"), "warmer", intent=intent)


def test_unknown_backend_and_bad_inputs_are_usage_errors(engine, tmp_path):
    with pytest.raises(UsageError, match="did you mean 'grade'"):
        engine.stylize(PHOTOS["coffee"], "warmer", backend="grad")
    with pytest.raises(UsageError, match="does not exist"):
        engine.stylize(tmp_path / "missing.jpg", "warmer")
    with pytest.raises(UsageError, match="channels first"):
        engine.stylize(torch.rand(16, 16, 3), "warmer")
    with pytest.raises(UsageError, match="cannot use int"):
        engine.stylize(42, "warmer")
    with pytest.raises(UsageError, match="CUDA is not available|device"):
        if torch.cuda.is_available():
            raise UsageError("device check skipped: CUDA present")
        Engine(device="cuda")


def test_planner_grades_a_medium_without_texture_backend_and_says_so(engine):
    # a plugin's own medium that no installed backend renders
    result = engine.stylize(PHOTOS["coffee"], intent=spokenstyle.StyleIntent(medium="claymation", attributes={"warmth": 0.4}))
    assert result.backends == ["grade"]
    assert any("claymation medium was not rendered as a texture" in n for n in result.notes)
    assert "not rendered" in result.explain()
    assert engine.plan(engine.encode("vintage film")).medium_rendered is True  # grade renders it
    assert engine.plan(engine.encode("oil painting")).backends == ["render", "grade"]
    assert engine.plan(engine.encode("warmer")).medium_rendered is None


def test_planner_prefers_a_backend_that_declares_the_medium():
    calls = []

    class Watercolor:
        media = ("watercolor",)
        priority = 5

        def handles(self, intent):
            return intent.medium == "watercolor"

        def stylize(self, content, intent, *, style=None, seed=None, engine=None):
            calls.append(intent.medium)
            return content.flip(-1)

    class Looky(Watercolor):
        applies_look = True

    plugin = fake_plugin(style_backends={"wc": Watercolor})

    with isolated_plugins(plugin) as pm:
        engine = Engine()
        result = engine.stylize(photo("coffee"), "watercolor, warmer")
        assert result.backends == ["wc", "grade"] and calls == ["watercolor"]
        assert engine.stylize(photo("coffee"), "oil painting").backends == ["render", "grade"]  # not wc's medium
        # forcing a backend runs exactly that, in order
        assert engine.stylize(photo("coffee"), "warmer", backend="grade,wc").backends == ["grade", "wc"]

        plugin2 = fake_plugin("Plugin2", style_backends={"looky": Looky})

        pm.register(plugin2, name="p2")
        engine = Engine()
        # same medium, same priority: the name decides; a backend that applies the look skips grade
        plan = engine.plan(engine.encode("watercolor"))
        assert plan.backends == ["looky"]


def test_planning_a_look_does_not_import_lazy_backends(tmp_path, monkeypatch):
    mod = "lazy_heavy_backend_mod"
    (tmp_path / f"{mod}.py").write_text("class B:\n    media = ('oil_painting',)\n    def stylize(self, c, i, **k):\n        return c\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    plugin = fake_plugin(style_backends={"heavy": f"{mod}:B"})

    with isolated_plugins(plugin):
        engine = Engine()
        assert engine.stylize(photo("chelsea"), "warmer").backends == ["grade"]
        assert mod not in sys.modules
        assert engine.stylize(photo("chelsea"), "oil painting").backends == ["heavy", "grade"]
        assert mod in sys.modules


def test_backend_returning_garbage_is_a_clear_error():
    class Broken:
        def stylize(self, content, intent, **kw):
            return content[:, :1]

    plugin = fake_plugin(style_backends={"broken": Broken})

    with isolated_plugins(plugin):
        with pytest.raises(UsageError, match=r"'broken' returned \(1, 1,"):
            Engine().stylize(photo("chelsea"), backend="broken")


def test_one_liner_and_style_image_note(tmp_path):
    result = spokenstyle.stylize(PHOTOS["coffee"], "暖一点", style=PHOTOS["chelsea"], backend="grade")
    assert any("style image was not used" in n for n in result.notes)
    result = spokenstyle.stylize(PHOTOS["coffee"], "暖一点", style=PHOTOS["chelsea"])
    assert result.backends == ["magenta", "grade"]
    assert any("style image transferred by 'magenta'" in n for n in result.notes)
    out = result.save(tmp_path / "out.webp")
    assert Image.open(out).format == "WEBP"


def test_max_size_shrinks_the_long_side(engine):
    result = engine.stylize(PHOTOS["coffee"], "warmer", max_size=100)
    assert max(result.image.size) == 100
    result = engine.stylize(photo("coffee"), "warmer", max_size=64)
    assert max(result.image.size) == 64


def test_seed_makes_grain_reproducible(engine):
    a = engine.stylize(PHOTOS["coffee"], "grainy", seed=7).tensor
    b = engine.stylize(PHOTOS["coffee"], "grainy", seed=7).tensor
    c = engine.stylize(PHOTOS["coffee"], "grainy", seed=8).tensor
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU available")
def test_engine_on_cuda():
    result = Engine(device="cuda").stylize(PHOTOS["coffee"], "warmer, more contrast")
    assert result.tensors[0].device.type == "cuda"
    assert warm_index(result.tensor.cpu()) > warm_index(photo("coffee"))


# ----------------------------------------------------------------------------- preserve_color modes
def _ab_stats(x):
    ab = srgb_to_oklab(x)[:, 1:]
    return ab.mean(dim=(0, 2, 3)), ab.std(dim=(0, 2, 3))


@pytest.mark.parametrize("name", ["coffee", "chelsea", "astronaut"])
def test_preserve_color_statistics_keeps_the_photos_colour_statistics(engine, name):
    x = photo(name)
    prompt = "very cool, much more contrast"
    styled = engine.stylize(x, prompt).tensor
    kept = engine.stylize(x, prompt, preserve_color="statistics").tensor
    (m0, s0), (m1, s1), (m2, s2) = _ab_stats(x), _ab_stats(styled), _ab_stats(kept)
    assert float((m1 - m0).abs().max()) > 0.02  # the look moved the palette (b falls by 0.036-0.041)
    # measured: |mean - photo's| <= 0.0052, |std - photo's| <= 0.003 (gamut mapping trims chroma)
    assert float((m2 - m0).abs().max()) < 0.007 and float((s2 - s0).abs().max()) < 0.004
    # lightness is the styled image's (to gamut mapping), not the photo's
    assert float((lum(kept) - lum(styled)).abs().mean()) < 2e-3
    assert float((lum(styled) - lum(x)).abs().mean()) > 0.02


def test_statistics_keeps_a_textures_colour_variation_and_luminance_does_not():
    class Stripes:
        """Adds vertical red/green stripes: colour texture, like a painter's strokes."""

        def stylize(self, content, intent, **kw):
            stripe = (torch.arange(content.shape[-1]) // 4 % 2).float() * 2 - 1
            tint = torch.tensor([0.12, -0.12, 0.0]).view(1, 3, 1, 1) * stripe
            return (content + tint).clamp(0, 1)

    plugin = fake_plugin(style_backends={"stripes": Stripes})

    x = photo("chelsea")
    stripe = (torch.arange(x.shape[-1]) // 4 % 2).float() * 2 - 1
    with isolated_plugins(plugin):
        engine = Engine()
        outs = {mode: engine.stylize(x, backend="stripes", preserve_color=mode).tensor for mode in ("luminance", "statistics")}
    a0 = srgb_to_oklab(x)[0, 1]

    def stripe_corr(y):
        da = (srgb_to_oklab(y)[0, 1] - a0).mean(0)  # per column
        return float(torch.corrcoef(torch.stack([da, stripe]))[0, 1])

    assert stripe_corr(outs["statistics"]) > 0.9
    assert abs(stripe_corr(outs["luminance"])) < 0.2
    assert float((srgb_to_oklab(outs["luminance"])[:, 1:] - srgb_to_oklab(x)[:, 1:]).abs().mean()) < 0.003


def test_preserve_color_luminance_keeps_colours_per_pixel_and_is_recorded(engine):
    x = photo("astronaut")
    lum_mode = engine.stylize(x, "oil painting, very warm", preserve_color="luminance")
    assert torch.equal(lum_mode.tensor, engine.stylize(x, "oil painting, very warm", preserve_color=True).tensor)
    ab = srgb_to_oklab(lum_mode.tensor)[:, 1:] - srgb_to_oklab(x)[:, 1:]
    # mean 0.0009 measured; the 99th percentile (0.028 with the adain texture) is where the
    # texture moved lightness so far that the photo's chroma is out of gamut and gamut mapping
    # has to shrink it
    assert float(ab.abs().mean()) < 0.003 and float(ab.abs().quantile(0.99)) < 0.05
    assert lum_mode.preserve_color == "luminance" and lum_mode.to_dict()["preserve_color"] == "luminance"
    assert lum_mode.intent.preserve_color is True
    assert any("colours kept: luminance" in n for n in lum_mode.notes)
    assert engine.stylize(x, "warmer").to_dict()["preserve_color"] is None
    assert engine.stylize(x, "warmer, keep the colours").preserve_color == "luminance"  # from the words
    off = engine.stylize(x, "warmer, keep the colours", preserve_color=False)  # the argument wins
    assert off.preserve_color is None and off.intent.preserve_color is False
    assert engine.stylize(x, "warmer", preserve_color=" Statistics ").preserve_color == "statistics"


@pytest.mark.parametrize("bad, message", [("stats", "did you mean 'statistics'"), ("hue", "is not a mode"), (3, "must be True")])
def test_unknown_preserve_color_mode_is_a_usage_error(engine, bad, message):
    with pytest.raises(UsageError, match=message) as exc:
        engine.stylize(photo("coffee"), "warmer", preserve_color=bad)
    assert "preserve_color=" in str(exc.value) and "luminance" in str(exc.value)


# ----------------------------------------------------------------------------- backend options
class _Recorder:
    """A texture backend with knobs; records what it was given."""

    media = ("watercolor",)
    options = {"steps": "optimisation steps (default 200)", "alpha": "style blend 0..1 (default 1)"}
    calls: list = []

    def stylize(self, content, intent, *, style=None, seed=None, engine=None, steps=200, alpha=1.0, **kwargs):
        type(self).calls.append({"steps": steps, "alpha": alpha, **kwargs})
        return content * (1 - 0.5 * alpha)


class _AlphaOnly:
    options = {"alpha": "how much"}
    calls: list = []

    def stylize(self, content, intent, *, style=None, seed=None, engine=None, **kwargs):
        type(self).calls.append(kwargs)  # what is left beside the engine's own arguments
        return content


_OPTIONS_PLUGIN = fake_plugin("_OptionsPlugin", style_backends={"recorder": _Recorder, "alpha-only": _AlphaOnly})


def test_declared_options_reach_their_backends_only():
    _Recorder.calls.clear()
    _AlphaOnly.calls.clear()
    with isolated_plugins(_OPTIONS_PLUGIN):
        engine = Engine()
        result = engine.stylize(photo("chelsea"), "watercolor", options={"steps": 3, "alpha": 0.5})
        assert result.backends == ["recorder", "grade"]
        assert _Recorder.calls == [{"steps": 3, "alpha": 0.5}]
        assert result.options == {"recorder": {"steps": 3, "alpha": 0.5}}
        assert result.to_dict()["options"] == {"recorder": {"steps": 3, "alpha": 0.5}}
        # an option two backends declare goes to both; others only to their declarer
        engine.stylize(photo("chelsea"), backend="recorder,alpha-only", options={"alpha": 1.0, "steps": 7})
        assert _Recorder.calls[-1] == {"steps": 7, "alpha": 1.0} and _AlphaOnly.calls == [{"alpha": 1.0}]
        # no options: the backend's defaults
        engine.stylize(photo("chelsea"), "watercolor")
        assert _Recorder.calls[-1] == {"steps": 200, "alpha": 1.0}
        assert "steps: optimisation steps (default 200)" in engine.explain("watercolor")


def test_an_option_no_backend_declares_is_a_usage_error():
    with isolated_plugins(_OPTIONS_PLUGIN):
        engine = Engine()
        with pytest.raises(UsageError) as exc:
            engine.stylize(photo("chelsea"), "watercolor", options={"stpes": 3})
        msg = str(exc.value)
        assert "'stpes'" in msg and "(recorder, grade)" in msg and "'recorder' takes steps, alpha" in msg
        assert "'grade' takes no options" in msg and "did you mean 'steps'" in msg
        with pytest.raises(UsageError, match="'steps' is not taken by the backends that run \\(grade\\)"):
            engine.stylize(photo("chelsea"), "warmer", options={"steps": 3})
        with pytest.raises(UsageError, match="options= must be a dict"):
            engine.stylize(photo("chelsea"), "watercolor", options=[("steps", 3)])


def test_a_backend_with_malformed_options_is_named():
    class Listed:
        options = ["steps"]

        def stylize(self, content, intent, **kw):
            return content

    class Reserved:
        options = {"seed": "clashes with the engine's seed"}

        def stylize(self, content, intent, **kw):
            return content

    plugin = fake_plugin(style_backends={"listed": Listed, "reserved": Reserved})

    with isolated_plugins(plugin):
        with pytest.raises(UsageError, match="style backend 'listed' has options=\\['steps'\\]; it must be a dict"):
            Engine().stylize(photo("chelsea"), backend="listed")
        with pytest.raises(UsageError, match="'reserved' declares the option\\(s\\) seed"):
            Engine().stylize(photo("chelsea"), backend="reserved")


def test_explain_and_plan_never_create_a_backend():
    # Planning "oil painting" used to create its backend (for adain: loading its encoder and
    # decoder) just to read its options and ask handles(); both now come from the classes.
    engine = spokenstyle.Engine(device="cpu")
    text = engine.explain("oil painting, warm sunset colours")
    assert "render" in text and "work_size" in text  # the plan and the options it lists
    engine.plan(engine.encode("水墨风"), "gatys,grade")
    engine.split_options(["gatys", "grade"], {"steps": 3})
    assert engine._backends == {} and engine._encoders == {}
