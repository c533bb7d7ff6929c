"""Checkpoints the project trains: every config field checked before anything is allocated.

A checkpoint is a ``safetensors`` file whose metadata holds a ``format`` tag and a JSON
``config`` (DESIGN "Weights and data"). The network is built from that config, so a hostile or
broken file could ask for ``widths=[10000000, ...]`` and exhaust memory before its tensors are
even looked at. Every checkpoint kind therefore goes through :func:`read`:

1. the header is read (tensor names, dtypes and shapes; no tensor data);
2. the config is parsed and validated against the kind's schema (:class:`Int`, :class:`Str`,
   :class:`IntTuple`: type, range, length; unknown fields refused);
3. the tensor shapes the config implies (computed by the kind, with no allocation) are compared
   with the header, so the network that is then built is never larger than the file;
4. only then are the tensors read.

A kind supplies its format tag, its schema and an ``expected_shapes(config)`` function; see
:func:`spokenstyle.nn.decoder.load`. Every failure is a :class:`~spokenstyle.errors.WeightsError`.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import WeightsError

#: A config is a few hundred bytes; anything much larger is not one of ours.
MAX_CONFIG_BYTES = 64 * 1024
_FLOAT_DTYPES = ("F16", "BF16", "F32", "F64")


class _Missing:
    def __repr__(self) -> str:
        return "required"


REQUIRED: Any = _Missing()


@dataclass(frozen=True)
class Int:
    """An integer field in ``lo..hi`` (booleans and floats refused)."""

    lo: int
    hi: int
    default: Any = REQUIRED

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{name} must be an integer, got {_show(value)}")
        if not self.lo <= value <= self.hi:
            raise ValueError(f"{name} = {value} is out of range {self.lo}..{self.hi}")
        return value


@dataclass(frozen=True)
class Float:
    """A finite number in ``lo..hi`` (booleans and strings refused; integers accepted)."""

    lo: float
    hi: float
    default: Any = REQUIRED

    def check(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{name} must be a number, got {_show(value)}")
        value = float(value)
        if not (math.isfinite(value) and self.lo <= value <= self.hi):
            raise ValueError(f"{name} = {value} is out of range {self.lo:g}..{self.hi:g}")
        return value


@dataclass(frozen=True)
class Str:
    """A short string matching ``pattern`` (a full match)."""

    pattern: str
    default: Any = REQUIRED

    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string, got {_show(value)}")
        if not re.fullmatch(self.pattern, value):
            raise ValueError(f"{name} = {_show(value)} is not valid (expected {self.pattern})")
        return value


@dataclass(frozen=True)
class IntTuple:
    """A list of ``min_len..max_len`` integers, each in ``lo..hi``; returned as a tuple."""

    lo: int
    hi: int
    min_len: int
    max_len: int
    default: Any = REQUIRED

    def check(self, name: str, value: Any) -> tuple[int, ...]:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"{name} must be a list of integers, got {_show(value)}")
        if not self.min_len <= len(value) <= self.max_len:
            raise ValueError(f"{name} has {len(value)} entries; it needs {self.min_len}..{self.max_len}")
        item = Int(self.lo, self.hi)
        return tuple(item.check(f"{name}[{i}]", v) for i, v in enumerate(value))


Field = Int | Str | IntTuple


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def validate(values: Any, schema: Mapping[str, Field], *, what: str) -> dict[str, Any]:
    """``values`` checked against ``schema``: every field's type and range, unknown fields
    refused, missing ones defaulted (or refused when required). Raises WeightsError naming
    ``what`` (e.g. "decoder weights 'x.safetensors'") and the field."""
    if not isinstance(values, Mapping):
        raise WeightsError(f"{what}: the config must be a JSON object, got {_show(values)}")
    unknown = sorted(str(k) for k in values if k not in schema)
    if unknown:
        raise WeightsError(f"{what}: the config has unknown field(s) {', '.join(unknown)}; known: {', '.join(schema)}")
    out: dict[str, Any] = {}
    for name, spec in schema.items():
        if name not in values:
            if spec.default is REQUIRED:
                raise WeightsError(f"{what}: the config lacks the field '{name}'")
            out[name] = spec.default
            continue
        try:
            out[name] = spec.check(name, values[name])
        except ValueError as exc:
            raise WeightsError(f"{what}: bad config: {exc}") from None
    return out


def validate_fields(obj: Any, schema: Mapping[str, Field], check: Callable[[dict[str, Any]], None], *, what: str) -> None:
    """A config dataclass's ``__post_init__``: its schema fields validated (:func:`validate`),
    then ``check``-ed together (a ValueError becomes a WeightsError naming ``what``), then set
    back on ``obj`` in their normalised form."""
    checked = validate({k: getattr(obj, k) for k in schema}, schema, what=what)
    try:
        check(checked)
    except ValueError as exc:
        raise WeightsError(f"{what}: {exc}") from None
    for key, value in checked.items():
        setattr(obj, key, value)


@dataclass
class Checkpoint:
    """What :func:`read` returns: the validated config, the other metadata, the tensors."""

    config: dict[str, Any]
    metadata: dict[str, str]
    tensors: dict[str, Any]

    def info(self, path: str | os.PathLike, *, what: str = "weights") -> dict[str, Any]:
        """The ``info`` metadata (a JSON object written by :func:`write`), or a WeightsError."""
        try:
            info = json.loads(self.metadata.get("info", "{}"))
        except (ValueError, RecursionError) as exc:
            raise WeightsError(f"{what} '{path}' have bad info metadata: {exc}") from None
        if not isinstance(info, dict):
            raise WeightsError(f"{what} '{path}' have bad info metadata: a JSON object is expected")
        return info


def write(path: str | os.PathLike, module: Any, *, fmt: str, config: Any, info: Mapping[str, Any] | None = None,
          dtype: Any = None, metadata: Mapping[str, str] | None = None) -> Path:
    """Write ``module``'s state dict (as ``dtype``) as safetensors, atomically, with the format,
    the dataclass ``config``, ``info`` and any other ``metadata`` strings: what :func:`read` reads."""
    from dataclasses import asdict

    from safetensors.torch import save as to_bytes

    from .image.imageio import write_atomically

    tensors = {k: v.detach().to("cpu", dtype).contiguous() for k, v in module.state_dict().items()}
    meta = {"format": fmt, "config": json.dumps(asdict(config)), **(metadata or {}),
            "info": json.dumps(dict(info or {}), ensure_ascii=False)}
    blob = to_bytes(tensors, metadata=meta)
    return write_atomically(path, lambda fh: fh.write(blob))


def read(
    path: str | os.PathLike,
    *,
    fmt: str,
    schema: Mapping[str, Field],
    expected_shapes: Callable[[dict[str, Any]], Mapping[str, tuple[int, ...]]],
    what: str = "weights",
    kind: str = "checkpoint",
    check: Callable[[dict[str, Any]], None] | None = None,
) -> Checkpoint:
    """Read a checkpoint of format ``fmt``, validating in the order the module docstring gives.

    ``what`` names the file in messages ("decoder weights"), ``kind`` what it should be
    ("AdaIN decoder"). ``check(config)`` may add cross-field rules (raise ValueError with the reason);
    ``expected_shapes(config)`` gives every tensor's shape for a valid config."""
    from safetensors import safe_open

    path = Path(path)
    label = f"{what} '{path}'"
    if not path.is_file():
        raise WeightsError(f"{label} do not exist; check the path")
    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            header = {k: (tuple(f.get_slice(k).get_shape()), f.get_slice(k).get_dtype()) for k in f.keys()}
            if metadata.get("format") != fmt:
                raise WeightsError(
                    f"'{path}' is not a spokenstyle {kind} (metadata format {_show(metadata.get('format'))}, expected {fmt!r})"
                )
            config = parse_config(metadata.get("config"), schema, what=label, check=check)
            expected = {k: tuple(int(d) for d in v) for k, v in expected_shapes(config).items()}
            check_shapes(header, expected, what=label)
            tensors = {k: f.get_tensor(k) for k in expected}
    except WeightsError:
        raise
    except Exception as exc:  # noqa: BLE001 - corrupt header, truncated file, not safetensors
        raise WeightsError(f"cannot read {label}: not a valid safetensors file ({type(exc).__name__}: {exc})") from None
    return Checkpoint(config, metadata, tensors)


