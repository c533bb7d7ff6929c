"""spokenstyle.plugins.protocols: the plugin contracts, their checker, and options declared once."""

import inspect
import re
import warnings

import pytest
import torch

import spokenstyle
from harness.plugins import fake_plugin
from spokenstyle.plugins import hookspecs, protocols
from spokenstyle.errors import UsageError
from spokenstyle.plugins.manager import PluginError, PluginManager, PluginWarning
from spokenstyle.plugins.protocols import ContractError, Option, Options, check
from spokenstyle.plugins.testing import isolated_plugins


def _plugin(kind_hook, name, factory):
    return fake_plugin(**{kind_hook[len("register_"):]: {name: factory}})


class Fine:
    media = ("watercolor",)
    priority = 3
    options = Options(Option("steps", 7, "steps"))

    @options.apply
    def stylize(self, content, intent, *, style=None, seed=None, engine=None, steps, **kw):
        self.steps = steps
        return content


# ----------------------------------------------------------------------------- check()
def test_a_conforming_backend_passes_and_its_traits_are_read():
    assert check(Fine, "style_backend", "test") is Fine
    t = protocols.traits(Fine)
    assert (t.media, t.priority, t.applies_look, t.uses_style_image, list(t.options)) == (("watercolor",), 3, False, False, ["steps"])


@pytest.mark.parametrize(
    "attrs, member",
    [
        ({"media": "watercolor"}, "media"),  # a str is not a tuple of media
        ({"media": ("watercolor", 3)}, "media"),
        ({"priority": "high"}, "priority"),
        ({"priority": True}, "priority"),
        ({"uses_style_image": "yes"}, "uses_style_image"),
        ({"applies_look": 1}, "applies_look"),
        ({"handles": 5}, "handles"),
        ({"warmup": "soon"}, "warmup"),
        ({"options": ["steps"]}, "options"),
        ({"options": {"seed": "x"}}, "seed"),
        ({"options": {"not-an-identifier": "x"}}, "not-an-identifier"),
    ],
)
def test_an_ill_typed_member_is_named_with_its_plugin(attrs, member):
    cls = type("Broken", (), {**attrs, "stylize": lambda self, c, i, **kw: c})
    with pytest.raises(ContractError) as info:
        check(cls, "style_backend", "plugin 'acme' (distribution acme-styles 1.2)", name="broken")
    msg = str(info.value)
    assert member in msg and "style backend 'broken'" in msg and "acme-styles 1.2" in msg


def test_missing_stylize_and_a_stylize_that_cannot_take_the_engine_arguments():
    with pytest.raises(ContractError, match="has no stylize\\(\\) method"):
        check(type("NoStylize", (), {}), "style_backend", "p", name="x")
    narrow = type("Narrow", (), {"stylize": lambda self, content, intent: content})
    with pytest.raises(ContractError, match="does not accept the keyword argument\\(s\\) style, seed, engine"):
        check(narrow, "style_backend", "p", name="x")
    undeclared = type("Undeclared", (), {"options": {"steps": "s"}, "stylize": lambda self, c, i, *, style=None, seed=None, engine=None: c})
    with pytest.raises(ContractError, match="steps"):
        check(undeclared, "style_backend", "p", name="x")


def test_text_encoder_generator_command_contracts():
    with pytest.raises(ContractError, match="text encoder 'mute' has no encode\\(prompt\\) method"):
        check(type("Mute", (), {})(), "text_encoder", "p", name="mute")
    with pytest.raises(ContractError, match="generator 'g' is a int, which cannot be called"):
        check(3, "generator", "p", name="g")
    with pytest.raises(ContractError, match="command 'hello' handler .* takes 0 positional"):
        check(lambda: 0, "command", "p", name="hello")
    assert check(lambda args: 0, "command", "p", name="hello")


