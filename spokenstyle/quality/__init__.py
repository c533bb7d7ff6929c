"""How good an output is: the figures (:mod:`.metrics`), measuring content/style/output triples
(:mod:`.evaluation`, ``spokenstyle eval``) and contact sheets to compare looks by eye
(:mod:`.sheet`, ``spokenstyle sheet``)."""
