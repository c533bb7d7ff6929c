"""A plan and the run arguments that shape it, checked once.

:class:`Plan` is what the planner (:mod:`spokenstyle.core.planner`) decides: the backends to
run, in order, and why. The checks of ``backend=`` (:func:`check_backend_arg`),
``preserve_color=`` (:func:`preserve_mode`) and ``seed=`` (:func:`check_seed`) live here, beside
it, so looks (:mod:`spokenstyle.core.looks`) and the planner both use them and neither imports
the other back: ``plan <- looks <- planner``.
"""

from __future__ import annotations

import difflib
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..image.color import PRESERVE_COLOR_MODES
from .intent import StyleIntent

AUTO = "auto"

#: What each ``preserve_color`` mode does, in words (the engine's notes).
COLOR_MODE_WORDS = {
    "luminance": "the styled lightness with the photo's own colours",
    "statistics": "the styled colours re-paletted to the photo's colour statistics",
}


@dataclass
class Plan:
    """The backends to run, in order, and why."""

    backends: list[str]
    notes: list[str] = field(default_factory=list)
    medium_rendered: bool | None = None  # None: no medium asked

    def describe(self, options: Mapping[str, Mapping[str, str]] | None = None) -> str:
        """``backends: adain -> grade`` and the planner's notes, one per line; with
        ``options`` (backend name -> {option: help}), the options each backend takes."""
        lines = ["backends: " + (" -> ".join(self.backends) or "none")]
        lines.extend("  - " + n for n in self.notes)
        for name, declared in (options or {}).items():
            if declared:
                lines.append(f"options of '{name}' (-O KEY=VALUE, options={{...}}):")
                lines.extend(f"  {key}: {text}" if text else f"  {key}" for key, text in declared.items())
        return "\n".join(lines)


# ------------------------------------------------------------------------- run arguments
def check_backend_arg(backend: Any) -> None:
    """``backend=``: "auto", a name, "a,b", or a list of names; none empty, none twice."""
    if isinstance(backend, str):
        if backend.strip().lower() == AUTO:
            return
        names = [b.strip() for b in backend.split(",")]
    elif isinstance(backend, (list, tuple)) and backend:
        names = list(backend)
    else:
        raise UsageError(
            f"backend={backend!r} must be 'auto', a backend name such as 'grade', 'a,b', or a list of names"
        )
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise UsageError(
                f"backend={backend!r} has an empty or non-text name; use 'auto' or names such as 'grade' ('a,b' chains)"
            )
    seen = set()
    for name in names:
        key = name.strip().lower()
        if key in seen:
            raise UsageError(f"backend={backend!r} lists '{name.strip()}' twice; each backend runs once, name it once")
        seen.add(key)


#: torch.manual_seed's range (a Generator seed is an unsigned 64-bit number).
MAX_SEED = 2**64 - 1


def check_seed(seed: Any) -> int | None:
    """``seed=``: None or a whole number from 0 to :data:`MAX_SEED` (numpy and torch integers
    too, returned as an int). The one seed rule: the engine, looks, the planner, sheets and the
    exemplar generator all check with it."""
    if seed is None:
        return None
    value = None
    if not isinstance(seed, bool):
        try:
            value = operator.index(seed)
        except TypeError:
            pass
    if value is None or not 0 <= value <= MAX_SEED:
        raise UsageError(f"seed={seed!r} must be a whole number from 0 to 2**64-1 (or None)")
    return value


def preserve_mode(value: Any) -> str | None:
    """``preserve_color=`` as a mode: "luminance", "statistics" or None (off, or as the prompt
    says). True means "luminance"; text is matched without case or surrounding spaces. The one
    check of the argument, for the API, the CLI's ``--preserve-color`` and look files."""
    if value is None or value is False:
        return None
    if value is True:
        return "luminance"
    if isinstance(value, str):
        mode = value.strip().lower()
        if mode in PRESERVE_COLOR_MODES:
            return mode
        hint = difflib.get_close_matches(mode, PRESERVE_COLOR_MODES, n=1)
        raise UsageError(
            f"preserve_color={value!r} is not a mode; use {' or '.join(PRESERVE_COLOR_MODES)}"
            + (f" (did you mean '{hint[0]}'?)" if hint else "")
        )
    raise UsageError(
        f"preserve_color={value!r} must be True / 'luminance', 'statistics', False or None, not {type(value).__name__}"
    )


def apply_overrides(intent: StyleIntent, strength: float, preserve_color: Any) -> tuple[StyleIntent, str | None]:
    """The intent after the caller's ``strength`` and ``preserve_color`` (an argument that is
    given wins over the words), and the colour-keeping mode that runs after the backends.
    ``preserve_color=None`` keeps what the prompt said ("keep the colours" = luminance)."""
    mode = preserve_mode(preserve_color)
    changes: dict[str, Any] = {}
    if strength != intent.strength:
        changes["strength"] = strength
    if preserve_color is not None and (mode is not None) != intent.preserve_color:
        changes["preserve_color"] = mode is not None
    if changes:
        intent = intent.replace(**changes)
    if preserve_color is None and intent.preserve_color:
        mode = "luminance"  # what "keep the colours" in words means
    return intent, mode