def test_contract_error_is_a_plugin_error_and_a_usage_error():
    assert issubclass(ContractError, PluginError) and issubclass(ContractError, UsageError)
    assert spokenstyle.plugins.PluginError is protocols.PluginError


# ------------------------------------------------------------------ wired into plugins
def test_engine_refuses_a_backend_without_stylize_naming_member_and_plugin():
    class NoStylize:
        media = ("watercolor",)

    with isolated_plugins(_plugin("register_style_backends", "hollow", NoStylize)):
        with pytest.raises(ContractError) as info:
            spokenstyle.Engine(device="cpu").stylize(torch.rand(1, 3, 16, 16), "watercolor", backend="hollow")
    assert "style backend 'hollow' has no stylize() method" in str(info.value)
    assert "plugin 'Plugin'" in str(info.value)


def test_the_planner_skips_a_broken_backend_with_one_warning_and_still_plans():
    class Squatter:
        media = "watercolor"  # a str: would make every letter a medium

        def stylize(self, content, intent, **kw):
            return content

    with isolated_plugins(_plugin("register_style_backends", "squatter", Squatter)) as pm:
        with pytest.warns(PluginWarning, match="style backend 'squatter' has media='watercolor'.*skipped"):
            plan = spokenstyle.Engine(plugins=pm, device="cpu").plan(spokenstyle.Engine(plugins=pm).encode("watercolor"))
    assert "squatter" not in plan.backends and plan.backends[-1] == "grade"


def test_a_text_encoder_without_encode_fails_at_engine_creation():
    class Mute:
        pass

    with isolated_plugins(_plugin("register_text_encoders", "mute", Mute)):
        with pytest.raises(ContractError, match="text encoder 'mute' has no encode"):
            spokenstyle.Engine(text_encoder="mute")


def test_a_generator_factory_that_makes_no_callable_is_refused():
    with isolated_plugins(_plugin("register_generators", "dud", lambda **kw: 42)):
        engine = spokenstyle.Engine(device="cpu")
        with pytest.raises(ContractError, match="generator 'dud' is a int"):
            engine.generator("dud")


def test_a_command_with_a_bad_handler_is_left_out_with_a_warning_naming_the_plugin():
    from spokenstyle.cli import build_parser

    with isolated_plugins(fake_plugin(commands=lambda cli: cli.add_command("broken-cmd", "not callable", help="x"))) as pm:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            parser = build_parser()
        assert any("command 'broken-cmd' handler 'not callable' is not callable" in str(w.message) and "'Plugin'" in str(w.message)
                   for w in caught), [str(w.message) for w in caught]
        assert pm.failures and pm.failures[0].name == "Plugin"
        assert parser.parse_args(["doctor"]).command == "doctor"


def test_builtins_conform():
    pm = PluginManager(entry_points=False)
    for comp in pm.components():
        check(comp.load(), comp.kind, "built in", name=comp.name, factory=True)


# ------------------------------------------------------------------------------ options
def test_options_are_declared_once_defaults_fill_and_help_shows_them():
    opts = Options(Option("steps", 200, "optimisation steps"), Option("alpha", None, "blend", shown="the strength"))
    assert dict(opts) == {"steps": "optimisation steps (default: 200)", "alpha": "blend (default: the strength)"}
    assert opts.defaults == {"steps": 200, "alpha": None}
    backend = Fine()
    backend.stylize(torch.zeros(1, 3, 2, 2), spokenstyle.StyleIntent())
    assert backend.steps == 7
    backend.stylize(torch.zeros(1, 3, 2, 2), spokenstyle.StyleIntent(), steps=2)
    assert backend.steps == 2


def test_apply_refuses_a_second_default_and_an_undeclared_required_keyword():
    opts = Options(Option("steps", 200, "optimisation steps"))
    with pytest.raises(TypeError, match="default both in its Option and in the signature"):
        opts.apply(lambda self, c, i, *, steps=100, **kw: c)
    with pytest.raises(TypeError, match="'mode' has no default and is no declared option"):
        opts.apply(lambda self, c, i, *, steps, mode, **kw: c)
    with pytest.raises(TypeError, match="declared twice"):
        Options(Option("a", 1, "x"), Option("a", 2, "y"))
    with pytest.raises(TypeError, match="passed by the engine itself"):
        Options(Option("seed", 1, "x"))


