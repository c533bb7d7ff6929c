"""Deprecated alias of :mod:`spokenstyle.quality.metrics` (kept for one release; import that instead)."""

from .quality.metrics import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
