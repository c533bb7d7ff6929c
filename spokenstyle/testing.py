"""Deprecated alias of :mod:`spokenstyle.plugins.testing` (kept for one release; import that instead)."""

from .plugins.testing import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
