"""The first-party plugins in plugins/: installed (as `make test` and CI install them) they appear
in `spokenstyle plugins --json`; without them — no entry points, or transformers missing — the
core works exactly as before."""

import json
import os
import subprocess
import sys
from importlib import metadata

import pytest
import torch

import spokenstyle
from harness.helpers import run_cli
from spokenstyle.errors import UsageError
from spokenstyle.plugins.manager import PluginManager

DISTRIBUTIONS = {"spokenstyle-clip": "clip", "spokenstyle-example": "example", "spokenstyle-speech": "speech"}


def _require_installed():
    missing = []
    for dist in DISTRIBUTIONS:
        try:
            metadata.distribution(dist)
        except metadata.PackageNotFoundError:
            missing.append(dist)
    if missing:
        why = f"{', '.join(missing)} not installed: pip install --no-build-isolation -e plugins/<name> (make test does)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)


def _cli(*args, env=None):
    return run_cli(*args, env=env, timeout=300)


def test_installed_plugins_are_listed_with_their_components():
    _require_installed()
    run = _cli("plugins", "--json", env={"SPOKENSTYLE_STRICT_PLUGINS": "1"})
    assert run.returncode == 0, run.stderr
    plugins = {p["name"]: p for p in json.loads(run.stdout)["plugins"]}
    for dist, name in DISTRIBUTIONS.items():
        assert plugins[name]["distribution"] == dist and plugins[name]["status"] == "loaded"
    assert {(c["kind"], c["name"]) for c in plugins["clip"]["components"]} == {
        ("text_encoder", "clip"), ("text_encoder", "chinese-clip"), ("style_backend", "clip")}
    assert {c["kind"] for c in plugins["example"]["components"]} == {"text_encoder", "generator", "style_backend"}
    assert plugins["speech"]["components"] == [{"kind": "transcriber", "name": "whisper"}]


def test_without_entry_points_the_core_works_and_the_names_are_unknown():
    pm = PluginManager(entry_points=False)  # what an installation without the plugins sees
    assert "clip" not in pm.names("text_encoder") and "clip" not in pm.names("style_backend")
    with pytest.raises(UsageError, match="unknown text encoder 'clip'"):
        spokenstyle.Engine(text_encoder="clip", plugins=pm)
    photo = torch.rand(1, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    result = spokenstyle.Engine(plugins=pm, device="cpu").stylize(photo, "warmer")
    assert result.backends == ["grade"]
    assert float(result.tensor[:, 0].mean()) > float(photo[:, 0].mean())


def test_no_third_party_plugins_loaded_from_the_cli():
    run = _cli("plugins", "--json", env={"SPOKENSTYLE_LOAD_PLUGINS": ""})
    assert run.returncode == 0, run.stderr
    assert [p for p in json.loads(run.stdout)["plugins"] if not p["builtin"] and p["status"] == "loaded"] == []
    run = _cli("explain", "warmer", env={"SPOKENSTYLE_LOAD_PLUGINS": ""})
    assert run.returncode == 0 and "warmth +" in run.stdout


def test_without_transformers_discovery_and_the_core_still_work(tmp_path):
    """The clip plugin registers lazy factories: listing it and using the built-ins never
    imports transformers; only creating a clip component needs it, and says so."""
    _require_installed()
    code = (
        "import sys; sys.modules['transformers'] = None\n"  # makes `import transformers` fail
        "import torch, spokenstyle, spokenstyle.plugins\n"
        "pm = spokenstyle.plugins.get_plugin_manager()\n"
        "assert 'clip' in pm.names('text_encoder'), pm.names('text_encoder')\n"
        "out = spokenstyle.Engine(device='cpu').stylize(torch.rand(1, 3, 16, 16), 'cooler').tensor\n"
        "assert out.shape == (1, 3, 16, 16)\n"
        "try:\n"
        "    spokenstyle.Engine(text_encoder='clip')\n"
        "except spokenstyle.SpokenstyleError as exc:\n"
        "    print('ERR', exc)\n"
    )
    (tmp_path / "config.json").write_text('{"model_type": "clip"}')  # found; loading it needs transformers
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "SPOKENSTYLE_CLIP_MODEL": str(tmp_path)})
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("ERR ") and "need transformers" in run.stdout and "pip install" in run.stdout
