"""What each kind of plugin component must provide: the one written contract.

A plugin registers *factories* (``register(name, factory)``); the engine calls a factory to
make a *component*. This module says, for each kind, which members the component (and, for
what the planner reads without creating anything, its factory class) must have, and checks
them: :func:`check` raises :class:`ContractError` naming the member that is missing or of the
wrong type and the plugin it came from. :mod:`spokenstyle.plugins` runs it when a factory is
first imported and again on each component it creates, so a broken plugin fails once, early
and by name, never deep inside a photo.

=================  ================================  ================================================
kind               hook                              the component
=================  ================================  ================================================
text encoder       ``register_text_encoders``        :class:`TextEncoder`: ``encode(prompt)``
style backend      ``register_style_backends``       :class:`StyleBackend`: ``stylize(...)`` + traits
generator          ``register_generators``           :class:`Generator`: a callable (``nn.Module``)
feature encoder    ``register_feature_encoders``     a ``spokenstyle.encoders.FeatureEncoder``
transcriber        ``register_transcribers``         :class:`Transcriber`: ``transcribe(path, language=)``
CLI command        ``register_commands``             :class:`Command`: ``func(args) -> int | None``
=================  ================================  ================================================

A backend's options are declared once, with their defaults, as :class:`Options` of
:class:`Option`; ``@options.apply`` on ``stylize`` fills the defaults, so they are not written
again in its signature. A plain ``{"name": "help"}`` dict is still accepted.

The module itself imports no plugin and no torch (its checks read classes and signatures);
importing it loads the ``spokenstyle`` package first, which imports torch for its operators.
"""

from __future__ import annotations

import functools
import inspect
import keyword
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, NamedTuple, Protocol, runtime_checkable

from ..errors import SpokenstyleError, UsageError

#: Keyword arguments the engine itself passes to a backend's ``stylize``; no option may use them.
RESERVED_OPTIONS = frozenset({"content", "intent", "style", "seed", "engine"})

#: The one kind table: component kind -> (the hook that registers it, the words messages use).
#: The plugin manager keeps a registry per kind listed here, in this order.
KINDS: dict[str, tuple[str, str]] = {
    "text_encoder": ("register_text_encoders", "text encoder"),
    "generator": ("register_generators", "generator"),
    "style_backend": ("register_style_backends", "style backend"),
    "feature_encoder": ("register_feature_encoders", "feature encoder"),
    "transcriber": ("register_transcribers", "transcriber"),
}
#: Every kind :func:`check` knows, in the words messages use: the component kinds, and CLI
#: commands (``register_commands``), which the CLI's command registry holds instead.
KIND_WORDS = {**{kind: words for kind, (_hook, words) in KINDS.items()}, "command": "command"}


class PluginError(SpokenstyleError):
    """A plugin failed to load, or broke its contract (raised instead of a warning under
    SPOKENSTYLE_STRICT_PLUGINS=1). Also importable as ``spokenstyle.plugins.PluginError``."""


class ContractError(PluginError, UsageError):
    """A plugin's component lacks a member its kind requires, or has one of the wrong type.

    A :class:`PluginError` (it names the plugin) and a :class:`~spokenstyle.errors.UsageError`
    (the CLI prints it as one line, exit 2; the fix is in the plugin, or another component)."""


# ------------------------------------------------------------------------------ options
_NO_DEFAULT = object()


class Option(NamedTuple):
    """One option of a style backend: its name, its default and a one-line help.

    ``shown`` describes a default whose value does not speak for itself (``None`` meaning
    "the strength"); the help text users see is ``help`` plus ``(default: ...)``.
    """

    name: str
    default: Any
    help: str
    shown: str | None = None

    def describe(self) -> str:
        """The help line ``spokenstyle explain`` prints: the help and the default."""
        return f"{self.help} (default: {self.shown if self.shown is not None else _show(self.default)})"


