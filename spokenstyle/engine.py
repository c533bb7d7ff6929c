"""Deprecated alias of :mod:`spokenstyle.core.engine` (kept for one release; import that instead)."""

from .core.engine import *  # noqa: F401,F403
from .core.device import resolve_device as _resolve_device  # noqa: F401
from .plugins.protocols import RESERVED_OPTIONS  # noqa: F401
from ._aliases import forward

__getattr__ = forward(__name__)
