"""The exemplar generator's arguments (size, seed, medium), checked before anything is drawn."""

from __future__ import annotations

import operator

from ...core.intent import MEDIA
from ...core.plan import check_seed
from ...errors import UsageError

MIN_SIZE = 16
MAX_SIZE = 4096


def _check_size(size) -> tuple[int, int]:
    """``size`` -> (height, width); an int is a square."""
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise UsageError(f"size={size!r} must be an int or a (height, width) pair")
        dims = tuple(size)
    else:
        dims = (size, size)
    out = []
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, int):
            try:
                d = operator.index(d)  # numpy / torch integers
            except TypeError:
                raise UsageError(
                    f"size={size!r} must be an int or a (height, width) pair of ints "
                    f"between {MIN_SIZE} and {MAX_SIZE}, e.g. size=256"
                ) from None
        if not MIN_SIZE <= d <= MAX_SIZE:
            raise UsageError(
                f"size={size!r} is out of range; use between {MIN_SIZE} and {MAX_SIZE} pixels per side, e.g. size=256"
            )
        out.append(int(d))
    return out[0], out[1]


def _check_seed(seed) -> int:
    """``seed=`` by the one seed rule (:func:`spokenstyle.core.plan.check_seed`); None draws seed 0."""
    seed = check_seed(seed)
    return 0 if seed is None else seed


def _check_medium(medium) -> str:
    if not medium:
        raise UsageError(
            "the exemplar generator needs a medium: intent.medium is empty; build the intent from a prompt "
            "that names one (e.g. 'oil painting') or pass StyleIntent(medium=...), one of " + ", ".join(MEDIA)
        )
    if medium not in MEDIA:
        raise UsageError(f"medium={medium!r} is not one the exemplar generator knows; use one of " + ", ".join(MEDIA))
    return medium
