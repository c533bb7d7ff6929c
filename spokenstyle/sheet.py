"""Deprecated alias of :mod:`spokenstyle.quality.sheet` (kept for one release; import that instead)."""

from .quality.sheet import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
