"""Deprecated alias of :mod:`spokenstyle.core.precision` (kept for one release; import that instead)."""

from .core.precision import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
