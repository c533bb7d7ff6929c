"""The hooks a spokenstyle plugin may implement (pluggy, project name ``spokenstyle``).

A plugin is any module or object with functions decorated by :data:`hookimpl`::

    import spokenstyle

    @spokenstyle.hookimpl
    def register_style_backends(register):
        register("posterize", "my_package.backends:Posterize", description="flat colour bands")

The ``register_*`` hooks receive a ``register`` callback with the signature
``register(name, factory, *, description="", aliases=())``. ``factory`` is a class, a
callable, or a lazy ``"package.module:attr"`` string that is imported only when the component
is first used, so discovering plugins never imports torch-heavy code. What each kind of
component must implement is in ``docs/plugins.md``.

Hook implementations may accept fewer arguments than the spec (pluggy's rule).
"""

from __future__ import annotations

import pluggy

PROJECT = "spokenstyle"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Decorate your plugin's hook functions with this.
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_text_encoders(register):
    """Register text encoders: objects with ``encode(prompt: str) -> StyleIntent``."""


@hookspec
def register_generators(register):
    """Register generators: callables ``generator(content, embedding) -> image tensor``."""


@hookspec
def register_feature_encoders(register):
    """Register feature encoders: factories ``(**options) -> spokenstyle.encoders.FeatureEncoder``."""


@hookspec
def register_style_backends(register):
    """Register style backends: objects with ``stylize(content, intent, *, style, seed, engine)``."""


@hookspec
def register_commands(cli):
    """Add subcommands to the ``spokenstyle`` command line.

    ``cli`` is a :class:`spokenstyle.cli.CommandRegistry`; call
    ``cli.add_command(name, func, help=...)`` and add arguments to the argparse parser it
    returns. ``func(args)`` returns an exit code (or None for 0).
    """
