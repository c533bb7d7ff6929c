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
component must implement is written once, in :mod:`spokenstyle.plugins.protocols` (and explained in
``docs/plugins.md``); a component that breaks it is refused with an error naming the member
and the plugin.

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
    """Register text encoders (:class:`spokenstyle.plugins.protocols.TextEncoder`).

    ``factory()`` (no arguments) makes an object with ``encode(prompt: str) -> StyleIntent``;
    the engine creates it once per ``Engine(text_encoder=name)``.
    """


@hookspec
def register_generators(register):
    """Register generators (:class:`spokenstyle.plugins.protocols.Generator`).

    ``factory(**options)`` makes a callable (usually an ``nn.Module``) that backends fetch with
    ``engine.generator(name, **options)``; its call signature is its own (the built-in
    ``exemplar``: ``(intent, size=, seed=, device=)``; the ``adain_decoder``: ``(features)``).
    """


@hookspec
def register_feature_encoders(register):
    """Register feature encoders: ``factory(**options)`` makes a
    :class:`spokenstyle.encoders.FeatureEncoder` (``encoder(x, layers) -> {layer: tensor}``),
    which the engine creates once per options (``engine.feature_encoder(name, **options)``)."""


@hookspec
def register_style_backends(register):
    """Register style backends (:class:`spokenstyle.plugins.protocols.StyleBackend`).

    ``factory()`` (no arguments) makes an object with
    ``stylize(content, intent, *, style=None, seed=None, engine=None, **options) -> tensor``;
    the planner reads the factory's class attributes ``media``, ``priority``,
    ``applies_look``, ``uses_style_image``, ``options`` and calls ``handles(intent)`` on it,
    without creating the backend. ``warmup(device)``, if present, runs once after creation.
    """


@hookspec
def register_transcribers(register):
    """Register transcribers (:class:`spokenstyle.plugins.protocols.Transcriber`): speech to text
    for ``--say AUDIO``.

    ``factory()`` (no arguments) makes an object with ``transcribe(path, language=None) -> str``;
    the CLI uses the first one registered and hands its transcript to the text encoder.
    """


@hookspec
def register_commands(cli):
    """Add subcommands to the ``spokenstyle`` command line.

    ``cli`` is a :class:`spokenstyle.cli.CommandRegistry`; call
    ``cli.add_command(name, func, help=..., aliases=())`` and add arguments to the argparse
    parser it returns. ``func(args)`` (:class:`spokenstyle.plugins.protocols.Command`) gets the
    ``argparse.Namespace`` and returns an exit code (None for 0).
    """
