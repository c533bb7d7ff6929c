"""How to test a spokenstyle plugin: in-process (no install needed) and installed.

In-process: ``spokenstyle.plugins.testing`` registers the plugin module with a fresh plugin manager
(built-ins + yours, no other installed plugin) that ``Engine()``, ``stylize()`` and the CLI
all use, and restores the previous one afterwards. Installed: the entry point is found by
``PluginManager()`` and ``spokenstyle plugins --json``, as a user would see it.
"""

import json
import os
import subprocess
import sys
from importlib import metadata

import pytest
import torch

import spokenstyle
import spokenstyle.plugins.manager
from spokenstyle.cli import main
from spokenstyle.plugins.protocols import check
from spokenstyle.plugins.testing import check_plugin, isolated_plugins, spokenstyle_plugins  # noqa: F401 - the pytest fixture

from spokenstyle_example import components, plugin

PHOTO = torch.linspace(0, 1, 3 * 24 * 32).reshape(1, 3, 24, 32)


# ------------------------------------------------------------------------- in-process
def test_every_component_meets_its_protocol(spokenstyle_plugins):
    components = check_plugin(plugin, name="example")  # imports every lazy factory and checks it
    assert {(c.kind, c.name) for c in components} == {
        ("text_encoder", "example-emoji"), ("generator", "example-levels"), ("style_backend", "example-posterize")}
    check(components[0].create(), components[0].kind, "example")  # a created component, too
    spokenstyle_plugins.register(plugin, name="example")
    assert spokenstyle_plugins.get("style_backend", "example-poster").name == "example-posterize"  # alias


def test_encoder_reads_emoji_and_reports_the_rest(spokenstyle_plugins):
    spokenstyle_plugins.register(plugin, name="example")
    intent = spokenstyle.Engine(text_encoder="example-emoji", device="cpu").encode("☀️ at the beach 🎞️")
    assert intent.attributes["warmth"] == 0.4 and intent.attributes["grain"] == 0.3
    assert intent.understood == ["☀️", "🎞️"] and intent.ignored == ["at", "the", "beach"]
    assert spokenstyle.Engine(text_encoder="example-emoji").encode("").is_identity


def test_backend_posterizes_through_the_generator_and_takes_its_option(spokenstyle_plugins):
    spokenstyle_plugins.register(plugin, name="example")
    engine = spokenstyle.Engine(device="cpu")
    out = engine.stylize(PHOTO, "warmer", backend="example-posterize", options={"levels": 3}).tensor
    assert sorted(torch.unique(out).tolist()) == [0.0, 0.5, 1.0]  # 3 levels per channel
    default = engine.stylize(PHOTO, "warmer", backend="example-posterize").tensor
    assert len(torch.unique(default)) == 4  # the declared default, 4 levels
    half = engine.stylize(PHOTO, "warmer", backend="example-posterize", strength=0.5).tensor
    assert torch.allclose(half, (PHOTO + default) / 2, atol=1e-6)
    with pytest.raises(spokenstyle.UsageError, match="levels=1 must be a whole number from 2 to 256"):
        engine.stylize(PHOTO, "x", backend="example-posterize", options={"levels": 1})


def test_command_runs_in_process(capsys):
    with isolated_plugins(plugin):
        assert main(["example-emoji", "🌙", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["attributes"]["brightness"] == -0.3 and data["encoder"] == "example-emoji"


def test_unregistered_the_names_are_unknown():
    with isolated_plugins():
        with pytest.raises(spokenstyle.UsageError, match="unknown text encoder 'example-emoji'"):
            spokenstyle.Engine(text_encoder="example-emoji")


# --------------------------------------------------------------------------- installed
def _installed() -> bool:
    try:
        metadata.distribution("spokenstyle-example")
    except metadata.PackageNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("spokenstyle-example is not installed; CI installs it (pip install --no-build-isolation -e plugins/spokenstyle-example)")
        pytest.skip("spokenstyle-example is not installed (pip install -e plugins/spokenstyle-example)")
    return True


def test_installed_entry_point_is_found():
    _installed()
    pm = spokenstyle.plugins.PluginManager(env={"SPOKENSTYLE_LOAD_PLUGINS": "example"})
    info = next(i for i in pm.plugins if i.name == "example")
    assert (info.distribution, info.status) == ("spokenstyle-example", "loaded")
    assert ("style_backend", "example-posterize") in info.components


def test_installed_plugin_is_listed_and_its_command_runs():
    _installed()
    env = {**os.environ, "SPOKENSTYLE_LOAD_PLUGINS": "example", "SPOKENSTYLE_STRICT_PLUGINS": "1"}
    listed = subprocess.run([sys.executable, "-m", "spokenstyle.cli", "plugins", "--json"], capture_output=True, text=True, env=env, check=True)
    data = json.loads(listed.stdout)
    entry = next(p for p in data["plugins"] if p["name"] == "example")
    assert entry["distribution"] == "spokenstyle-example" and entry["version"] == "0.1.0"
    ran = subprocess.run([sys.executable, "-m", "spokenstyle.cli", "example-emoji", "❄️"], capture_output=True, text=True, env=env)
    assert ran.returncode == 0 and "warmth -0.40" in ran.stdout
