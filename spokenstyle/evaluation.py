"""Deprecated alias of :mod:`spokenstyle.quality.evaluation` (kept for one release; import that instead)."""

from .quality.evaluation import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
