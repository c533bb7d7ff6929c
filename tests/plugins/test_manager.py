"""Plugin discovery: built-ins, in-process registration, installed entry-point plugins, broken
plugins, name conflicts, and the SPOKENSTYLE_LOAD_PLUGINS / SPOKENSTYLE_STRICT_PLUGINS switches."""

import json
import subprocess
import sys
import textwrap
import uuid
import warnings

import pytest
import torch

import spokenstyle
from harness.helpers import make_dist, photo, run_cli, stderr_lines
from harness.plugins import fake_plugin
from spokenstyle.plugins.manager import PluginConflictError, PluginError, PluginManager, PluginWarning
from spokenstyle.plugins.testing import isolated_plugins, spokenstyle_plugins  # noqa: F401  (fixture)


def unique(prefix="ssplug"):
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


POSTERIZE = '''
import torch
import spokenstyle

class Posterize:
    """Quantises every channel to a few levels."""
    media = ("{medium}",)
    def stylize(self, content, intent, *, style=None, seed=None, engine=None, **kwargs):
        return (content * 3).round() / 3

@spokenstyle.hookimpl
def register_style_backends(register):
    register("{name}", Posterize, description="flat colour bands")
'''


def plugin_source(name, medium="mosaic"):
    return POSTERIZE.format(name=name, medium=medium)


def env(**values):
    return {k: v for k, v in values.items()}


# ----------------------------------------------------------------------------- built-ins
def test_builtins_are_a_plugin_registered_through_the_hooks():
    pm = PluginManager(entry_points=False)
    builtin = pm.plugins[0]
    assert builtin.name == "builtins" and builtin.builtin and builtin.distribution == "spokenstyle"
    assert ("text_encoder", "lexicon") in builtin.components
    assert ("style_backend", "grade") in builtin.components
    import spokenstyle.builtins as b

    assert pm._pm.parse_hookimpl_opts(b, "register_style_backends") is not None


def test_builtin_factories_are_lazy_strings():
    pm = PluginManager(entry_points=False)
    comp = pm.get("style_backend", "grade")
    assert comp.factory == "spokenstyle.builtins.grade:GradeBackend"  # still a string: nothing imported yet


def test_lazy_factory_is_not_imported_until_used(tmp_path, monkeypatch):
    heavy = unique("heavy")
    (tmp_path / f"{heavy}.py").write_text("import torch\nclass B:\n    def stylize(self, content, intent, **kw):\n        return content.flip(-1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    plugin = fake_plugin(style_backends={"flipper": f"{heavy}:B"})

    with isolated_plugins(plugin) as pm:
        assert "flipper" in pm.names("style_backend")
        assert heavy not in sys.modules
        engine = spokenstyle.Engine()
        x = photo("chelsea")
        out = engine.stylize(x, backend="flipper").tensors[0]
        assert heavy in sys.modules
        assert torch.equal(out, x[0].flip(-1))


# ----------------------------------------------------------------------------- in-process
def test_in_process_registration_is_used_by_the_engine(spokenstyle_plugins):
    ns = {}
    exec(plugin_source("posterize"), ns)
    plugin = type("P", (), {"register_style_backends": staticmethod(ns["register_style_backends"])})
    spokenstyle_plugins.register(plugin, name="poster")
    assert "posterize" in spokenstyle_plugins.names("style_backend")
    result = spokenstyle.stylize(photo("coffee"), backend="posterize")
    assert result.backends == ["posterize"]
    assert torch.unique(result.tensors[0]).numel() <= 4
    info = next(p for p in spokenstyle_plugins.plugins if p.name == "poster")
    assert info.distribution is None and info.components == [("style_backend", "posterize")]


def test_fixture_isolates_and_restores_the_process_manager():
    before = spokenstyle.get_plugin_manager()
    with isolated_plugins() as pm:
        assert spokenstyle.get_plugin_manager() is pm is not before
    assert spokenstyle.get_plugin_manager() is before


def test_register_plugin_helper_and_duplicate_plugin_name():
    with isolated_plugins() as pm:
        class Empty:
            pass

        spokenstyle.register_plugin(Empty(), name="empty")
        with pytest.raises(spokenstyle.UsageError, match="already registered"):
            pm.register(Empty(), name="empty")
        pm.unregister("empty")
        pm.register(Empty(), name="empty")


# ---------------------------------------------------------------------- installed plugins
def test_pip_installed_entry_point_plugin_is_discovered(tmp_path, monkeypatch):
    """A real distribution, installed by pip into a target folder, found via its entry point."""
    mod = unique()
    src = tmp_path / "src"
    (src / mod).mkdir(parents=True)
    (src / mod / "__init__.py").write_text(plugin_source("posterize-pip"))
    (src / "pyproject.toml").write_text(textwrap.dedent(f"""
        [build-system]
        requires = ["setuptools>=64"]
        build-backend = "setuptools.build_meta"
        [project]
        name = "spokenstyle-posterize"
        version = "1.2.3"
        [project.entry-points.spokenstyle]
        posterize = "{mod}"
        [tool.setuptools]
        packages = ["{mod}"]
    """))
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q",
         "--target", str(site), str(src)],
        check=True, capture_output=True, timeout=120,
    )
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("SPOKENSTYLE_LOAD_PLUGINS", raising=False)
    pm = PluginManager()
    info = next(p for p in pm.plugins if p.name == "posterize")
    assert (info.distribution, info.version, info.status) == ("spokenstyle-posterize", "1.2.3", "loaded")
    assert info.components == [("style_backend", "posterize-pip")]
    engine = spokenstyle.Engine(plugins=pm)
    # the plugin declares the "mosaic" medium, so the planner picks it, then grades
    result = engine.stylize(photo("coffee"), "mosaic, warmer")
    assert result.backends == ["posterize-pip", "grade"]
    assert "rendered by 'posterize-pip'" in " ".join(result.notes)


