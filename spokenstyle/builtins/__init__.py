"""spokenstyle's built-in plugin: it registers the built-in components through the same hooks
a third-party plugin uses. Factories are lazy strings, so importing this module imports nothing
heavy; the names registered here are reserved."""

from ..hookspecs import hookimpl


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


@hookimpl
def register_generators(register):
    register(
        "exemplar",
        "spokenstyle.builtins.exemplar:ExemplarGenerator",
        description="procedural style image for a medium (brush strokes, washes, hatching, tesserae, ...), seeded",
    )
