"""Deprecated alias of :mod:`spokenstyle.core.planner` (kept for one release; import that instead)."""

from .core.planner import *  # noqa: F401,F403
from .core.plan import *  # noqa: F401,F403  (the run-argument checks lived here)
from .plugins.protocols import RESERVED_OPTIONS  # noqa: F401
from ._aliases import forward

__getattr__ = forward(__name__)
