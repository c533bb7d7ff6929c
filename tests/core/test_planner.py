"""The planner module: Plan.describe(), planning without an engine, and the one check of each run
argument that shapes a plan (preserve_color, strength)."""

import math
import re
from pathlib import Path

import pytest

import spokenstyle
from harness.helpers import PHOTOS, photo
from harness.plugins import fake_plugin
from spokenstyle import Engine, StyleIntent, UsageError
from spokenstyle import cli
from spokenstyle.core.intent import check_strength
from spokenstyle.core.plan import Plan, apply_overrides, preserve_mode
from spokenstyle.core.planner import Planner
from spokenstyle.plugins.testing import isolated_plugins

PACKAGE = Path(spokenstyle.__file__).parent


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


# ------------------------------------------------------------------------------ describe
def test_plan_describe_is_the_chain_then_the_notes():
    plan = Plan(["adain", "grade"], ["oil painting rendered by 'adain'", "colours kept: luminance"])
    assert plan.describe() == (
        "backends: adain -> grade\n  - oil painting rendered by 'adain'\n  - colours kept: luminance"
    )
    assert Plan(["grade"]).describe() == "backends: grade"
    assert Plan([]).describe() == "backends: none"


def test_plan_describe_lists_declared_options_of_backends_that_have_some():
    text = Plan(["gatys", "grade"]).describe({"gatys": {"steps": "optimisation steps", "progress": ""}, "grade": {}})
    assert text.splitlines() == [
        "backends: gatys -> grade",
        "options of 'gatys' (-O KEY=VALUE, options={...}):",
        "  steps: optimisation steps",
        "  progress",
    ]


