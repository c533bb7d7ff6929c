"""spokenstyle: describe a look in everyday words and get your photo back in that look.

    >>> import spokenstyle
    >>> spokenstyle.stylize("photo.jpg", "暖一点，对比度高一点").save("out.png")   # doctest: +SKIP

Importing the package registers the compiled operators (``torch.ops.spokenstyle.*``) and stays
light: no transformers and no plugin's heavy imports happen here; the engine, Pillow I/O and
the plugins are loaded on first use.
"""

from ._version import __version__  # noqa: E402

from . import ops  # noqa: E402  (registers torch.ops.spokenstyle)
from .errors import SpokenstyleError, UsageError, WeightsError  # noqa: E402
from .plugins.hookspecs import hookimpl  # noqa: E402
from .core.intent import ATTRIBUTES, EMBEDDING_DIM, MEDIA, StyleIntent  # noqa: E402

_LAZY = {
    "Engine": ("spokenstyle.core.engine", "Engine"),
    "Result": ("spokenstyle.core.engine", "Result"),
    "Plan": ("spokenstyle.core.plan", "Plan"),
    "Look": ("spokenstyle.core.looks", "Look"),
    "stylize": ("spokenstyle.core.engine", "stylize"),
    "PluginManager": ("spokenstyle.plugins.manager", "PluginManager"),
    "get_plugin_manager": ("spokenstyle.plugins.manager", "get_plugin_manager"),
    "register_plugin": ("spokenstyle.plugins.manager", "register_plugin"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spokenstyle' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "ATTRIBUTES",
    "EMBEDDING_DIM",
    "Engine",
    "Look",
    "MEDIA",
    "Plan",
    "PluginManager",
    "Result",
    "SpokenstyleError",
    "StyleIntent",
    "UsageError",
    "WeightsError",
    "__version__",
    "get_plugin_manager",
    "hookimpl",
    "ops",
    "register_plugin",
    "stylize",
]
