"""Plugin discovery and the component registry.

Sources of plugins, in order:

1. the built-ins (:mod:`spokenstyle.builtins`), registered through the same hooks as everyone;
2. entry points in group ``spokenstyle`` (installed distributions);
3. plugins registered in-process with :meth:`PluginManager.register` (or
   :func:`register_plugin`, or the :mod:`spokenstyle.plugins.testing` helpers in tests).

Loading is lenient: a plugin that fails to import or whose hook raises produces one
:class:`PluginWarning` naming the plugin and its distribution, and is left out (none of its
components are registered); everything else keeps working. Environment:

``SPOKENSTYLE_LOAD_PLUGINS``
    comma-separated entry-point (or distribution) names to load; set but empty = no
    third-party plugins. Unset = all installed plugins.
``SPOKENSTYLE_STRICT_PLUGINS=1``
    a plugin that fails to load raises :class:`PluginError` instead of warning.

Component names are unique per kind. Built-in names are reserved (a plugin claiming one does
not get it, with a warning). A name two installed plugins claim is contested: everything else
keeps working (``--help``, ``plugins`` and ``doctor`` show the conflict), and only using that
name raises :class:`PluginConflictError`, naming both. Registering in-process
(:meth:`PluginManager.register`) a name that is taken raises at once.
"""

from __future__ import annotations

import difflib
import importlib
import os
import re
import threading
import warnings
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Iterable, Mapping

import pluggy

from . import hookspecs
from ..errors import SpokenstyleError, UsageError
from .protocols import KINDS, ContractError, PluginError, check as check_contract  # noqa: F401 (KINDS: spokenstyle.plugins.manager.KINDS)

ENTRY_POINT_GROUP = "spokenstyle"
BUILTIN_PLUGIN = "builtins"
#: The built-in plugin, loaded by its module name (as pytest and datasette load their default
#: plugins), so the manager never imports the components it registers.
BUILTIN_MODULE = "spokenstyle.builtins"

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class PluginWarning(UserWarning):
    """A plugin failed to load or register and was left out."""


class PluginConflictError(PluginError):
    """Two plugins claim one component name, or a plugin claims a built-in name."""


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass
class PluginInfo:
    """One plugin, as ``spokenstyle plugins`` lists it."""

    name: str
    distribution: str | None = None
    version: str | None = None
    module: str = ""
    builtin: bool = False
    status: str = "loaded"  # loaded | failed | skipped
    error: str | None = None
    components: list[tuple[str, str]] = field(default_factory=list)  # (kind, name)

    @property
    def origin(self) -> str:
        """'plugin' or 'plugin (distribution 1.0)' for messages."""
        if self.distribution:
            version = f" {self.version}" if self.version else ""
            return f"plugin '{self.name}' (distribution {self.distribution}{version})"
        return f"plugin '{self.name}' (registered in-process)"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "builtin": self.builtin,
            "status": self.status,
            "error": self.error,
            "components": [{"kind": k, "name": n} for k, n in self.components],
        }


