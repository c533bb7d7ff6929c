"""The planner: which style backends run for an intent, with which options, keeping which colours.

Everything here decides; nothing here runs a backend. Planning reads what a backend declares on
its class (``media``, ``priority``, ``applies_look``, ``uses_style_image``, ``options``,
``handles``), through :mod:`spokenstyle.plugins.protocols` (which the plugin manager checked them
against when the class was imported), so planning, ``explain`` and listing options never create a backend or load its
weights. :class:`~spokenstyle.core.engine.Engine` delegates ``plan``, ``backend_options`` and
``split_options`` here, and so do looks (:mod:`spokenstyle.core.looks`).

The run arguments that shape a plan or a look are checked once, in :mod:`spokenstyle.core.plan`
(beside :class:`~spokenstyle.core.plan.Plan`); ``strength=`` is checked by
:func:`spokenstyle.core.intent.check_strength`, where the intent's own field is. :meth:`Planner.look` resolves everything a run applies into a
:class:`~spokenstyle.core.looks.Look`; :meth:`Planner.check_look` checks a look read from a file
against the installed backends.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Callable, Sequence

from ..errors import UsageError
from ..plugins.protocols import class_handles, traits
from .intent import StyleIntent, check_strength
from .looks import Look
from .plan import AUTO, Plan, apply_overrides, check_backend_arg, check_seed


# ------------------------------------------------------------------------------ planner
def _rank(candidate: tuple) -> tuple:
    """Planner order: a plugin's backend before the built-ins (a user who installs a backend for a
    medium wants it, not the generic texture transfer), then higher ``priority``, then name."""
    comp, _factory, _media, _uses_style, priority = candidate
    return (comp.builtin, -(priority or 0), comp.name)


class Planner:
    """Chooses backends and routes options for one plugin manager.

    plugins:  the :class:`~spokenstyle.plugins.PluginManager` whose style backends are planned.
    instance: ``instance(component)`` -> the backend object, used only to ask a backend whose
              ``handles`` is an instance method (the engine passes its cache, so the backend
              made to answer is the one that later runs); default: a fresh one each time.
    """

    def __init__(self, plugins: Any, instance: Callable[[Any], Any] | None = None) -> None:
        self.plugins = plugins
        self._instance = instance if instance is not None else (lambda comp: comp.create())

    def plan(self, intent: StyleIntent, backend: str | Sequence[str] = AUTO, *, style: bool = False) -> Plan:
        """Which backends to run for ``intent`` (see :meth:`spokenstyle.core.engine.Engine.plan`)."""
        if isinstance(backend, str) and backend.strip().lower() != AUTO:
            names = [b.strip() for b in backend.split(",") if b.strip()]
        elif not isinstance(backend, str):
            names = [str(b) for b in backend]
        else:
            names = []
        if names:
            comps = [self.plugins.get("style_backend", n) for n in names]
            notes = ["backend chosen by the caller"]
            if style and not any(traits(c.load()).uses_style_image for c in comps):
                notes.append("the style image was not used: none of these backends takes one")
            return Plan([c.name for c in comps], notes)

        notes: list[str] = []
        chosen = chosen_factory = None  # the Component and the factory of the texture backend
        applies_look = False
        medium_rendered = None
        candidates = []
        # Only a medium or a style image needs a look at the backends (which imports them).
        # A broken lazy backend is skipped with its one warning: it cannot break planning.
        # loadable() imports each factory and checks it against protocols.StyleBackend.
        for comp, factory in self.plugins.loadable("style_backend") if (intent.medium or style) else ():
            t = traits(factory)
            candidates.append((comp, factory, t.media, t.uses_style_image, t.priority))
        if intent.medium:
            ranked = sorted((c for c in candidates if intent.medium in c[2] or "*" in c[2]), key=_rank)
            for comp, factory, _media, _uses_style, _prio in ranked:
                handles = self.declared(comp, factory, "handles")
                if handles is None or handles(intent):
                    chosen, chosen_factory = comp, factory
                    break
            medium_words = intent.medium.replace("_", " ")
            if chosen is None:
                medium_rendered = False
                notes.append(
                    f"the {medium_words} medium was not rendered as a texture: no installed style backend "
                    f"renders it, so only its colour look was graded"
                )
            else:
                medium_rendered = True
                notes.append(f"{medium_words} rendered by '{chosen.name}'")
        elif style:
            ranked = sorted((c for c in candidates if c[3]), key=_rank)
            if ranked:
                chosen, chosen_factory = ranked[0][:2]
                notes.append(f"style image transferred by '{chosen.name}'")
        if chosen is not None:
            applies_look = bool(self.declared(chosen, chosen_factory, "applies_look"))
        if style and (chosen is None or not self.declared(chosen, chosen_factory, "uses_style_image")):
            notes.append("the style image was not used: no installed style backend takes one")
        steps = [chosen.name] if chosen else []
        if "grade" not in steps and not applies_look:
            steps.append("grade")
        return Plan(steps, notes, medium_rendered)

    def declared(self, comp: Any, factory: Any, attr: str) -> Any:
        """A backend's planner attribute, read from its factory (the class) so planning never
        creates the backend or loads its weights. ``handles`` is called on the class when it is
        a staticmethod or classmethod; an instance method makes the planner create the backend
        (not warm it up) to ask it, the one case that costs a construction."""
        if attr != "handles":
            return getattr(traits(factory), attr)
        handles = class_handles(factory)
        return self._instance(comp).handles if handles == "instance" else handles

    # ------------------------------------------------------------------------------- looks
    def look(
        self,
        intent: StyleIntent,
        backend: str | Sequence[str] = AUTO,
        *,
        strength: float = 1.0,
        preserve_color: Any = None,
        seed: int | None = None,
        options: Mapping[str, Any] | None = None,
        style: bool = False,
    ) -> Any:
        """Everything a run applies, resolved: the intent after ``strength``/``preserve_color``,
        the plan's backends, ``options`` routed to them, the colour mode and the seed."""
        check_backend_arg(backend)
        intent, mode = apply_overrides(intent, check_strength(strength), preserve_color)
        plan = self.plan(intent, backend, style=style)
        routed = self.split_options(plan.backends, options)
        return Look(
            intent=intent,
            backends=tuple(plan.backends),
            options={name: opts for name, opts in routed.items() if opts},
            preserve_color=mode,
            seed=check_seed(seed),
            notes=tuple(plan.notes),
        )

    def check_look(self, look: Any, *, style: bool = False) -> list[str]:
        """A look's backends are installed and take its options (errors name the look); returns
        the notes a run with it adds (a style image no backend of the look takes)."""
        if not isinstance(look, Look):
            raise UsageError(f"look= must be a Look or the path of a look file, got {type(look).__name__}")
        where = look.where()
        try:
            comps = [self.plugins.get("style_backend", name) for name in look.backends]
            for name, opts in look.options.items():
                declared = self.backend_options(name)
                unknown = [k for k in opts if k not in declared]
                if unknown:
                    takes = ", ".join(declared) or "no options"
                    hint = difflib.get_close_matches(unknown[0], list(declared), n=1)
                    raise UsageError(
                        f"option {', '.join(repr(k) for k in unknown)} is not taken by '{name}' (it takes {takes})"
                        + (f"; did you mean '{hint[0]}'?" if hint else "; remove it from the look")
                    )
        except UsageError as exc:
            raise UsageError(f"{where}: {exc}") from None
        if style and not any(traits(c.load()).uses_style_image for c in comps):
            return ["the style image was not used: none of the look's backends takes one"]
        return []

    # ----------------------------------------------------------------------------- options
    def backend_options(self, name: str) -> dict[str, str]:
        """The options style backend ``name`` declares (its class's ``options``): name -> help.

        Read from the factory (the class), so listing options never creates the backend or
        loads its weights."""
        comp = self.plugins.get("style_backend", name)
        # load() checked the declaration (protocols.check_options): a mapping of identifiers, none
        # of the engine's own argument names; an Options gives "help (default: ...)" per option.
        return {k: str(v) for k, v in traits(comp.load()).options.items()}

    def split_options(self, backends: Sequence[str], options: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
        """``options`` divided among ``backends``: each gets the ones it declares (an option two
        backends declare goes to both). An option none of them declares is a UsageError."""
        if options is None:
            options = {}
        if not isinstance(options, Mapping):
            raise UsageError(f"options= must be a dict of name -> value, got {type(options).__name__}")
        for key in options:
            if not isinstance(key, str):
                raise UsageError(f"options= has the key {key!r}; option names are strings such as 'steps'")
        declared = {name: self.backend_options(name) for name in backends}
        unknown = [k for k in options if not any(k in d for d in declared.values())]
        if unknown:
            accepted = sorted({k for d in declared.values() for k in d})
            offered = "; ".join(
                f"'{name}' takes {', '.join(d) if d else 'no options'}" for name, d in declared.items()
            ) or "no backend ran"
            hint = difflib.get_close_matches(unknown[0], accepted, n=1)
            raise UsageError(
                f"option{'s' if len(unknown) > 1 else ''} {', '.join(repr(k) for k in unknown)} "
                f"{'are' if len(unknown) > 1 else 'is'} not taken by the backends that run "
                f"({', '.join(backends) or 'none'}): {offered}"
                + (f"; did you mean '{hint[0]}'?" if hint else "; remove it or choose another backend")
            )
        return {name: {k: v for k, v in options.items() if k in d} for name, d in declared.items()}
