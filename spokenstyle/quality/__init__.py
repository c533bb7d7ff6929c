"""How good an output is: the figures (:mod:`.metrics`), measuring content/style/output triples
(:mod:`.evaluation`, ``spokenstyle eval``) and contact sheets to compare looks by eye
(:mod:`.sheet`, ``spokenstyle sheet``)."""

#: The long side, in pixels, ``spokenstyle eval`` and :func:`.evaluation.evaluate` measure at by
#: default. Kept here, not in :mod:`.evaluation`, so the CLI reads it without importing the
#: evaluation (or the metrics) at start-up.
DEFAULT_SIZE = 512
