"""Plugin isolation with real, pip-installed broken plugins: each is built as a distribution in
a temporary folder and installed with pip (``--target``) once per session. Whatever a plugin
does at import, in a hook or in a backend, the host keeps running and says which plugin it was."""

import subprocess
import sys

import pytest
import torch

import spokenstyle
from harness.helpers import PHOTOS, REPO, photo, run_cli
from spokenstyle.cli import main
from spokenstyle.errors import BackendError
from spokenstyle.plugins.manager import PluginConflictError, PluginError, PluginManager, PluginWarning, set_plugin_manager

HEADER = "import spokenstyle, torch\n"
BACKEND = '''
class {cls}:
    media = ("mosaic",)
    def stylize(self, content, intent, **kw):
        {body}
'''
PLUGINS = {
    "ssb_raise": "raise RuntimeError('needs libfoo')\n",
    "ssb_exit": "import sys\nsys.exit(0)\n",
    "ssb_kbd": "raise KeyboardInterrupt\n",
    "ssb_hook": HEADER + "@spokenstyle.hookimpl\ndef register_style_backends(register):\n    raise SystemExit(3)\n",
    "ssb_twin_a": HEADER + BACKEND.format(cls="B", body="return content") + "@spokenstyle.hookimpl\ndef register_style_backends(register):\n    register('twin', B)\n",
    "ssb_twin_b": HEADER + BACKEND.format(cls="B", body="return 1 - content") + "@spokenstyle.hookimpl\ndef register_style_backends(register):\n    register('twin', B)\n",
    "ssb_lazy": HEADER + BACKEND.format(cls="Fine", body="return content")
    + "@spokenstyle.hookimpl\ndef register_style_backends(register):\n"
    "    register('ghost', 'ssb_no_such_module:Backend')\n    register('fine', 'ssb_lazy:Fine')\n",
    "ssb_garbage": HEADER
    + BACKEND.format(cls="Nan", body="return torch.full_like(content, float('nan'))")
    + BACKEND.format(cls="Half", body="return content[..., ::2, ::2]")
    + BACKEND.format(cls="Raiser", body="raise RuntimeError('out of cheese')")
    + BACKEND.format(cls="Mutator", body="content.zero_(); return content")
    + "@spokenstyle.hookimpl\ndef register_style_backends(register):\n"
    "    register('nanny', Nan)\n    register('halfsize', Half)\n    register('raiser', Raiser)\n    register('mutator', Mutator)\n",
    "ssb_squat": HEADER + BACKEND.format(cls="B", body="return content") + "@spokenstyle.hookimpl\ndef register_style_backends(register):\n    register('grade', B)\n    register('squatter-own', B)\n",
}


def dist_name(module: str) -> str:
    """Two distributions (one pip build each): ssbroken-b holds the second twin, ssbroken-a the rest."""
    return "ssbroken-b" if module == "ssb_twin_b" else "ssbroken-a"


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """Every plugin above built and pip-installed into one folder (removed with the tmp dir)."""
    src = tmp_path_factory.mktemp("plugin_src")
    target = tmp_path_factory.mktemp("plugin_site")
    for dist in sorted({dist_name(m) for m in PLUGINS}):
        modules = [m for m in PLUGINS if dist_name(m) == dist]
        folder = src / dist
        folder.mkdir()
        for module in modules:
            (folder / f"{module}.py").write_text(PLUGINS[module], encoding="utf-8")
        entry_points = "\n".join(f'{m} = "{m}"' for m in modules)
        (folder / "pyproject.toml").write_text(
            "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n"
            f"[project]\nname = \"{dist}\"\nversion = \"1.0\"\n"
            f"[project.entry-points.spokenstyle]\n{entry_points}\n"
            f"[tool.setuptools]\npy-modules = {modules!r}\n".replace("'", '"'),
            encoding="utf-8",
        )
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "--no-index",
         "--disable-pip-version-check", "--target", str(target), *(str(p) for p in sorted(src.iterdir()))],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return target


@pytest.fixture
def use(site, monkeypatch):
    """use('ssb_x', ...): only those installed plugins load, process-wide (for main())."""
    monkeypatch.syspath_prepend(str(site))
    previous = set_plugin_manager(None)

    def select(*modules, strict=False):
        monkeypatch.setenv("SPOKENSTYLE_LOAD_PLUGINS", ",".join(modules))
        if strict:
            monkeypatch.setenv("SPOKENSTYLE_STRICT_PLUGINS", "1")
        set_plugin_manager(None)

    yield select
    set_plugin_manager(previous)