def test_installed_plugin_seen_by_the_cli(tmp_path):
    mod = unique()
    site = make_dist(tmp_path / "site", "spokenstyle-poster", "0.9", {"poster": mod}, {mod: plugin_source("poster")})
    proc = run_cli("plugins", "--json", env={"PYTHONPATH": str(site)})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    entry = next(p for p in data["plugins"] if p["name"] == "poster")
    assert entry["distribution"] == "spokenstyle-poster" and entry["version"] == "0.9"
    assert entry["components"] == [{"kind": "style_backend", "name": "poster"}]


def _two_plugins(tmp_path, monkeypatch, good_src=None, bad_src="raise ImportError('needs libfoo')"):
    good, bad = unique("good"), unique("bad")
    make_dist(tmp_path / "a", "spokenstyle-good", "1.0", {"good": good}, {good: good_src or plugin_source("good-backend")})
    make_dist(tmp_path / "b", "spokenstyle-bad", "2.0", {"bad": bad}, {bad: bad_src})
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    monkeypatch.delenv("SPOKENSTYLE_LOAD_PLUGINS", raising=False)
    monkeypatch.delenv("SPOKENSTYLE_STRICT_PLUGINS", raising=False)


def test_broken_plugin_warns_once_naming_it_and_its_distribution(tmp_path, monkeypatch):
    _two_plugins(tmp_path, monkeypatch)
    with pytest.warns(PluginWarning) as record:
        pm = PluginManager()
    ours = [w for w in record if "'bad'" in str(w.message)]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert "spokenstyle-bad 2.0" in message and "needs libfoo" in message
    assert "good-backend" in pm.names("style_backend")  # everything else keeps working
    assert [p.name for p in pm.failures] == ["bad"]
    assert pm.failures[0].status == "failed"


def test_plugin_whose_hook_raises_is_left_out_entirely(tmp_path, monkeypatch):
    src = '''
import spokenstyle
@spokenstyle.hookimpl
def register_style_backends(register):
    register("half-registered", "x:y")
    raise RuntimeError("boom")
'''
    _two_plugins(tmp_path, monkeypatch, bad_src=src)
    with pytest.warns(PluginWarning, match=r"plugin 'bad' \(distribution spokenstyle-bad 2.0\).*boom"):
        pm = PluginManager()
    assert "half-registered" not in pm.names("style_backend")
    assert "good-backend" in pm.names("style_backend")


