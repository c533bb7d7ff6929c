"""The core: words become a :class:`~spokenstyle.core.intent.StyleIntent` (:mod:`.intent`, from a
text encoder), the planner chooses the style backends (:mod:`.planner`, deciding a
:class:`~spokenstyle.core.plan.Plan`; :mod:`.looks` saves the decision), and the engine runs them
on the photos (:mod:`.engine`), on the device :mod:`.device` resolves, at the precision
:mod:`.precision` chooses, in one process or several (:mod:`.distributed`). Nothing is imported
here, so ``import spokenstyle`` stays light."""
