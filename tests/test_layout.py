"""The package's layout holds: no import circle anywhere in spokenstyle/ (function-level imports
and the old-path aliases included), and every old flat path is an alias of its new module."""

from __future__ import annotations

import ast
import importlib
import warnings
from pathlib import Path

import pytest

import spokenstyle
from spokenstyle._aliases import ALIASES

PACKAGE = Path(spokenstyle.__file__).resolve().parent


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    """module -> the spokenstyle modules it imports, at any depth of its code (a function-level
    import counts like a top-level one). ``from a import b`` is an edge to ``a.b`` when that is a
    module, else to ``a``. Modules named by strings (lazy plugin factories, the CLI's command
    list) are not edges: they are loaded by name, like plugins."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")}
    compiled = {_module_name(p.with_name(p.name.split(".")[0] + ".py"), root) for p in root.rglob("*.so")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    module = ".".join(base + ([node.module] if node.module else []))
                else:
                    module = node.module or ""
                targets = [f"{module}.{a.name}" if f"{module}.{a.name}" in files.keys() | compiled else module for a in node.names]
            else:
                continue
            edges.update(t for t in targets if t in files and t != name)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_package_has_no_import_circle():
    graph = import_graph()
    assert len(graph) > 50 and graph["spokenstyle.core.engine"], "the walk found the package"
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_the_cycle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    pkg = tmp_path / "spokenstyle"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .. import a\n")
    graph = import_graph(pkg)
    assert graph["spokenstyle.a"] == {"spokenstyle.sub.b"} and graph["spokenstyle.sub.b"] == {"spokenstyle.a"}
    assert find_cycle(graph) == ["spokenstyle.a", "spokenstyle.sub.b", "spokenstyle.a"]


def test_the_built_in_plugin_and_commands_are_loaded_by_name():
    """The manager never imports the components it registers, nor the CLI the commands it lists."""
    graph = import_graph()
    assert "spokenstyle.builtins" not in graph["spokenstyle.plugins.manager"]
    assert not any(m.startswith("spokenstyle.cli.") and m != "spokenstyle.cli.output" for m in graph["spokenstyle.cli.main"])
    assert not any(m.startswith("spokenstyle.cli") for m in graph["spokenstyle.builtins"])


ALIAS_LIST = sorted(ALIASES.items())


def test_the_aliases_are_these():
    """Which old paths are kept for one release: each old flat module, as a file of its own."""
    assert sorted(ALIASES) == sorted([
        "spokenstyle.color", "spokenstyle.distributed", "spokenstyle.engine", "spokenstyle.eval_cli",
        "spokenstyle.evaluation", "spokenstyle.hookspecs", "spokenstyle.intent", "spokenstyle.io",
        "spokenstyle.looks", "spokenstyle.masks", "spokenstyle.metrics", "spokenstyle.planner",
        "spokenstyle.precision", "spokenstyle.protocols", "spokenstyle.sheet", "spokenstyle.sheet_cli",
        "spokenstyle.testing", "spokenstyle.tiling", "spokenstyle.train.cli",
    ])
    for old in ALIASES:
        path = PACKAGE.parent.joinpath(*old.split(".")).with_suffix(".py")
        assert path.is_file(), old
        assert "Deprecated alias" in ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))), old


@pytest.mark.parametrize("old,new", ALIAS_LIST, ids=[o for o, _ in ALIAS_LIST])
def test_an_alias_gives_the_new_modules_objects(old, new):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an alias imports quietly
        alias, target = importlib.import_module(old), importlib.import_module(new)
    public = [n for n in dir(target) if not n.startswith("_")]
    assert public
    for name in public:
        assert getattr(alias, name) is getattr(target, name), (old, name)
    private = next((n for n in vars(target) if n.startswith("_") and not n.startswith("__")), None)
    if private is not None:  # private names too, forwarded by the alias's __getattr__
        assert getattr(alias, private) is getattr(target, private)
    with pytest.raises(AttributeError, match=new.replace(".", r"\.")):
        getattr(alias, "no_such_name")


def test_old_import_statements_keep_working():
    """What third-party plugins and scripts wrote against the flat layout."""
    from spokenstyle.engine import Engine, Plan, _resolve_device  # noqa: F401
    from spokenstyle.hookspecs import hookimpl
    from spokenstyle.io import load  # noqa: F401
    from spokenstyle.planner import RESERVED_OPTIONS, Planner, check_seed  # noqa: F401
    from spokenstyle.plugins import PluginManager
    from spokenstyle.testing import isolated_plugins, spokenstyle_plugins  # noqa: F401

    assert hookimpl is spokenstyle.hookimpl and PluginManager is spokenstyle.PluginManager
    assert Engine is spokenstyle.Engine and Plan is spokenstyle.Plan
