"""Deprecated alias of :mod:`spokenstyle.cli.train` (kept for one release; import that instead)."""

from ..cli.train import *  # noqa: F401,F403
from .._aliases import forward

__getattr__ = forward(__name__)
