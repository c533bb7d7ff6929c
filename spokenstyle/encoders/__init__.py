"""Feature encoders: the fixed networks whose activations define "style" and "content".

Style backends measure style as statistics of an encoder's activations (Gram matrices for
``gatys``, per-channel mean and std for ``adain``) and content as the activations themselves.
Two encoders ship, both with VGG19's architecture (taps ``relu1_1`` ... ``relu5_1``):

``random`` (the offline default)
    fixed-seed random weights with per-layer normalisation; nothing to download.
``vgg19``
    ImageNet-trained weights in torchvision's format, loaded from a local file.

Encoders are plugins of their own kind, ``feature_encoder`` (hook
``register_feature_encoders``), so a third party can add one; see docs/plugins.md.
"""

from __future__ import annotations

from .base import LAYERS, STYLE_LAYERS, FeatureEncoder, vgg19_layer_names

__all__ = ["FeatureEncoder", "LAYERS", "STYLE_LAYERS", "load", "vgg19_layer_names"]


def load(name: str = "random", *, plugins=None, **options) -> FeatureEncoder:
    """The feature encoder registered as ``name``, created with ``options`` (e.g. ``weights=``), in eval mode."""
    from ..errors import UsageError
    from ..plugins import get_plugin_manager

    pm = plugins if plugins is not None else get_plugin_manager()
    comp = pm.get("feature_encoder", name)
    encoder = comp.create(**options)
    if not isinstance(encoder, FeatureEncoder):
        raise UsageError(
            f"feature encoder '{comp.name}' (plugin '{comp.plugin}') made a {type(encoder).__name__}; "
            "a feature encoder must subclass spokenstyle.encoders.FeatureEncoder"
        )
    return encoder.eval().requires_grad_(False)
