"""Deprecated alias of :mod:`spokenstyle.image.tiling` (kept for one release; import that instead)."""

from .image.tiling import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