def _show(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return ",".join(value)
    return "none" if value is None else str(value)


class Options(Mapping):
    """A backend's options, each declared once (an :class:`Option`); reads as name -> help.

    >>> opts = Options(Option("steps", 200, "optimisation steps"))
    >>> opts["steps"], opts.defaults
    ('optimisation steps (default: 200)', {'steps': 200})

    Decorate ``stylize`` with :meth:`apply` to have the defaults filled in for options the
    caller did not pass; its signature then names the options without defaults.
    """

    def __init__(self, *items: Option) -> None:
        seen: dict[str, Option] = {}
        for item in items:
            if not isinstance(item, Option):
                raise TypeError(f"Options(...) takes Option(name, default, help) items, got {item!r}")
            if not isinstance(item.name, str) or not item.name.isidentifier() or keyword.iskeyword(item.name):
                raise TypeError(f"option name {item.name!r} must be a Python identifier such as 'steps'")
            if item.name in RESERVED_OPTIONS:
                raise TypeError(
                    f"option '{item.name}' is passed by the engine itself ({', '.join(sorted(RESERVED_OPTIONS))}); rename it"
                )
            if not isinstance(item.help, str) or not item.help.strip():
                raise TypeError(f"option '{item.name}' needs a one-line help text")
            if item.name in seen:
                raise TypeError(f"option '{item.name}' is declared twice")
            seen[item.name] = item
        self._items = seen

    def __getitem__(self, name: str) -> str:
        return self._items[name].describe()

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return "Options(" + ", ".join(repr(o) for o in self._items.values()) + ")"

    def option(self, name: str) -> Option:
        """The :class:`Option` declared as ``name``."""
        return self._items[name]

    @property
    def defaults(self) -> dict[str, Any]:
        """name -> default, for every declared option."""
        return {name: o.default for name, o in self._items.items()}

    def __add__(self, other: "Options") -> "Options":
        """The options of both (a backend built on another's declares ``Base.options + Options(...)``)."""
        return Options(*self._items.values(), *other._items.values())

    def apply(self, stylize: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate ``stylize``: options the caller did not pass get their declared default.

        The signature is checked now, once: a keyword-only parameter without a default must
        be a declared option, and a declared option must not have a second default there."""
        sig = inspect.signature(stylize)
        params = sig.parameters
        for p in params.values():
            if p.name in self._items and p.default is not inspect.Parameter.empty:
                raise TypeError(
                    f"{stylize.__qualname__}: option '{p.name}' has a default both in its Option and in the "
                    "signature; keep the Option's (write the parameter without a default)"
                )
            if p.kind is p.KEYWORD_ONLY and p.default is inspect.Parameter.empty and p.name not in self._items:
                raise TypeError(f"{stylize.__qualname__}: keyword-only parameter '{p.name}' has no default and is no declared option")
        has_var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        missing = [n for n in self._items if n not in params and not has_var_kw]
        if missing:
            raise TypeError(f"{stylize.__qualname__} does not accept the declared option(s) {', '.join(missing)}")
        defaults = self.defaults

        @functools.wraps(stylize)
        def with_defaults(*args: Any, **kwargs: Any) -> Any:
            for name, value in defaults.items():
                kwargs.setdefault(name, value)
            return stylize(*args, **kwargs)

        with_defaults.__spokenstyle_options__ = self  # type: ignore[attr-defined]
        # help() and inspect show the declared defaults; inspect.unwrap() gives the source's signature.
        shown = [p.replace(default=defaults[p.name]) if p.name in defaults and p.kind is p.KEYWORD_ONLY else p
                 for p in params.values()]
        with_defaults.__signature__ = sig.replace(parameters=shown)  # type: ignore[attr-defined]
        return with_defaults


# ---------------------------------------------------------------------------- protocols
@runtime_checkable
class TextEncoder(Protocol):
    """Turns a prompt into a :class:`~spokenstyle.core.intent.StyleIntent`.

    Created once per :class:`~spokenstyle.core.engine.Engine`, with no arguments (load weights in
    ``__init__``). ``encode("")`` must mean "no change"; words it does not understand go to
    ``ignored``, never an exception. An encoder with a neural embedding fills ``embedding``
    (:data:`~spokenstyle.core.intent.EMBEDDING_DIM` floats) and still maps what it understood to
    ``attributes`` / ``medium`` so the planner and ``grade`` can act on it.
    """

    def encode(self, prompt: str) -> Any: ...


class StyleBackend:
    """Turns a batch of photos and an intent into a batch of photos. Subclassing is optional;
    these class attributes are what the planner reads (from the class, never an instance):

    media:            media (names in :data:`spokenstyle.core.intent.MEDIA`, or ``"*"``) whose
                      texture it renders; a prompt naming one makes it a candidate.
    priority:         among candidates, higher wins (built-ins: ``adain`` 20, ``gatys`` 10);
                      a plugin's backend comes before the built-ins whatever its priority.
    applies_look:     True if it applies the look attributes itself (then ``grade`` is not run).
    uses_style_image: True if it uses the caller's style image.
    options:          its knobs: :class:`Options` (or a dict name -> one-line help).
    handles(intent):  optional final say for an intent; a classmethod/staticmethod, so asking
                      never creates the backend.
    warmup(device):   optional, run once when the engine creates the backend ("setup" time).

    ``stylize(content, intent, *, style=None, seed=None, engine=None, **options)``: ``content``
    is (N, 3, H, W) float sRGB in [0, 1] on the engine's device; return the same shape, float,
    same device, values in [0, 1]. Accept ``**kwargs`` for arguments added later.
    """

    media: tuple[str, ...] = ()
    priority: float = 0
    applies_look: bool = False
    uses_style_image: bool = False
    options: Mapping = Options()
    # stylize() is deliberately not defined here: a subclass without one fails check().


@runtime_checkable
class Generator(Protocol):
    """A network or synthesiser a backend asks for with ``engine.generator(name, **options)``.

    The factory is called with those options (once per set of options per engine); an
    ``nn.Module`` is moved to the engine's device and put in eval mode. The call signature is
    the generator's own, documented with it (``exemplar``: ``(intent, size=, seed=, device=)``;
    a text-conditioned net: ``(content (N, 3, H, W), embedding (N, EMBEDDING_DIM))``).
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


class FeatureEncoderContract:
    """A feature encoder is an instance of :class:`spokenstyle.encoders.FeatureEncoder` (an
    ``nn.Sequential`` plus named taps): ``encoder(x, layers) -> {layer: activation}``,
    ``taps``, ``stride(layer)``, ``fingerprint()``. The factory takes keyword options
    (``weights=``, ...); the engine creates one per options and freezes it."""


@runtime_checkable
class Transcriber(Protocol):
    """Turns a recording of someone saying the look into the text a text encoder reads: what
    ``--say AUDIO`` (``spokenstyle stylize`` / ``explain``) uses, the first one registered.

    Created with no arguments (find and load the model lazily or in ``__init__``).
    ``transcribe(path, language=None)``: ``path`` is an audio file's path (str), ``language``
    None for "detect it" or a code such as ``"en"``, ``"zh"``, ``"yue"``; returns the
    transcript (str; an empty one means nothing was heard). A missing model, an unreadable file
    or an unknown language is a :class:`~spokenstyle.errors.UsageError` (one line, exit 2).
    """

    def transcribe(self, path: str, language: str | None = None) -> str: ...


@runtime_checkable
class Command(Protocol):
    """A ``spokenstyle`` subcommand, added with ``cli.add_command(name, func, help=...)`` in
    ``register_commands(cli)``: ``func(args)`` gets the ``argparse.Namespace`` and returns the
    exit code (None = 0); a :class:`~spokenstyle.errors.UsageError` becomes one line on stderr
    and exit code 2."""

    def __call__(self, args: Any) -> int | None: ...


# ------------------------------------------------------------------------------ reading
@dataclass(frozen=True)
class BackendTraits:
    """What the planner knows about a style backend, read from its factory by :func:`traits`."""

    media: tuple[str, ...] = ()
    priority: float = 0
    applies_look: bool = False
    uses_style_image: bool = False
    options: Mapping = field(default_factory=Options)


def traits(factory: Any) -> BackendTraits:
    """The planner's view of a (checked) backend factory; absent members take their defaults."""
    return BackendTraits(
        media=tuple(getattr(factory, "media", None) or ()),
        priority=getattr(factory, "priority", None) or 0,
        applies_look=bool(getattr(factory, "applies_look", False)),
        uses_style_image=bool(getattr(factory, "uses_style_image", False)),
        options=getattr(factory, "options", None) or Options(),
    )


def warmup_of(backend: Any) -> Callable[[Any], None] | None:
    """A created backend's optional ``warmup(device)`` (checked callable by :func:`check`), or None."""
    return getattr(backend, "warmup", None)


def class_handles(factory: Any) -> Callable[[Any], bool] | None | str:
    """A backend's ``handles``: the callable when it can be asked on the factory (a static or
    class method, or a non-class factory's attribute), ``"instance"`` when it is an instance
    method (the backend must be created to ask), None when there is none."""
    raw = inspect.getattr_static(factory, "handles", None)
    if raw is None:
        return None
    if isinstance(raw, (staticmethod, classmethod)) or not isinstance(factory, type):
        return getattr(factory, "handles")
    return "instance"


# ----------------------------------------------------------------------------- checking
def _fail(kind: str, name: str | None, problem: str, origin: str) -> ContractError:
    who = f"{KIND_WORDS.get(kind, kind)} '{name}'" if name else KIND_WORDS.get(kind, kind)
    return ContractError(f"{who} {problem} ({origin})" if origin else f"{who} {problem}")


def _accepts(func: Any, names: tuple[str, ...], positional: int) -> str | None:
    """None when ``func`` can be called with ``positional`` arguments and these keywords;
    else what is wrong, in words. Uninspectable callables (C functions) pass."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return None
    params = list(sig.parameters.values())
    if any(p.kind is p.VAR_KEYWORD for p in params):
        kw_ok = set(names)
    else:
        kw_ok = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    lacking = [n for n in names if n not in kw_ok]
    if lacking:
        return "does not accept the keyword argument(s) " + ", ".join(lacking)
    fillable = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not any(p.kind is p.VAR_POSITIONAL for p in params) and len(fillable) < positional:
        return f"takes {len(fillable)} positional argument(s); it must take {positional}"
    required = [p for p in fillable if p.default is p.empty][positional:]
    required += [p for p in params if p.kind is p.KEYWORD_ONLY and p.default is p.empty and p.name not in names]
    if required and not hasattr(func, "__spokenstyle_options__"):
        return "requires the argument(s) " + ", ".join(p.name for p in required) + ", which the engine does not pass"
    return None


def check_options(declared: Any, name: str | None, origin: str = "") -> Mapping:
    """A backend's ``options``: None, an :class:`Options`, or a dict of identifier -> help."""
    if declared is None:
        return Options()
    if not isinstance(declared, Mapping) or not all(isinstance(k, str) for k in declared):
        raise _fail(
            "style_backend", name,
            f"has options={declared!r}; it must be a dict of option name -> one-line help, e.g. "
            "{'steps': 'optimisation steps (default 200)'}, or spokenstyle.plugins.protocols.Options(Option(...), ...)",
            origin,
        )
    clash = sorted(RESERVED_OPTIONS.intersection(declared))
    if clash:
        raise _fail(
            "style_backend", name,
            f"declares the option(s) {', '.join(clash)}, which the engine passes itself "
            f"({', '.join(sorted(RESERVED_OPTIONS))}); the backend must rename them",
            origin,
        )
    bad = [k for k in declared if not k.isidentifier() or keyword.iskeyword(k)]
    if bad:
        raise _fail("style_backend", name, f"declares the option {bad[0]!r}; option names are Python identifiers such as 'steps'", origin)
    return declared


def _check_backend(obj: Any, name: str | None, origin: str, is_factory: bool) -> None:
    media = getattr(obj, "media", None)
    if media is not None:
        if isinstance(media, str) or not isinstance(media, (tuple, list, frozenset, set)) or not all(isinstance(m, str) for m in media):
            raise _fail("style_backend", name, f"has media={media!r}; it must be a tuple of medium names such as ('watercolor',)", origin)
    priority = getattr(obj, "priority", None)
    if priority is not None and (isinstance(priority, bool) or not isinstance(priority, numbers.Real)):
        raise _fail("style_backend", name, f"has priority={priority!r}; it must be a number (higher wins)", origin)
    for flag in ("applies_look", "uses_style_image"):
        value = getattr(obj, flag, None)
        if value is not None and not isinstance(value, bool):
            raise _fail("style_backend", name, f"has {flag}={value!r}; it must be True or False", origin)
    declared = check_options(getattr(obj, "options", None), name, origin)
    for member in ("handles", "warmup"):
        value = getattr(obj, member, None)
        if value is not None and not callable(value):
            raise _fail("style_backend", name, f"has {member}={value!r}; it must be a method (or absent)", origin)
    if is_factory and not isinstance(obj, type):
        return  # a factory function: its product is checked when it is created
    stylize = getattr(obj, "stylize", None)
    if not callable(stylize):
        raise _fail("style_backend", name, "has no stylize() method; a backend must define stylize(content, intent, *, style=None, seed=None, engine=None, **kwargs)", origin)
    if isinstance(obj, type):
        stylize = inspect.getattr_static(obj, "stylize")
        stylize = stylize.__func__ if isinstance(stylize, (staticmethod, classmethod)) else stylize
        positional = 3 if not isinstance(inspect.getattr_static(obj, "stylize"), staticmethod) else 2
    else:
        positional = 2
    problem = _accepts(stylize, ("style", "seed", "engine", *declared), positional)
    if problem:
        raise _fail("style_backend", name, f"has stylize(), but it {problem}; the engine calls stylize(content, intent, style=, seed=, engine=, **options)", origin)


def check(obj: Any, kind: str, origin: str = "", *, name: str | None = None, factory: bool | None = None) -> Any:
    """Check ``obj`` (a component, or the class/factory that makes one) against ``kind``'s
    contract; returns ``obj``. Raises :class:`ContractError` naming the member that is
    missing or ill-typed, the component ``name`` and ``origin`` (the plugin it came from).

    ``factory``: True for what a plugin registered (a class is then checked for its class
    attributes and methods; a factory function only for what it carries), False for a created
    component; default: True for classes.
    """
    if kind not in KIND_WORDS:
        raise UsageError(f"unknown component kind {kind!r}; use one of {', '.join(KIND_WORDS)}")
    is_factory = isinstance(obj, type) if factory is None else factory
    if kind == "style_backend":
        _check_backend(obj, name, origin, is_factory)
    elif kind == "text_encoder":
        if is_factory and not isinstance(obj, type):
            return obj
        encode = getattr(obj, "encode", None)
        if not callable(encode):
            raise _fail(kind, name, "has no encode(prompt) method; a text encoder must define encode(prompt: str) -> StyleIntent", origin)
        if not isinstance(obj, type):
            problem = _accepts(encode, (), 1)
            if problem:
                raise _fail(kind, name, f"has encode(), but it {problem}; the engine calls encode(prompt)", origin)
    elif kind == "transcriber":
        if is_factory and not isinstance(obj, type):
            return obj
        transcribe = getattr(obj, "transcribe", None)
        if not callable(transcribe):
            raise _fail(kind, name, "has no transcribe(path, language=None) method; a transcriber must define "
                        "transcribe(path: str, language: str | None = None) -> str", origin)
        if not isinstance(obj, type):
            problem = _accepts(transcribe, ("language",), 1)
            if problem:
                raise _fail(kind, name, f"has transcribe(), but it {problem}; the CLI calls transcribe(path, language=...)", origin)
    elif kind == "generator":
        if not callable(obj):
            raise _fail(kind, name, f"is a {type(obj).__name__}, which cannot be called; a generator is a callable (e.g. an nn.Module)", origin)
    elif kind == "feature_encoder":
        if not is_factory:
            from ..encoders import FeatureEncoder

            if not isinstance(obj, FeatureEncoder):
                raise _fail(kind, name, f"made a {type(obj).__name__}; a feature encoder must subclass spokenstyle.encoders.FeatureEncoder", origin)
        elif not callable(obj):
            raise _fail(kind, name, f"factory {obj!r} is not callable", origin)
    elif kind == "command":
        if not callable(obj):
            raise _fail(kind, name, f"handler {obj!r} is not callable; pass func(args) -> int | None", origin)
        problem = _accepts(obj, (), 1)
        if problem:
            raise _fail(kind, name, f"handler {getattr(obj, '__qualname__', obj)!r} {problem}; it is called as func(args)", origin)
    return obj


__all__ = [
    "BackendTraits", "Command", "ContractError", "FeatureEncoderContract", "Generator", "Option", "Options",
    "PluginError", "RESERVED_OPTIONS", "StyleBackend", "TextEncoder", "Transcriber", "check", "check_options", "class_handles", "traits", "warmup_of",
]
