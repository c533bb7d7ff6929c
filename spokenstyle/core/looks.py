"""Reusable looks: what a prompt became, saved once and applied exactly to any number of photos.

A :class:`Look` is the resolved decision of one run: the :class:`~spokenstyle.core.intent.StyleIntent`
(strength and flags included), the style backends in order, the options each backend gets, the
colour-keeping mode and the seed. Applying one re-encodes no words and re-plans nothing, so
every photo of a catalogue gets the identical treatment, and a look applied again gives the
same pixels as the run that saved it (same spokenstyle, torch and machine).

    look = engine.look("vintage film, a bit warmer")      # or Result.look of any run
    look.save("look.json")
    engine.stylize(photos, look=Look.load("look.json"))

The file (``"format": "spokenstyle.look/1"``, UTF-8 JSON, written atomically)::

    {"format": "spokenstyle.look/1", "made_by": "spokenstyle 0.1.0",
     "intent": {...StyleIntent.to_dict()...},
     "backends": ["adain", "grade"], "options": {"adain": {"alpha": 0.8}},
     "preserve_color": null, "seed": null, "notes": ["oil painting rendered by 'adain'"]}

``spokenstyle explain --json`` output is read as a look too: its intent and planned backends,
with no options, no seed, and the colours kept as the words say. A look holds no images:
style images and masks are inputs of each run.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import UsageError
from .intent import StyleIntent
from .plan import Plan, check_seed, preserve_mode

FORMAT = "spokenstyle.look/1"
_FORMAT_NAME = "spokenstyle.look/"

_FIELDS = ("format", "made_by", "intent", "backends", "options", "preserve_color", "seed", "notes")


@dataclass(frozen=True)
class Look:
    """A resolved look (see the module docstring); make one with :meth:`Engine.look
    <spokenstyle.core.engine.Engine.look>` or read one with :meth:`load`.

    intent:         the StyleIntent applied, after strength/preserve_color overrides.
    backends:       the style backends, in the order they run.
    options:        per backend, the options it gets (``{"adain": {"alpha": 0.8}}``).
    preserve_color: the colour-keeping mode after the backends ("luminance", "statistics", None).
    seed:           the seed the backends get (None: their deterministic default).
    notes:          the planner's notes from when the look was made.
    source:         where it was read from (for messages; not saved).
    """

    intent: StyleIntent
    backends: tuple[str, ...]
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    preserve_color: str | None = None
    seed: int | None = None
    notes: tuple[str, ...] = ()
    source: str = field(default="<look>", compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.intent, StyleIntent):
            raise UsageError(f"{self.where()}: intent must be a StyleIntent, got {type(self.intent).__name__}")
        backends = tuple(self.backends) if isinstance(self.backends, (list, tuple)) else None
        if not backends or not all(isinstance(b, str) and b.strip() for b in backends):
            raise UsageError(
                f"{self.where()}: backends={self.backends!r} must be a non-empty list of backend names such as ['grade']"
            )
        object.__setattr__(self, "backends", backends)
        if not isinstance(self.options, Mapping):
            raise UsageError(f"{self.where()}: options must map a backend name to its options, e.g. {{\"adain\": {{\"alpha\": 0.8}}}}")
        options: dict[str, dict[str, Any]] = {}
        for name, opts in self.options.items():
            if name not in backends:
                raise UsageError(
                    f"{self.where()}: options are given for '{name}', which is not one of its backends "
                    f"({', '.join(backends)}); remove them or add the backend"
                )
            if not isinstance(opts, Mapping) or not all(isinstance(k, str) for k in opts):
                raise UsageError(f"{self.where()}: options of '{name}' must be an object of option name -> value")
            if opts:
                options[name] = dict(opts)
        object.__setattr__(self, "options", options)
        mode = _checked(preserve_mode, self.preserve_color, self.where())
        object.__setattr__(self, "preserve_color", mode)
        _checked(check_seed, self.seed, self.where())
        object.__setattr__(self, "notes", tuple(str(n) for n in self.notes))

    def where(self) -> str:
        """The look as messages name it: ``look 'look.json'``, or ``look`` when made in-process."""
        return f"look '{self.source}'" if not self.source.startswith("<") else "look"

    # ----------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        from .._version import __version__

        return {
            "format": FORMAT,
            "made_by": f"spokenstyle {__version__}",
            "intent": self.intent.to_dict(),
            "backends": list(self.backends),
            "options": {
                name: {k: _json_value(v, f"option '{k}' of '{name}'") for k, v in opts.items()}
                for name, opts in self.options.items()
            },
            "preserve_color": self.preserve_color,
            "seed": self.seed,
            "notes": list(self.notes),
        }

    def save(self, path: str | os.PathLike) -> Path:
        """Write the look to ``path`` as JSON, atomically (complete or absent)."""
        from ..image.imageio import write_atomically

        path = Path(path)
        if path.is_dir():
            raise UsageError(f"cannot save the look to '{path}': it is a folder; name a file such as look.json")
        text = json.dumps(self.to_dict(), ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        return write_atomically(path, lambda fh: fh.write(text.encode("utf-8")))

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "<look>") -> "Look":
        """A look from :meth:`to_dict`'s shape, or from ``spokenstyle explain --json`` output."""
        where = f"look '{source}'" if not source.startswith("<") else "look"
        if not isinstance(data, dict):
            raise UsageError(f"{where} is not a look: it holds a JSON {type(data).__name__}, not an object; {_MAKE_ONE}")
        fmt = data.get("format")
        if fmt is None and isinstance(data.get("plan"), dict) and "intent" in data:  # explain --json
            plan = data["plan"]
            intent = _intent(data["intent"], where)
            return cls(
                intent=intent,
                backends=_backends(plan.get("backends"), where),
                preserve_color="luminance" if intent.preserve_color else None,
                notes=tuple(plan.get("notes") or ()),
                source=source,
            )
        if fmt != FORMAT:
            if isinstance(fmt, str) and fmt.startswith(_FORMAT_NAME):
                raise UsageError(
                    f"{where} is format '{fmt}', and this spokenstyle reads '{FORMAT}'; "
                    "use the spokenstyle that saved it, or save the look again with this one"
                )
            what = f"its format is {fmt!r}" if fmt is not None else "it has no \"format\" field"
            raise UsageError(f"{where} is not a spokenstyle look: {what}; {_MAKE_ONE}")
        unknown = sorted(set(data) - set(_FIELDS))
        if unknown:
            raise UsageError(f"{where} has unknown field(s) {unknown}; the fields of {FORMAT} are {', '.join(_FIELDS)}")
        if "intent" not in data or "backends" not in data:
            missing = [k for k in ("intent", "backends") if k not in data]
            raise UsageError(f"{where} lacks {' and '.join(repr(m) for m in missing)}; {_MAKE_ONE}")
        return cls(
            intent=_intent(data["intent"], where),
            backends=_backends(data["backends"], where),
            options=data.get("options") or {},
            preserve_color=data.get("preserve_color"),
            seed=data.get("seed"),
            notes=tuple(data.get("notes") or ()),
            source=source,
        )

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Look":
        """Read a look file (``--save-look`` output or ``spokenstyle explain --json`` output)."""
        path = Path(path)
        if not path.exists():
            raise UsageError(f"look file '{path}' does not exist; check the path, or make one with --save-look")
        if path.is_dir():
            raise UsageError(f"look file '{path}' is a folder; pass the .json file --save-look wrote")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            raise UsageError(f"cannot read look file '{path}': {exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise UsageError(f"look file '{path}' is not UTF-8 text; {_MAKE_ONE}") from None
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise UsageError(
                f"look file '{path}' is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                f"fix it or save the look again"
            ) from None
        except ValueError as exc:
            raise UsageError(f"look file '{path}' holds {exc}; {_MAKE_ONE}") from None
        return cls.from_dict(data, source=str(path))

    # ---------------------------------------------------------------------------- humans
    @property
    def plan(self) -> Plan:
        """The backends and the planner's notes, as a :class:`~spokenstyle.core.planner.Plan`."""
        return Plan(list(self.backends), list(self.notes))

    def describe(self) -> str:
        """The intent, the plan, and the options, colour mode and seed when set."""
        lines = [self.intent.describe(), self.plan.describe()]
        for name, opts in self.options.items():
            lines.append(f"options of '{name}': " + ", ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in opts.items()))
        if self.preserve_color:
            lines.append(f"colours kept: {self.preserve_color}")
        if self.seed is not None:
            lines.append(f"seed: {self.seed}")
        return "\n".join(lines)


_MAKE_ONE = "make a look with `spokenstyle stylize ... --save-look look.json` (or use `spokenstyle explain --json` output)"


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name}, which is not a JSON number")


_ARG = re.compile(r"(?<![\w.-])(strength|preserve_color|seed)=")


def _file_words(message: str) -> str:
    """A check's message in the file's words: ``seed=-1`` (an argument, which the CLI would
    show as its flag) becomes ``"seed": -1`` (the look file's field)."""
    return _ARG.sub(lambda m: f'"{m.group(1)}": ', message)


def _checked(check, value: Any, where: str) -> Any:
    try:
        return check(value)
    except UsageError as exc:
        raise UsageError(f"{where}: {_file_words(str(exc))}") from None


def _intent(data: Any, where: str) -> StyleIntent:
    if isinstance(data, StyleIntent):
        return data
    if not isinstance(data, dict):
        raise UsageError(f"{where}: \"intent\" must be an object (StyleIntent.to_dict()), not {type(data).__name__}")
    try:
        return StyleIntent.from_dict(data)
    except UsageError as exc:
        raise UsageError(f"{where}: intent: {_file_words(str(exc))}") from None
    except (TypeError, ValueError) as exc:  # a field of the wrong type
        raise UsageError(f"{where}: intent: {exc}; save the look again") from None


def _backends(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(b, str) and b.strip() for b in value):
        raise UsageError(f"{where}: \"backends\" must be a non-empty list of backend names such as [\"grade\"], not {value!r}")
    return tuple(value)


def _json_value(value: Any, what: str) -> Any:
    """``value`` if a look file can hold it exactly (JSON: null, true/false, numbers, text, lists
    and objects of them); a tuple becomes a list. Anything else (a tensor, a path) is an error."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(f"{what} is {value}; a look file holds finite numbers only")
        return value
    if isinstance(value, (list, tuple)):
        return [_json_value(v, what) for v in value]
    if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
        return {k: _json_value(v, what) for k, v in value.items()}
    raise UsageError(
        f"{what} is a {type(value).__name__}; a look holds JSON values (numbers, text, true/false, null, "
        "lists): pass a value of those kinds, or leave the option out of the look"
    )
