"""Plugin discovery and the component registry.

Sources of plugins, in order:

1. the built-ins (:mod:`spokenstyle.builtins`), registered through the same hooks as everyone;
2. entry points in group ``spokenstyle`` (installed distributions);
3. plugins registered in-process with :meth:`PluginManager.register` (or
   :func:`register_plugin`, or the :mod:`spokenstyle.testing` helpers in tests).

Loading is lenient: a plugin that fails to import or whose hook raises produces one
:class:`PluginWarning` naming the plugin and its distribution, and is left out (none of its
components are registered); everything else keeps working. Environment:

``SPOKENSTYLE_LOAD_PLUGINS``
    comma-separated entry-point (or distribution) names to load; set but empty = no
    third-party plugins. Unset = all installed plugins.
``SPOKENSTYLE_STRICT_PLUGINS=1``
    a plugin that fails to load raises :class:`PluginError` instead of warning.

Component names are unique per kind. Built-in names are reserved, and two plugins claiming
one name (or alias) raise :class:`PluginConflictError`, naming both.
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
from .errors import SpokenstyleError, UsageError

ENTRY_POINT_GROUP = "spokenstyle"
BUILTIN_PLUGIN = "builtins"

#: kind -> (hook name, words for messages)
KINDS: dict[str, tuple[str, str]] = {
    "text_encoder": ("register_text_encoders", "text encoder"),
    "generator": ("register_generators", "generator"),
    "style_backend": ("register_style_backends", "style backend"),
    "feature_encoder": ("register_feature_encoders", "feature encoder"),
}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


class PluginWarning(UserWarning):
    """A plugin failed to load or register and was left out."""


class PluginError(SpokenstyleError):
    """A plugin failed to load (raised instead of a warning under SPOKENSTYLE_STRICT_PLUGINS=1)."""


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
    """A registered text encoder, generator or style backend."""

    kind: str
    name: str
    factory: Any  # class, callable or "module:attr"
    description: str = ""
    aliases: tuple[str, ...] = ()
    plugin: str = ""
    builtin: bool = False

    def load(self) -> Callable[..., Any]:
        """The factory, importing it first if it is a lazy "module:attr" string."""
        if isinstance(self.factory, str):
            module_name, _, attr = self.factory.partition(":")
            try:
                obj: Any = importlib.import_module(module_name)
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except Exception as exc:
                raise PluginError(
                    f"{KINDS[self.kind][1]} '{self.name}' from plugin '{self.plugin}' could not be "
                    f"imported from {self.factory!r}: {type(exc).__name__}: {exc}"
                ) from exc
            self.factory = obj
        return self.factory

    def create(self, **kwargs: Any) -> Any:
        """A new instance: ``factory(**kwargs)``."""
        return self.load()(**kwargs)


class PluginManager:
    """Finds plugins and holds the components they register.

    >>> pm = PluginManager(entry_points=False)  # built-ins only
    >>> pm.names("style_backend")
    ['adain', 'gatys', 'grade']
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
        self._lock = threading.RLock()
        if builtins:
            from . import __version__, builtins as builtin_module

            self._add(builtin_module, PluginInfo(BUILTIN_PLUGIN, "spokenstyle", __version__, builtin_module.__name__, builtin=True))
        if entry_points:
            self._load_entry_points()
        self._build()  # call the registration hooks now, so failures surface here

    # --------------------------------------------------------------------------- loading
    def _fail(self, info: PluginInfo, what: str, exc: BaseException) -> None:
        info.status = "failed"
        info.error = f"{type(exc).__name__}: {exc}" if not isinstance(exc, PluginError) else str(exc)
        info.components = []
        self._infos[info.name] = info
        message = f"spokenstyle: {info.origin} failed to {what} and was skipped: {info.error}"
        if self.strict:
            raise PluginError(message + " (SPOKENSTYLE_STRICT_PLUGINS=1)") from exc
        warnings.warn(message + " (set SPOKENSTYLE_STRICT_PLUGINS=1 to make this an error)", PluginWarning, stacklevel=4)

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
        except Exception as exc:
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
                raise PluginConflictError(
                    f"{info.origin} uses the reserved plugin name '{BUILTIN_PLUGIN}' of spokenstyle's "
                    "built-ins; rename its entry point"
                )
            try:
                obj = ep.load()
            except Exception as exc:
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
                try:
                    self._build()
                except PluginConflictError:
                    self.unregister(name)
                    raise
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
        with self._lock:
            if self._components is not None:
                return self._components
            registry: dict[str, dict[str, Component]] = {kind: {} for kind in KINDS}
            owners: dict[tuple[str, str], Component] = {}
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
                except PluginConflictError:
                    raise
                except Exception as exc:
                    self._pm.unregister(name=info.name)
                    self._fail(info, "register its components", exc)
                    continue
                for comp in pending:
                    for key in (comp.name, *comp.aliases):
                        other = owners.get((comp.kind, key))
                        if other is not None:
                            raise PluginConflictError(_conflict(comp, other, key, self._infos))
                for comp in pending:
                    registry[comp.kind][comp.name] = comp
                    for key in (comp.name, *comp.aliases):
                        owners[(comp.kind, key)] = comp
                info.components = [(c.kind, c.name) for c in pending]
            self._owners = owners
            self._components = registry
            return registry

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

    def names(self, kind: str) -> list[str]:
        return sorted(self._build()[_check_kind(kind)])

    def get(self, kind: str, name: str) -> Component:
        """The component registered under ``name`` (or an alias); a UsageError says what exists."""
        self._build()
        kind = _check_kind(kind)
        comp = self._owners.get((kind, name))
        if comp is None and isinstance(name, str):
            comp = self._owners.get((kind, name.strip().lower()))
        if comp is not None:
            return comp
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
            try:
                with cli.owned_by(impl.plugin_name):
                    impl.function(**{arg: cli for arg in impl.argnames})
            except PluginConflictError:
                raise
            except Exception as exc:
                if info is not None:
                    self._fail(info, "register its commands", exc)


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
            Component(self.kind, name, factory, description, tuple(aliases), self.info.name, self.info.builtin)
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