def parse_config(
    raw: Any, schema: Mapping[str, Field], *, what: str, check: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """The JSON text ``raw`` (a checkpoint's ``config`` metadata) parsed and validated."""
    if not isinstance(raw, str):
        raise WeightsError(f"{what}: the metadata has no config (a JSON object)")
    if len(raw) > MAX_CONFIG_BYTES:
        raise WeightsError(f"{what}: the config is {len(raw):,} bytes, more than any real one ({MAX_CONFIG_BYTES:,})")
    try:
        values = json.loads(raw, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise WeightsError(f"{what}: the config is not valid JSON ({exc})") from None
    config = validate(values, schema, what=what)
    if check is not None:
        try:
            check(config)
        except ValueError as exc:
            raise WeightsError(f"{what}: bad config: {exc}") from None
    return config


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def check_shapes(
    header: Mapping[str, tuple[tuple[int, ...], str]], expected: Mapping[str, tuple[int, ...]], *, what: str
) -> None:
    """The file's tensors are exactly ``expected``: same names, same shapes, floating dtypes."""
    missing = sorted(set(expected) - set(header))
    unexpected = sorted(set(header) - set(expected))
    if missing or unexpected:
        raise WeightsError(
            f"{what} do not match their config: missing {missing[:3]}, unexpected {unexpected[:3]}"
        )
    for key, shape in expected.items():
        got, dtype = header[key]
        if tuple(got) != tuple(shape):
            raise WeightsError(f"{what}: '{key}' has shape {tuple(got)}, the config needs {tuple(shape)}")
        if dtype not in _FLOAT_DTYPES:
            raise WeightsError(f"{what}: '{key}' is {dtype}; weights must be floating point ({', '.join(_FLOAT_DTYPES)})")


def numel(shapes: Mapping[str, tuple[int, ...]]) -> int:
    """Total number of elements of ``shapes`` (for size limits)."""
    return sum(math.prod(s) for s in shapes.values())