@dataclass
class Component:
    """A registered component: a text encoder, generator, style backend or feature encoder."""

    kind: str
    name: str
    factory: Any  # class, callable or "module:attr"
    description: str = ""
    aliases: tuple[str, ...] = ()
    plugin: str = ""
    builtin: bool = False
    origin: str = ""  # "plugin 'p' (distribution d 1.0)", for messages
    _checked: bool = field(default=False, repr=False, compare=False)

    def load(self) -> Callable[..., Any]:
        """The factory, importing it first if it is a lazy "module:attr" string, checked once
        against its kind's contract (:func:`spokenstyle.plugins.protocols.check`): a class that lacks
        a member, or has one of the wrong type, is a :class:`~spokenstyle.plugins.protocols.ContractError`
        naming the member and the plugin."""
        if isinstance(self.factory, str):
            module_name, _, attr = self.factory.partition(":")
            try:
                obj: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except BaseException as exc:  # noqa: BLE001 - plugin code may raise anything, SystemExit included
                raise PluginError(
                    f"{KINDS[self.kind][1]} '{self.name}' from plugin '{self.plugin}' could not be "
                    f"imported from {self.factory!r}: {type(exc).__name__}: {exc}"
                ) from exc
            self.factory = obj
        if not self._checked:
            check_contract(self.factory, self.kind, self.origin or f"plugin '{self.plugin}'", name=self.name, factory=True)
            self._checked = True
        return self.factory

    def create(self, **kwargs: Any) -> Any:
        """A new instance: ``factory(**kwargs)``. A plugin's factory that raises (anything,
        SystemExit included: a plugin never ends the host) is a PluginError naming it."""
        factory = self.load()
        try:
            made = factory(**kwargs)
        except (SpokenstyleError, KeyboardInterrupt):
            raise
        except BaseException as exc:  # noqa: BLE001
            if self.builtin and isinstance(exc, Exception):
                raise  # a bug in spokenstyle: keep its traceback
            raise PluginError(
                f"{KINDS[self.kind][1]} '{self.name}' from plugin '{self.plugin}' failed to start: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        return check_contract(made, self.kind, self.origin or f"plugin '{self.plugin}'", name=self.name, factory=False)


class PluginManager:
    """Finds plugins and holds the components they register.

    >>> pm = PluginManager(entry_points=False)  # built-ins only
    >>> pm.names("feature_encoder")
    ['random', 'vgg19']
    >>> {"adain", "gatys", "grade", "transform"} <= set(pm.names("style_backend"))
    True
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        builtins: bool = True,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.env = os.environ if env is None else env
        self.strict = _flag(self.env, "SPOKENSTYLE_STRICT_PLUGINS")
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._components: dict[str, dict[str, Component]] | None = None
        self._conflicts: list[Conflict] = []
        self._broken: dict[str, dict[str, str]] = {}  # kind -> component -> why its factory did not import
        self._owners: dict[tuple[str, str], Component] = {}
        self._lock = threading.RLock()
        if builtins:
            from .._version import __version__

            builtin_module = importlib.import_module(BUILTIN_MODULE)
            self._add(builtin_module, PluginInfo(BUILTIN_PLUGIN, "spokenstyle", __version__, BUILTIN_MODULE, builtin=True))
        if entry_points:
            self._load_entry_points()
        self._build()  # call the registration hooks now, so failures surface here

    # --------------------------------------------------------------------------- loading
    def _fail(self, info: PluginInfo, what: str, exc: BaseException) -> None:
        info.status = "failed"
        info.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PluginError) else str(exc)
        info.components = []
        self._infos[info.name] = info
        message = f"{info.origin} failed to {what} and was skipped: {info.error}"
        if self.strict:
            raise PluginError(message + " (SPOKENSTYLE_STRICT_PLUGINS=1)") from exc
        warnings.warn(
            f"spokenstyle: {message} (set SPOKENSTYLE_STRICT_PLUGINS=1 to make this an error)", PluginWarning, stacklevel=4
        )

    def _add(self, obj: Any, info: PluginInfo) -> bool:
        if info.name in self._infos and self._infos[info.name].status == "loaded":
            other = self._infos[info.name]
            raise PluginConflictError(
                f"two plugins are named '{info.name}': {other.origin} and {info.origin}; "
                "uninstall one, or choose with SPOKENSTYLE_LOAD_PLUGINS"
            )
        if isinstance(obj, type):
            obj = obj()
        try:
            self._pm.register(obj, name=info.name)
            known = {name for name, _ in _hook_names()}
            unknown = []
            for attr in dir(obj):
                opts = None if attr.startswith("_") else self._pm.parse_hookimpl_opts(obj, attr)
                if opts is not None and (opts.get("specname") or attr) not in known:
                    unknown.append(opts.get("specname") or attr)
            if unknown:
                self._pm.unregister(name=info.name)
                hint = difflib.get_close_matches(unknown[0], [n for n, _ in _hook_names()], n=1)
                raise PluginError(
                    f"implements unknown hook '{unknown[0]}'" + (f"; did you mean '{hint[0]}'?" if hint else "")
                )
        except BaseException as exc:  # noqa: BLE001 - a plugin can never end the host
            if self._pm.has_plugin(info.name):
                self._pm.unregister(name=info.name)
            self._fail(info, "register", exc)
            return False
        self._infos[info.name] = info
        self._components = None
        return True

    def _load_entry_points(self) -> None:
        allowed = self.env.get("SPOKENSTYLE_LOAD_PLUGINS")
        wanted = None if allowed is None else {n.strip() for n in allowed.split(",") if n.strip()}
        seen: set[tuple[str, str]] = set()
        matched: set[str] = set()
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            if (ep.name, ep.value) in seen:
                continue  # the same distribution found twice on sys.path
            seen.add((ep.name, ep.value))
            info = PluginInfo(ep.name, dist_name, version, ep.value.partition(":")[0])
            if wanted is not None and ep.name not in wanted and dist_name not in wanted:
                info.status = "skipped"
                info.error = "not listed in SPOKENSTYLE_LOAD_PLUGINS"
                self._infos.setdefault(ep.name, info)
                continue
            matched.update({ep.name, dist_name or ""})
            if ep.name == BUILTIN_PLUGIN:
                reserved = PluginConflictError(
                    f"its entry point uses the reserved plugin name '{BUILTIN_PLUGIN}' of spokenstyle's "
                    "built-ins; the plugin must rename it"
                )
                self._fail(PluginInfo(ep.name + f" ({ep.value})", dist_name, version, info.module), "load", reserved)
                continue
            try:
                obj = ep.load()
            except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt at import included
                self._fail(info, "import", exc)
                continue
            self._add(obj, info)
        if wanted:
            missing = sorted(wanted - matched)
            if missing:
                warnings.warn(
                    f"spokenstyle: SPOKENSTYLE_LOAD_PLUGINS names {', '.join(missing)}, which "
                    "no installed plugin provides (see `spokenstyle plugins --all`)",
                    PluginWarning,
                    stacklevel=3,
                )

    def register(self, plugin: Any, name: str | None = None) -> str:
        """Register a plugin object (module, class or instance with hookimpls) in-process.

        Returns the plugin name. A failing plugin warns (or raises when strict) like an
        installed one; a component name conflict raises :class:`PluginConflictError`.
        """
        with self._lock:
            name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
            if name in self._infos and self._infos[name].status == "loaded":
                raise UsageError(f"a plugin named '{name}' is already registered; pass another name=")
            info = PluginInfo(name, None, None, getattr(plugin, "__module__", None) or getattr(plugin, "__name__", ""))
            if self._add(plugin, info):
                # Registering in-process is a deliberate act: a name conflict is an error now.
                clash = next((c for c in self._build_conflicts() if name in c.plugins), None)
                if clash is not None:
                    self.unregister(name)
                    raise PluginConflictError(clash.message)
            return name

    def unregister(self, name: str) -> None:
        """Remove an in-process or installed plugin (by plugin name) from this manager."""
        with self._lock:
            if name == BUILTIN_PLUGIN:
                raise UsageError("the built-in plugin cannot be unregistered")
            if self._pm.has_plugin(name):
                self._pm.unregister(name=name)
            self._infos.pop(name, None)
            self._components = None

    # -------------------------------------------------------------------------- registry
    def _build(self) -> dict[str, dict[str, Component]]:
        """Call every loaded plugin's registration hooks (once) and index the components.

        A name (or alias) two plugins claim is *contested*: neither gets it, and using it raises
        :class:`PluginConflictError` naming both (see :meth:`get`); everything else keeps
        working. A plugin claiming a built-in name does not get it (the built-in keeps it),
        with one warning."""
        with self._lock:
            if self._components is not None:
                return self._components
            registry: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
            owners: dict[tuple[str, str], Component] = {}
            contested: dict[tuple[str, str], list[Component]] = {}
            conflicts: list[Conflict] = []
            for info in self._ordered_infos():
                if info.status != "loaded" or not self._pm.has_plugin(info.name):
                    continue
                plugin = self._pm.get_plugin(info.name)
                pending: list[Component] = []
                try:
                    for kind, (hook_name, _words) in KINDS.items():
                        for impl in getattr(self._pm.hook, hook_name).get_hookimpls():
                            if impl.plugin is not plugin:
                                continue
                            register = _Registrar(kind, info, pending)
                            impl.function(**{arg: register for arg in impl.argnames})
                except BaseException as exc:  # noqa: BLE001 - a hook may raise anything
                    self._pm.unregister(name=info.name)
                    self._fail(info, "register its components", exc)
                    continue
                kept: list[Component] = []
                for comp in pending:
                    keys = []
                    for key in (comp.name, *comp.aliases):
                        other = owners.get((comp.kind, key))
                        if (comp.kind, key) in contested:
                            contested[(comp.kind, key)].append(comp)
                        elif other is not None and other.builtin:
                            conflicts.append(Conflict(comp.kind, key, (other.plugin, comp.plugin), _conflict(comp, other, key, self._infos)))
                        elif other is not None:
                            contested[(comp.kind, key)] = [other, comp]
                        else:
                            keys.append(key)
                    if comp.name in keys:
                        kept.append(comp)
                        for key in keys:
                            owners[(comp.kind, key)] = comp
                for comp in kept:
                    registry[comp.kind][comp.name] = comp
                info.components = [(c.kind, c.name) for c in kept]
            for (kind, key), comps in contested.items():
                owners.pop((kind, key), None)
                for comp in comps:  # a contested name takes its component out; an alias only itself
                    if comp.name == key:
                        registry[kind].pop(key, None)
                        for alias in comp.aliases:
                            if owners.get((kind, alias)) is comp:
                                owners.pop((kind, alias))
                        info = self._infos.get(comp.plugin)
                        if info is not None and (kind, key) in info.components:
                            info.components.remove((kind, key))
                message = _contested(kind, key, comps, self._infos)
                conflicts.append(Conflict(kind, key, tuple(dict.fromkeys(c.plugin for c in comps)), message))
            for c in conflicts:  # an installed plugin squatting a built-in name: say so once
                squatter = self._infos.get(c.plugins[-1])
                if c.plugins[0] == BUILTIN_PLUGIN and squatter is not None and squatter.distribution:
                    warnings.warn("spokenstyle: " + c.message, PluginWarning, stacklevel=4)
            self._owners = owners
            self._conflicts = conflicts
            self._components = registry
            return registry

    def _build_conflicts(self) -> list["Conflict"]:
        self._build()
        return list(self._conflicts)

    @property
    def conflicts(self) -> list["Conflict"]:
        """Names claimed twice: by two plugins (unusable until one goes) or by a plugin that
        took a built-in's name (the built-in keeps it). ``plugins`` and ``doctor`` list them."""
        return self._build_conflicts()

    def _conflict_found(self, message: str, exc: BaseException) -> None:
        """A command-name conflict (from ``register_commands``): warn, the CLI keeps working."""
        warnings.warn(message if message.startswith("spokenstyle: ") else "spokenstyle: " + message, PluginWarning, stacklevel=4)

    def _ordered_infos(self) -> list[PluginInfo]:
        infos = list(self._infos.values())
        return [i for i in infos if i.builtin] + [i for i in infos if not i.builtin]

    @property
    def plugins(self) -> list[PluginInfo]:
        """Every plugin seen: loaded, failed and skipped (built-ins first)."""
        self._build()
        return self._ordered_infos()

    @property
    def failures(self) -> list[PluginInfo]:
        return [i for i in self.plugins if i.status == "failed"]

    def components(self, kind: str | None = None) -> list[Component]:
        """Registered components, of one kind or all."""
        registry = self._build()
        kinds = [_check_kind(kind)] if kind else list(KINDS)
        return [c for k in kinds for c in registry[k].values()]

    def loadable(self, kind: str) -> list[tuple[Component, Callable[..., Any]]]:
        """(component, factory) for every component of ``kind`` whose factory imports; one that
        does not (a broken lazy ``"module:attr"``) is left out with one :class:`PluginWarning`
        naming it and its plugin, so choosing among components (the planner) keeps working."""
        out = []
        for comp in self.components(kind):
            try:
                out.append((comp, comp.load()))
            except PluginError as exc:
                if self.strict:
                    raise PluginError(f"{exc} (SPOKENSTYLE_STRICT_PLUGINS=1)") from exc
                if comp.name not in self._broken.setdefault(kind, {}):
                    self._broken[kind][comp.name] = str(exc)
                    warnings.warn(f"spokenstyle: {exc}; it was skipped", PluginWarning, stacklevel=2)
        return out

    def names(self, kind: str) -> list[str]:
        return sorted(self._build()[_check_kind(kind)])

    def get(self, kind: str, name: str) -> Component:
        """The component registered under ``name`` (or an alias); a UsageError says what exists."""
        self._build()
        kind = _check_kind(kind)
        if not isinstance(name, str):
            raise UsageError(f"{KINDS[kind][1]} name must be a string such as 'grade', got {type(name).__name__}")
        for key in (name, name.strip().lower()):
            comp = self._owners.get((kind, key))
            if comp is not None:
                return comp
            clash = next((c for c in self._conflicts if c.kind == kind and c.key == key and c.plugins[0] != BUILTIN_PLUGIN), None)
            if clash is not None:
                raise PluginConflictError(clash.message)
        words = KINDS[kind][1]
        known = sorted(k for (kd, k) in self._owners if kd == kind)
        hint = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
        message = f"unknown {words} {name!r}"
        if hint:
            message += f"; did you mean '{hint[0]}'?"
        message += f" (available: {', '.join(known) or 'none'})"
        raise UsageError(message)

    def call_commands(self, cli: Any) -> None:
        """Run every plugin's ``register_commands(cli)``; a failing plugin warns and is skipped."""
        for impl in self._pm.hook.register_commands.get_hookimpls():
            info = self._infos.get(impl.plugin_name)
            checked = _CheckedCommands(cli, info.origin if info is not None else f"plugin '{impl.plugin_name}'")
            try:
                with cli.owned_by(impl.plugin_name):
                    impl.function(**{arg: checked for arg in impl.argnames})
            except BaseException as exc:  # noqa: BLE001 - a hook may raise anything, a conflict included
                if info is not None and not isinstance(exc, PluginConflictError):
                    self._fail(info, "register its commands", exc)
                else:
                    self._conflict_found(str(exc), exc)


class _CheckedCommands:
    """The ``cli`` a plugin's ``register_commands`` receives: the CLI's CommandRegistry, whose
    ``add_command`` first checks the handler against :class:`spokenstyle.plugins.protocols.Command`."""

    def __init__(self, cli: Any, origin: str) -> None:
        self._cli, self._origin = cli, origin

    def add_command(self, name: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        check_contract(func, "command", self._origin, name=name)
        return self._cli.add_command(name, func, *args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._cli, attr)


class _Registrar:
    """The ``register`` callback handed to one plugin's hook."""

    def __init__(self, kind: str, info: PluginInfo, pending: list[Component]) -> None:
        self.kind, self.info, self.pending = kind, info, pending

    def __call__(self, name: str, factory: Any, *, description: str = "", aliases: Iterable[str] = ()) -> None:
        words = KINDS[self.kind][1]
        if isinstance(aliases, str):
            aliases = (aliases,)
        for key in (name, *aliases):
            if not isinstance(key, str) or not _NAME_RE.match(key):
                raise PluginError(
                    f"{words} name {key!r} is invalid: use lower-case letters, digits, '-', '_' or '.'"
                )
        if isinstance(factory, str):
            if ":" not in factory:
                raise PluginError(f"{words} '{name}': lazy factory {factory!r} must look like 'package.module:attr'")
        elif not callable(factory):
            raise PluginError(f"{words} '{name}': factory {factory!r} is not callable nor a 'module:attr' string")
        for comp in self.pending:
            if comp.kind == self.kind and ({comp.name, *comp.aliases} & {name, *aliases}):
                raise PluginError(f"registers {words} '{name}' twice")
        self.pending.append(
            Component(self.kind, name, factory, description, tuple(aliases), self.info.name, self.info.builtin,
                      "built into spokenstyle" if self.info.builtin else self.info.origin)
        )


@dataclass(frozen=True)
class Conflict:
    """One name claimed twice; ``plugins`` are the claimants, the first one the earlier."""

    kind: str
    key: str
    plugins: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.key, "plugins": list(self.plugins), "message": self.message}


_NUMBERS = {2: "two", 3: "three", 4: "four"}


def _contested(kind: str, key: str, comps: list[Component], infos: Mapping[str, PluginInfo]) -> str:
    words = KINDS[kind][1]
    origins = [infos[c.plugin].origin if c.plugin in infos else f"plugin '{c.plugin}'" for c in comps]
    names = ", ".join(dict.fromkeys(c.plugin for c in comps))
    return (
        f"{words} '{key}' is registered by {_NUMBERS.get(len(origins), len(origins))} plugins: "
        f"{' and '.join(dict.fromkeys(origins))}; "
        f"uninstall all but one, or choose with SPOKENSTYLE_LOAD_PLUGINS (e.g. SPOKENSTYLE_LOAD_PLUGINS={names.split(', ')[0]})"
    )


def _conflict(new: Component, old: Component, key: str, infos: Mapping[str, PluginInfo]) -> str:
    words = KINDS[new.kind][1]
    new_origin = infos[new.plugin].origin if new.plugin in infos else f"plugin '{new.plugin}'"
    if old.builtin:
        return (
            f"{new_origin} registers {words} '{key}', a name reserved by spokenstyle's built-in "
            f"{words} '{old.name}'; built-in names are reserved, so the plugin must rename it"
        )
    old_origin = infos[old.plugin].origin if old.plugin in infos else f"plugin '{old.plugin}'"
    return (
        f"{words} '{key}' is registered by two plugins: {old_origin} and {new_origin}; "
        "uninstall one, or choose with SPOKENSTYLE_LOAD_PLUGINS"
    )


def _hook_names() -> list[tuple[str, Any]]:
    return [(n, getattr(hookspecs, n)) for n in dir(hookspecs) if n.startswith("register_")]


def _check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise UsageError(f"unknown component kind {kind!r}; use one of {', '.join(KINDS)}")
    return kind


# ------------------------------------------------------------------------ process default
_default: PluginManager | None = None
_default_lock = threading.Lock()


def get_plugin_manager() -> PluginManager:
    """The process-wide plugin manager (built-ins + installed plugins), created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PluginManager()
        return _default


def set_plugin_manager(pm: PluginManager | None) -> PluginManager | None:
    """Install ``pm`` as the process-wide manager (None: rediscover on next use); returns the old one."""
    global _default
    with _default_lock:
        previous, _default = _default, pm
        return previous


def register_plugin(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object in-process with the process-wide manager; returns its name."""
    return get_plugin_manager().register(plugin, name=name)