def test_adain_declares_its_defaults_once_and_explain_prints_them():
    from spokenstyle.builtins.adain import DEFAULT_TILE, AdaINBackend

    assert isinstance(AdaINBackend.options, Options)
    source = inspect.signature(inspect.unwrap(AdaINBackend.stylize))
    shown = inspect.signature(AdaINBackend.stylize)
    for name in AdaINBackend.options:
        assert source.parameters[name].default is inspect.Parameter.empty, name  # the default lives in the Option only
        assert shown.parameters[name].default == AdaINBackend.options.defaults[name], name  # and help() shows it
    assert AdaINBackend.options.defaults["tile_size"] == DEFAULT_TILE
    assert AdaINBackend.options.defaults["match_colors"] is True
    with isolated_plugins():
        engine = spokenstyle.Engine(device="cpu")  # explain's text for a plan that runs adain
        text = engine.plan(engine.encode("oil painting"), "adain,grade").describe({"adain": engine.backend_options("adain")})
    assert f"tile_size: largest side processed in one piece; larger inputs are tiled (default: {DEFAULT_TILE})" in text
    assert "alpha: content (0) to style (1) trade-off (default: the strength)" in text


def test_hookspec_docstrings_point_at_real_protocols():
    for name in [n for n in dir(hookspecs) if n.startswith("register_")]:
        doc = getattr(hookspecs, name).__doc__
        for ref in re.findall(r"spokenstyle\.protocols\.(\w+)", doc):
            assert hasattr(protocols, ref), (name, ref)
    assert "generator(content, embedding)" not in hookspecs.register_generators.__doc__


def test_check_plugin_imports_lazy_factories_and_names_the_broken_member(tmp_path, monkeypatch):
    from spokenstyle.plugins.testing import check_plugin

    (tmp_path / "lazy_broken_backend.py").write_text("class B:\n    priority = 'top'\n    def stylize(self, c, i, **k):\n        return c\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    plugin = fake_plugin(style_backends={"lazy-broken": "lazy_broken_backend:B"})

    with pytest.raises(ContractError, match="style backend 'lazy-broken' has priority='top'; it must be a number.*'lazy-plugin'"):
        check_plugin(plugin, name="lazy-plugin")
    assert [c.name for c in check_plugin(_plugin("register_style_backends", "fine", Fine))] == ["fine"]


def test_engine_and_planner_read_plugin_members_only_through_protocols():
    """The contract is written once: no getattr of a plugin member outside protocols.py."""
    from pathlib import Path

    members = ("media", "priority", "applies_look", "uses_style_image", "options", "handles", "warmup", "stylize", "encode")
    for module in ("core/engine.py", "core/planner.py"):
        source = (Path(spokenstyle.__file__).parent / module).read_text(encoding="utf-8")
        for member in members:
            assert not re.search(rf"getattr(_static)?\([^)]*['\"]{member}['\"]", source), (module, member)


def test_the_kind_table_is_written_once():
    """protocols.KINDS is the one kind table: the manager's is the same object, the words
    messages use come from it, and CLI commands are the only kind beyond it."""
    from spokenstyle.plugins import manager

    assert manager.KINDS is protocols.KINDS
    assert set(protocols.KIND_WORDS) == set(protocols.KINDS) | {"command"}
    assert all(protocols.KIND_WORDS[kind] == words for kind, (_hook, words) in protocols.KINDS.items())
    assert {hook for hook, _words in protocols.KINDS.values()} | {"register_commands"} == {
        name for name in dir(hookspecs) if name.startswith("register_")}