def cli(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, [l for l in err.splitlines() if l.strip()]


@pytest.mark.parametrize("module, what", [("ssb_raise", "RuntimeError: needs libfoo"), ("ssb_exit", "SystemExit: 0"), ("ssb_kbd", "KeyboardInterrupt")])
def test_a_plugin_failing_at_import_is_one_warning_and_everything_else_works(use, module, what):
    use(module)
    with pytest.warns(PluginWarning) as record:
        pm = PluginManager()
    messages = [str(w.message) for w in record if issubclass(w.category, PluginWarning)]
    assert len(messages) == 1 and f"plugin '{module}' (distribution {dist_name(module)} 1.0)" in messages[0] and what in messages[0]
    assert pm.failures[0].name == module and "grade" in pm.names("style_backend")
    out = spokenstyle.Engine(device="cpu", plugins=pm).stylize(photo("chelsea")[..., :32, :32], "warmer")
    assert out.tensors[0].shape == (3, 32, 32)


def test_strict_mode_makes_an_import_exit_an_error(use):
    use("ssb_exit", strict=True)
    with pytest.raises(PluginError, match="plugin 'ssb_exit'.*SystemExit.*SPOKENSTYLE_STRICT_PLUGINS=1"):
        PluginManager()


def test_a_plugin_calling_sys_exit_cannot_end_the_cli(site):
    proc = run_cli("explain", "warmer", env={"PYTHONPATH": f"{site}:{REPO}", "SPOKENSTYLE_LOAD_PLUGINS": "ssb_exit"})
    assert proc.returncode == 0 and "warmth" in proc.stdout
    assert sum("ssb_exit" in l for l in proc.stderr.splitlines()) == 1


def test_a_hook_raising_systemexit_leaves_the_plugin_out(use):
    use("ssb_hook")
    with pytest.warns(PluginWarning, match="plugin 'ssb_hook' .*failed to register its components.*SystemExit: 3"):
        pm = PluginManager()
    assert pm.failures[0].name == "ssb_hook" and pm.names("style_backend") == ["adain", "gatys", "grade", "magenta", "magenta26", "render", "transform"]


def test_colliding_names_break_only_that_name(use, capsys, tmp_path):
    use("ssb_twin_a", "ssb_twin_b")
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    capsys.readouterr()
    code, out, _err = cli(["plugins"], capsys)
    assert code == 0 and "conflict: style backend 'twin' is registered by two plugins" in out
    assert "ssbroken-a 1.0" in out and "ssbroken-b 1.0" in out and "SPOKENSTYLE_LOAD_PLUGINS" in out
    code, out, _err = cli(["doctor"], capsys)
    assert code == 0 and "plugin problem" in out and "'twin'" in out
    target = tmp_path / "o.png"
    assert cli(["stylize", str(PHOTOS["chelsea"]), "-p", "warmer", "--max-size", "32", "-q", "-o", str(target)], capsys)[0] == 0
    target.unlink()
    code, _out, err = cli(["stylize", str(PHOTOS["chelsea"]), "--backend", "twin", "-q", "-o", str(target)], capsys)
    assert code == 2 and len(err) == 1 and "ssbroken-a 1.0" in err[0] and "ssbroken-b 1.0" in err[0]
    assert not target.exists()
    with pytest.raises(PluginConflictError):
        spokenstyle.Engine(device="cpu").stylize(photo("chelsea"), backend="twin")


def test_a_lazy_factory_that_fails_is_skipped_in_choosing_and_named_when_used(use, capsys, tmp_path):
    use("ssb_lazy")
    from spokenstyle.plugins.manager import get_plugin_manager

    pm = get_plugin_manager()
    with pytest.warns(PluginWarning, match="style backend 'ghost' from plugin 'ssb_lazy' could not be imported") as record:
        loadable = [c.name for c, _f in pm.loadable("style_backend")]
    assert "fine" in loadable and "ghost" not in loadable and len(record) == 1
    code, _out, err = cli(["stylize", str(PHOTOS["chelsea"]), "--backend", "ghost", "-q", "-o", str(tmp_path / "o.png")], capsys)
    assert code == 2 and len(err) == 1 and "'ghost'" in err[0] and "ssb_no_such_module" in err[0]


@pytest.mark.parametrize(
    "backend, message",
    [("nanny", "NaN or infinite"), ("halfsize", "keep the height and width"), ("raiser", "RuntimeError: out of cheese")],
)
def test_garbage_returning_backends_are_one_line_naming_plugin_and_backend(use, capsys, tmp_path, backend, message):
    use("ssb_garbage")
    target = tmp_path / "o.png"
    for extra in ([], ["--preserve-color"], ["--mask", str(PHOTOS["chelsea"])]):
        code, _out, err = cli(["stylize", str(PHOTOS["chelsea"]), "--backend", backend, "-q", "-o", str(target), *extra], capsys)
        assert code == 2 and len(err) == 1, err
        assert f"style backend '{backend}'" in err[0] and "(plugin 'ssb_garbage', distribution ssbroken-a 1.0)" in err[0]
        assert message in err[0]
        assert not target.exists()


def test_a_backend_zeroing_its_input_cannot_touch_the_black_mask_area(use):
    use("ssb_garbage")
    x = photo("chelsea")[..., :32, :48]
    mask = torch.zeros(1, 32, 48)
    mask[..., 24:] = 1
    out = spokenstyle.Engine(device="cpu").stylize(x, backend="mutator", mask=mask, mask_feather=0).tensors[0]
    assert torch.equal(out[..., :24], x[0, ..., :24]) and float(out[..., 26:].max()) == 0.0


def test_a_plugin_taking_a_builtin_name_does_not_get_it(use):
    use("ssb_squat")
    with pytest.warns(PluginWarning, match="registers style backend 'grade', a name reserved by spokenstyle's built-in"):
        pm = PluginManager()
    assert pm.get("style_backend", "grade").builtin and "squatter-own" in pm.names("style_backend")
    assert any(c.key == "grade" for c in pm.conflicts)