def test_strict_mode_turns_failures_into_errors(tmp_path, monkeypatch):
    _two_plugins(tmp_path, monkeypatch)
    monkeypatch.setenv("SPOKENSTYLE_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="plugin 'bad'.*spokenstyle-bad.*SPOKENSTYLE_STRICT_PLUGINS"):
        PluginManager()


def test_load_plugins_env_limits_what_loads(tmp_path, monkeypatch):
    _two_plugins(tmp_path, monkeypatch)
    monkeypatch.setenv("SPOKENSTYLE_LOAD_PLUGINS", "good")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the broken one is not even imported
        pm = PluginManager()
    status = {p.name: p.status for p in pm.plugins}
    assert status["good"] == "loaded" and status["bad"] == "skipped"
    assert "good-backend" in pm.names("style_backend")


def test_empty_load_plugins_env_means_no_third_party_plugins(tmp_path, monkeypatch):
    _two_plugins(tmp_path, monkeypatch)
    monkeypatch.setenv("SPOKENSTYLE_LOAD_PLUGINS", "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pm = PluginManager()
    assert pm.names("style_backend") == ["adain", "gatys", "grade", "magenta", "magenta26", "render", "transform"]  # the built-ins only
    assert all(p.status == "skipped" for p in pm.plugins if not p.builtin)


def test_load_plugins_env_naming_a_missing_plugin_warns(tmp_path, monkeypatch):
    _two_plugins(tmp_path, monkeypatch)
    monkeypatch.setenv("SPOKENSTYLE_LOAD_PLUGINS", "good,nosuchplugin")
    with pytest.warns(PluginWarning, match="nosuchplugin"):
        PluginManager()


def test_two_plugins_claiming_one_name_is_an_error_naming_both_when_used(tmp_path, monkeypatch):
    one, two = unique("one"), unique("two")
    make_dist(tmp_path / "a", "dist-one", "1.0", {"one": one}, {one: plugin_source("shared")})
    make_dist(tmp_path / "b", "dist-two", "2.0", {"two": two}, {two: plugin_source("shared")})
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    monkeypatch.delenv("SPOKENSTYLE_LOAD_PLUGINS", raising=False)
    pm = PluginManager()  # discovery itself succeeds: only the contested name is unusable
    assert "grade" in pm.names("style_backend") and "shared" not in pm.names("style_backend")
    assert [c.key for c in pm.conflicts] == ["shared"]
    with pytest.raises(PluginConflictError) as err:
        pm.get("style_backend", "shared")
    message = str(err.value)
    assert "'shared'" in message and "dist-one 1.0" in message and "dist-two 2.0" in message
    # and the way out the message suggests works
    monkeypatch.setenv("SPOKENSTYLE_LOAD_PLUGINS", "one")
    assert "shared" in PluginManager().names("style_backend")


@pytest.mark.parametrize("hook, name", [("register_style_backends", "grade"), ("register_text_encoders", "lexicon")])
def test_builtin_names_are_reserved(hook, name):
    squatter = fake_plugin("Squatter", **{hook[len("register_"):]: {name: object}})
    with isolated_plugins() as pm:
        with pytest.raises(PluginConflictError, match=f"'{name}'.*reserved.*built-in|built-in.*'{name}'"):
            pm.register(squatter, name="squatter")
        assert pm.get("style_backend", "grade").builtin  # the built-in still stands
        assert "squatter" not in [p.name for p in pm.plugins]


def test_alias_collision_names_both_plugins():
    def plugin(name, alias):
        return fake_plugin("P", style_backends={name: (object, {"aliases": (alias,)})})

    with isolated_plugins() as pm:
        pm.register(plugin("alpha", "pretty"), name="first")
        with pytest.raises(PluginConflictError, match="'pretty' is registered by two plugins: plugin 'first'.*plugin 'second'"):
            pm.register(plugin("beta", "pretty"), name="second")
        assert pm.get("style_backend", "pretty").name == "alpha"
        assert "second" not in [p.name for p in pm.plugins]


def test_unknown_hook_is_reported_with_did_you_mean():
    class Typo:
        @spokenstyle.hookimpl
        def register_style_backend(self, register):  # missing "s"
            pass

    with isolated_plugins() as pm:
        with pytest.warns(PluginWarning, match="unknown hook 'register_style_backend'; did you mean 'register_style_backends'"):
            pm.register(Typo(), name="typo")
        assert pm.failures[0].name == "typo"


def test_bad_component_names_and_factories_fail_the_plugin():
    with isolated_plugins() as pm:
        with pytest.warns(PluginWarning, match="invalid"):
            pm.register(fake_plugin("Bad", style_backends={"Has Spaces": object}), name="bad")
        assert pm.names("style_backend") == ["adain", "gatys", "grade", "magenta", "magenta26", "render", "transform"]  # the built-ins only


def test_unknown_component_says_did_you_mean():
    pm = PluginManager(entry_points=False)
    with pytest.raises(spokenstyle.UsageError, match="unknown style backend 'grd'; did you mean 'grade'"):
        pm.get("style_backend", "grd")
    with pytest.raises(spokenstyle.UsageError, match="did you mean 'lexicon'"):
        spokenstyle.Engine(text_encoder="lexicom", plugins=pm)


def test_text_encoder_plugin_is_used_by_the_engine():
    class Shouty:
        def encode(self, prompt):
            return spokenstyle.StyleIntent(attributes={"brightness": 1.0 if prompt else 0.0}, prompt=prompt, encoder="shouty")

    plugin = fake_plugin(text_encoders={"shouty": (Shouty, {"description": "everything is brighter"})})

    with isolated_plugins(plugin):
        engine = spokenstyle.Engine(text_encoder="shouty")
        assert engine.encode("anything")["brightness"] == 1.0
        result = engine.stylize(photo("chelsea"), "anything")
        assert result.intent.encoder == "shouty"
        assert result.tensors[0].mean() > photo("chelsea").mean()


def test_generator_plugin_is_created_with_options_and_cached():
    created = []

    class Gain(torch.nn.Module):
        def __init__(self, gain=1.0):
            super().__init__()
            created.append(gain)
            self.gain = gain

        def forward(self, content, embedding):
            return content * self.gain

    plugin = fake_plugin(generators={"gain": Gain})

    with isolated_plugins(plugin):
        engine = spokenstyle.Engine()
        g1 = engine.generator("gain", gain=0.5)
        assert engine.generator("gain", gain=0.5) is g1 and created == [0.5]
        assert not g1.training  # put in eval mode on the engine's device
        assert torch.allclose(g1(torch.ones(1, 3, 2, 2), torch.zeros(1, 64)), torch.full((1, 3, 2, 2), 0.5))


def test_plugin_adds_a_cli_command(capsys):
    def commands(cli):
        p = cli.add_command("hello", lambda args: print(f"hello {args.name}") or 0, help="say hello")
        p.add_argument("--name", default="world")

    from spokenstyle.cli import main

    with isolated_plugins(fake_plugin(commands=commands)):
        assert main(["hello", "--name", "you"]) == 0
        assert capsys.readouterr().out.strip() == "hello you"


def test_plugin_cannot_take_a_builtin_command(capsys):
    from spokenstyle.cli import main

    with isolated_plugins(fake_plugin(commands=lambda cli: cli.add_command("stylize", lambda args: 0))):
        # the CLI keeps working, with one warning naming the conflict; the built-in stays
        with pytest.warns(PluginWarning, match="command 'stylize', which is built into spokenstyle.*reserved") as record:
            assert main(["doctor"]) == 0
        assert len([w for w in record if issubclass(w.category, PluginWarning)]) == 1
        from spokenstyle.cli import build_parser

        args = build_parser().parse_args(["stylize", "x.jpg"])
        assert args.func.__name__ == "_cmd_stylize"


def test_broken_plugin_does_not_break_the_cli(tmp_path):
    good, bad = unique("good"), unique("bad")
    site = tmp_path / "site"
    make_dist(site, "spokenstyle-good", "1.0", {"good": good}, {good: plugin_source("good-backend")})
    bad_site = tmp_path / "bad"
    make_dist(bad_site, "spokenstyle-bad", "2.0", {"bad": bad}, {bad: "raise ImportError('needs libfoo')"})
    pythonpath = f"{site}:{bad_site}"
    proc = run_cli("explain", "warmer", env={"PYTHONPATH": pythonpath})
    assert proc.returncode == 0 and "warmth +0.40" in proc.stdout
    warning_lines = [l for l in stderr_lines(proc) if "bad" in l]
    assert len(warning_lines) == 1 and "spokenstyle-bad 2.0" in warning_lines[0]
    proc = run_cli("plugins", env={"PYTHONPATH": pythonpath, "SPOKENSTYLE_STRICT_PLUGINS": "1"})
    assert proc.returncode == 2 and len(stderr_lines(proc)) == 1 and "needs libfoo" in proc.stderr


def test_manager_docstring_examples_run():
    """The manager's doctest (built-in names) is what the registry holds now."""
    import doctest

    import spokenstyle.plugins.manager as manager

    result = doctest.testmod(manager)
    assert result.attempted >= 3 and result.failed == 0
