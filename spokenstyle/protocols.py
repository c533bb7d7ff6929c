"""Deprecated alias of :mod:`spokenstyle.plugins.protocols` (kept for one release; import that instead)."""

from .plugins.protocols import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
