"""One fake-plugin factory for the tests: a plugin object that registers the components given.

    with isolated_plugins(fake_plugin(style_backends={"wc": Watercolor})) as pm:
        ...

The object's class is called ``name`` ("Plugin" unless told), which is the plugin name an
in-process registration takes (``PluginManager.register``), so messages name it as before.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import spokenstyle
from spokenstyle.plugins.protocols import KINDS

#: keyword -> hook: text_encoders -> register_text_encoders, style_backends -> ..., one per kind
_HOOKS = {hook[len("register_"):]: hook for hook, _words in KINDS.values()}


def _registering(components: Mapping[str, Any]) -> Callable:
    def hook(self, register):
        for name, factory in components.items():
            factory, kwargs = factory if isinstance(factory, tuple) else (factory, {})
            register(name, factory, **kwargs)

    return hook


def fake_plugin(name: str = "Plugin", *, commands: Callable[[Any], None] | None = None, **components: Mapping[str, Any]):
    """A plugin object whose ``register_<kind>`` hooks register each ``{component name: factory}``
    (``style_backends=``, ``text_encoders=``, ``generators=``, ``feature_encoders=``); a factory may
    be ``(factory, {"description": ..., "aliases": ...})``, registered with those keywords, or a
    lazy ``"module:attr"`` string. ``commands(cli)`` becomes its ``register_commands`` hook."""
    unknown = sorted(set(components) - set(_HOOKS))
    if unknown:
        raise TypeError(f"fake_plugin() got {unknown}; the component keywords are {sorted(_HOOKS)}")
    attrs = {_HOOKS[key]: spokenstyle.hookimpl(_registering(value)) for key, value in components.items()}
    if commands is not None:
        attrs["register_commands"] = spokenstyle.hookimpl(lambda self, cli: commands(cli))
    return type(name, (), attrs)()
