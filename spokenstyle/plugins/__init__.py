"""Plugins: where components come from and what they must be.

* :mod:`~spokenstyle.plugins.hookspecs`: the hooks a plugin implements (``hookimpl``);
* :mod:`~spokenstyle.plugins.protocols`: what each kind of component must implement;
* :mod:`~spokenstyle.plugins.manager`: discovery (the built-ins, entry points, in-process) and
  the registry the engine and the planner choose from;
* :mod:`~spokenstyle.plugins.testing`: helpers for testing a plugin without installing it.

The names below are the manager's, so ``from spokenstyle.plugins import PluginManager`` keeps
working as it did when this was one module.
"""

from .manager import (  # noqa: F401
    BUILTIN_MODULE,
    BUILTIN_PLUGIN,
    ENTRY_POINT_GROUP,
    KINDS,
    Component,
    Conflict,
    PluginConflictError,
    PluginInfo,
    PluginManager,
    PluginWarning,
    get_plugin_manager,
    register_plugin,
    set_plugin_manager,
)
from .protocols import ContractError, PluginError  # noqa: F401

__all__ = [
    "BUILTIN_MODULE",
    "BUILTIN_PLUGIN",
    "Component",
    "Conflict",
    "ContractError",
    "ENTRY_POINT_GROUP",
    "KINDS",
    "PluginConflictError",
    "PluginError",
    "PluginInfo",
    "PluginManager",
    "PluginWarning",
    "get_plugin_manager",
    "register_plugin",
    "set_plugin_manager",
]
