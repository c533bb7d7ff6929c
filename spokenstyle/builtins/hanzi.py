"""Moved to :mod:`spokenstyle.builtins.lexicon.hanzi`; this name stays for one release."""

import sys

from .lexicon import hanzi as _moved

sys.modules[__name__] = _moved
