"""Helpers for testing spokenstyle plugins without installing them.

Context manager (any test framework)::

    from spokenstyle.plugins.testing import isolated_plugins

    with isolated_plugins(my_plugin_module) as pm:
        engine = spokenstyle.Engine()          # sees built-ins + my_plugin_module only
        assert "posterize" in pm.names("style_backend")

pytest fixture: add ``pytest_plugins = ["spokenstyle.plugins.testing"]`` to your ``conftest.py``
(or ``from spokenstyle.plugins.testing import spokenstyle_plugins`` in a test module), then::

    def test_my_backend(spokenstyle_plugins):
        spokenstyle_plugins.register(my_plugin_module)
        result = spokenstyle.stylize(photo, "posterize", backend="posterize")

Check a plugin against :mod:`spokenstyle.plugins.protocols` (every factory imported, lazy ones too)::

    from spokenstyle.plugins.testing import check_plugin

    components = check_plugin(my_plugin_module)   # raises ContractError / PluginError, naming the member

Inside, the isolated :class:`~spokenstyle.plugins.PluginManager` is the process-wide one, so
``spokenstyle.Engine()``, ``spokenstyle.stylize`` and the CLI's ``main()`` all use it; installed
entry-point plugins are left out unless ``entry_points=True``. The previous manager is restored
afterwards.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from .manager import PluginManager, set_plugin_manager


@contextlib.contextmanager
def isolated_plugins(*plugins: Any, entry_points: bool = False, env: dict | None = None) -> Iterator[PluginManager]:
    """A fresh plugin manager with the built-ins and ``plugins``, installed process-wide."""
    pm = PluginManager(entry_points=entry_points, env=env)
    for plugin in plugins:
        pm.register(plugin)
    previous = set_plugin_manager(pm)
    try:
        yield pm
    finally:
        set_plugin_manager(previous)


def check_plugin(plugin: Any, *, name: str | None = None) -> list:
    """Register ``plugin`` in a fresh manager, import every component it registers (lazy
    ``"module:attr"`` factories included) and check each against its kind's contract in
    :mod:`spokenstyle.plugins.protocols`; returns the components. A plugin that fails to register, a
    factory that does not import, or a component that breaks its contract raises (strict mode:
    nothing is only warned about)."""
    pm = PluginManager(entry_points=False, env={"SPOKENSTYLE_STRICT_PLUGINS": "1"})
    registered = pm.register(plugin, name=name)
    components = [c for c in pm.components() if c.plugin == registered]
    for comp in components:
        comp.load()  # imports, then protocols.check(factory, kind, origin, name=...)
    return components


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is optional
    pytest = None

if pytest is not None:

    @pytest.fixture
    def spokenstyle_plugins() -> Iterator[PluginManager]:
        """An isolated plugin manager (built-ins only) for one test; ``.register(plugin)`` adds yours."""
        with isolated_plugins() as pm:
            yield pm
