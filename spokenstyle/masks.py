"""Deprecated alias of :mod:`spokenstyle.image.masks` (kept for one release; import that instead)."""

from .image.masks import *  # noqa: F401,F403
from ._aliases import forward

__getattr__ = forward(__name__)
