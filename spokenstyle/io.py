"""Deprecated alias of :mod:`spokenstyle.image.imageio` (kept for one release; import that instead)."""

from .image.imageio import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
