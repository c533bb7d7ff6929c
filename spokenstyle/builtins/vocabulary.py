"""Moved to :mod:`spokenstyle.builtins.lexicon.vocabulary`; this name stays for one release."""

import sys

from .lexicon import vocabulary as _moved

sys.modules[__name__] = _moved
