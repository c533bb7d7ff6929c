"""Training of the networks spokenstyle ships (``spokenstyle train ...``).

``spokenstyle.train.fit(config)`` trains the transform generator from Python (a
:class:`~spokenstyle.train.transform.FitConfig`, a dict of its fields, or a JSON file); it is
imported on first use, so ``import spokenstyle.train`` stays light.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FitConfig", "fit"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import transform

        return getattr(transform, name)
    raise AttributeError(f"module 'spokenstyle.train' has no attribute {name!r}")
