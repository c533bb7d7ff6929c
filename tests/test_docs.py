"""docs/plugins.md cannot rot: its Python blocks run, in order, as one plugin module."""

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def blocks(lang):
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_plugin_docs_examples_run(tmp_path, capsys):
    code = "\n\n".join(blocks("python"))
    assert code.count("@spokenstyle.hookimpl") >= 5  # one example per protocol, and a command
    path = tmp_path / "docs_plugin_example.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("docs_plugin_example", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)  # the last block asserts the behaviour
    finally:
        del sys.modules[spec.name]
    assert re.match(r"\d+ medium phrases", capsys.readouterr().out)


def test_entry_point_declaration_is_valid_toml():
    (toml,) = blocks("toml")
    data = tomllib.loads(toml)
    assert data["project"]["entry-points"]["spokenstyle"] == {"mosaic": "spokenstyle_mosaic.plugin"}


def test_docs_name_every_hook_and_env_var():
    text = DOC.read_text(encoding="utf-8")
    import spokenstyle.plugins.hookspecs as hs

    for hook in [n for n in dir(hs) if n.startswith("register_")]:
        assert f"`{hook}(" in text, hook
    for var in ("SPOKENSTYLE_LOAD_PLUGINS", "SPOKENSTYLE_STRICT_PLUGINS"):
        assert var in text