def test_every_plan_printout_is_plan_describe(engine, tmp_path, capsys):
    """engine.explain, Result.explain and `spokenstyle stylize` print the plan through describe()."""
    prompt = "oil painting, warmer"
    intent = engine.encode(prompt)
    plan = engine.plan(intent)
    options = {name: engine.backend_options(name) for name in plan.backends}
    assert engine.explain(prompt) == intent.describe() + "\n" + plan.describe(options)

    result = engine.stylize(photo("coffee"), "warmer, keep the colours")
    assert result.explain() == result.intent.describe() + "\n" + Plan(result.backends, result.notes).describe()
    assert "  - colours kept: luminance" in result.explain()  # the run's notes, not only the plan's

    out = tmp_path / "out.png"
    assert cli.main(["stylize", str(PHOTOS["coffee"]), "-p", "warmer", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    warm = engine.encode("warmer")
    assert printed.startswith(warm.describe() + "\n" + engine.plan(warm).describe() + "\n")


def test_the_chain_is_formatted_in_one_place():
    """No module but the plan's spells out "backends: a -> b"."""
    hits = sorted(
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if re.search(r'"backends: " \+', p.read_text(encoding="utf-8"))
    )
    assert hits == ["core/plan.py"]


# ------------------------------------------------------------------------------ planning
def test_planner_plans_without_an_engine_and_without_creating_backends():
    made = []

    class Wc:
        media = ("watercolor",)
        options = {"wash": "how wet (default 0.5)"}

        def __init__(self):
            made.append(1)

        def stylize(self, content, intent, **kw):
            return content

    plugin = fake_plugin(style_backends={"wc": Wc})

    with isolated_plugins(plugin) as pm:
        planner = Planner(pm)
        plan = planner.plan(StyleIntent(medium="watercolor"))
        assert plan.backends == ["wc", "grade"] and plan.medium_rendered is True
        assert planner.plan(StyleIntent(medium="oil_painting")).backends == ["render", "grade"]
        assert planner.plan(StyleIntent(attributes={"warmth": 0.4})).backends == ["grade"]
        assert planner.backend_options("wc") == {"wash": "how wet (default 0.5)"}
        assert planner.split_options(["wc", "grade"], {"wash": 0.2}) == {"wc": {"wash": 0.2}, "grade": {}}
        with pytest.raises(UsageError, match="'wahs' is not taken by the backends that run .*did you mean 'wash'"):
            planner.split_options(["wc", "grade"], {"wahs": 0.2})
        assert made == []  # planning and options never construct a backend


def test_engine_plan_is_the_planner(engine):
    assert spokenstyle.core.engine.Plan is Plan and spokenstyle.Plan is Plan
    for prompt in ("warmer", "oil painting", "水墨风"):
        intent = engine.encode(prompt)
        assert engine.plan(intent) == engine.planner.plan(intent)
    assert engine.plan(engine.encode("warmer"), "grade").notes == ["backend chosen by the caller"]


# --------------------------------------------------------------------- preserve_color, one check
@pytest.mark.parametrize(
    "value, mode",
    [(None, None), (False, None), (True, "luminance"), ("luminance", "luminance"), (" Statistics ", "statistics")],
)
def test_preserve_mode_accepts(value, mode):
    assert preserve_mode(value) == mode


@pytest.mark.parametrize(
    "value, message",
    [
        ("stats", r"preserve_color='stats' is not a mode; use luminance or statistics \(did you mean 'statistics'\?\)"),
        ("hue", r"preserve_color='hue' is not a mode; use luminance or statistics$"),
        (3, r"preserve_color=3 must be True / 'luminance', 'statistics', False or None, not int"),
    ],
)
def test_preserve_mode_rejects_naming_the_argument_and_the_fix(engine, value, message):
    with pytest.raises(UsageError, match=message):
        preserve_mode(value)
    with pytest.raises(UsageError, match=message):  # the engine asks the same check
        engine.stylize(photo("coffee"), "warmer", preserve_color=value)


def test_cli_preserve_color_is_the_same_check_in_flag_words(tmp_path, capsys):
    code = cli.main(["stylize", str(PHOTOS["coffee"]), "-p", "warmer", "--preserve-color", "stats", "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert err == (
        "spokenstyle stylize: error: --preserve-color 'stats' is not a mode; use luminance or statistics "
        "(did you mean 'statistics'?)\n"
    )
    assert not (tmp_path / "o.png").exists()


def test_apply_overrides_argument_wins_over_words():
    kept = StyleIntent(attributes={"warmth": 0.4}, preserve_color=True)
    assert apply_overrides(kept, 1.0, None) == (kept, "luminance")  # the words say keep
    off, mode = apply_overrides(kept, 1.0, False)
    assert mode is None and off.preserve_color is False
    half, mode = apply_overrides(StyleIntent(), 0.5, "statistics")
    assert (half.strength, half.preserve_color, mode) == (0.5, True, "statistics")


# --------------------------------------------------------------------------- strength, one check
@pytest.mark.parametrize("value", [0, 0.25, 1, 1.0])
def test_check_strength_accepts(value):
    assert check_strength(value) == float(value)


@pytest.mark.parametrize(
    "value, message",
    [
        (2, r"strength=2 is out of range; use a number between 0 and 1"),
        (-0.1, r"strength=-0.1 is out of range; use a number between 0 and 1"),
        (math.nan, r"strength=nan is out of range"),
        ("0.5", r"strength='0.5' is text; use a number between 0 and 1"),
        (None, r"strength=None is not a number; use a number between 0 and 1"),
    ],
)
def test_strength_is_checked_once_for_intent_engine_and_cli(engine, value, message):
    with pytest.raises(UsageError, match=message):
        check_strength(value)
    with pytest.raises(UsageError, match=message):
        StyleIntent(strength=value)
    with pytest.raises(UsageError, match=message):
        engine.stylize(photo("coffee"), "warmer", strength=value)


def test_cli_strength_message_is_the_library_one_in_flag_words(tmp_path, capsys):
    code = cli.main(["stylize", str(PHOTOS["coffee"]), "-p", "warmer", "--strength", "2", "-o", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "spokenstyle stylize: error: --strength 2 is out of range; use a number between 0 and 1 "
        "(0 = unchanged, 1 = the full look)\n"
    )


def test_the_checks_live_in_one_module_each():
    """Nobody else re-implements the mode list, the strength range or the preserve_color= check."""
    source = {p.relative_to(PACKAGE).as_posix(): p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py")}
    modes = sorted(name for name, text in source.items() if re.search(r"=\s*\(\s*\"luminance\",\s*\"statistics\"\s*\)", text))
    assert modes == ["image/color.py"]
    strength = sorted(name for name, text in source.items() if re.search(r"strength\S*\s*(?:<=|>=|<|>)\s*[01]", text)
                      or re.search(r"[01](?:\.0)?\s*<=\s*\S*strength", text))
    assert strength == ["core/intent.py"], strength
    refusals = sorted(name for name, text in source.items() if re.search(r'f"preserve_color=\{', text))
    assert refusals == ["core/plan.py"], refusals  # the one check of preserve_color= (plan.preserve_mode)
