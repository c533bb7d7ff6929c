"""spokenstyle's built-in plugin: it registers the built-in components (text encoder, style
backends, feature encoders, generators) through the same hooks a third-party plugin uses; the
plugin manager loads it by its module name (``plugins.manager.BUILTIN_MODULE``). It registers
no commands: the built-in commands are modules of :mod:`spokenstyle.cli` (``cli.main.BUILTIN_COMMANDS``).
Factories are lazy ``"module:attr"`` strings, so importing this module (or calling its hooks)
imports no backend, network or weights; the names registered here are reserved."""

from ..plugins.hookspecs import hookimpl


@hookimpl
def register_text_encoders(register):
    register(
        "lexicon",
        "spokenstyle.builtins.lexicon:LexiconEncoder",
        description="offline English/Chinese colloquial parser (no weights)",
    )


@hookimpl
def register_style_backends(register):
    register(
        "grade",
        "spokenstyle.builtins.grade:GradeBackend",
        description="colour and tone grading in Oklab (white balance, contrast, fade, grain, ...)",
    )
    register(
        "adain",
        "spokenstyle.builtins.adain:AdaINBackend",
        description="feed-forward style transfer: encoder, AdaIN, trained decoder (fast)",
    )
    register(
        "gatys",
        "spokenstyle.builtins.gatys:GatysBackend",
        description="optimisation-based style transfer (Gram matrices of encoder features, coarse to fine)",
    )
    register(
        "render",
        "spokenstyle.builtins.render:RenderBackend",
        description="draws the medium from the photo itself: lines, washes, strokes, tesserae, flat inks (no weights)",
    )
    register(
        "magenta",
        "spokenstyle.builtins.magenta:MagentaBackend",
        description="arbitrary style transfer with Magenta's pretrained networks (Ghiasi et al. 2017), one pass",
    )
    register(
        "magenta26",
        "spokenstyle.builtins.magenta:MultiStyleBackend",
        description="Magenta's 26 learned painting styles (Dumoulin et al. 2017), mixable by name",
    )
    register("transform", "spokenstyle.builtins.transform:TransformBackend", description="trained text-conditioned generator, one pass (weights ship; retrain with `spokenstyle train transform`)")


@hookimpl
def register_feature_encoders(register):
    from ..encoders import BUILTIN, DESCRIPTIONS  # the one list of built-in encoders (imports torch only)

    for name, factory in BUILTIN.items():
        register(name, factory, description=DESCRIPTIONS[name])


@hookimpl
def register_generators(register):
    register(
        "exemplar",
        "spokenstyle.builtins.exemplar:ExemplarGenerator",
        description="procedural style image for a medium (brush strokes, washes, hatching, tesserae, ...), seeded",
    )
    register(
        "adain_decoder",
        "spokenstyle.nn.decoder:pretrained",
        description="AdaIN decoder for a feature encoder (options: encoder=, weights=)",
    )
    register("transform", "spokenstyle.nn.transform:pretrained", description="text-conditioned transform net (option: weights=)")
