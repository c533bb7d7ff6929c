"""Deprecated alias of :mod:`spokenstyle.plugins.hookspecs` (kept for one release; import that instead)."""

from .plugins.hookspecs import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
