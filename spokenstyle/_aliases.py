"""The old flat module paths, kept for one release as thin aliases of the new layout.

``spokenstyle.engine`` is now :mod:`spokenstyle.core.engine`, ``spokenstyle.io`` is
:mod:`spokenstyle.image.imageio`, and so on (:data:`ALIASES`). Each old module re-exports its new
module's names and forwards any other attribute (private ones included) to it, so code and
plugins written against the old paths keep working while they move to the new ones.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

#: old module -> the module that replaced it.
ALIASES = {
    "spokenstyle.distributed": "spokenstyle.core.distributed",
    "spokenstyle.engine": "spokenstyle.core.engine",
    "spokenstyle.intent": "spokenstyle.core.intent",
    "spokenstyle.looks": "spokenstyle.core.looks",
    "spokenstyle.planner": "spokenstyle.core.planner",
    "spokenstyle.precision": "spokenstyle.core.precision",
    "spokenstyle.hookspecs": "spokenstyle.plugins.hookspecs",
    "spokenstyle.protocols": "spokenstyle.plugins.protocols",
    "spokenstyle.testing": "spokenstyle.plugins.testing",
    "spokenstyle.io": "spokenstyle.image.imageio",
    "spokenstyle.color": "spokenstyle.image.color",
    "spokenstyle.masks": "spokenstyle.image.masks",
    "spokenstyle.tiling": "spokenstyle.image.tiling",
    "spokenstyle.metrics": "spokenstyle.quality.metrics",
    "spokenstyle.evaluation": "spokenstyle.quality.evaluation",
    "spokenstyle.sheet": "spokenstyle.quality.sheet",
    "spokenstyle.eval_cli": "spokenstyle.cli.eval",
    "spokenstyle.sheet_cli": "spokenstyle.cli.sheet",
    "spokenstyle.train.cli": "spokenstyle.cli.train",
}


def forward(old: str) -> Callable[[str], Any]:
    """The module ``__getattr__`` of alias ``old``: any name its new module has."""
    new = ALIASES[old]

    def __getattr__(name: str) -> Any:
        try:
            return getattr(importlib.import_module(new), name)
        except AttributeError:
            raise AttributeError(f"module {old!r} (now {new!r}) has no attribute {name!r}") from None

    return __getattr__
