"""The engine: words -> StyleIntent -> planned backends -> stylized photos.

>>> import spokenstyle
>>> engine = spokenstyle.Engine()                       # lexicon encoder, CPU or CUDA
>>> result = engine.stylize("photo.jpg", "暖一点，对比度高一点")   # doctest: +SKIP
>>> result.save("out.png"); print(result.explain())      # doctest: +SKIP

One call handles one photo or a batch (a list of photos, or an (N, 3, H, W) tensor); photos of
equal size are stacked and processed together. ``Result`` holds one output per input, in
order.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from PIL import Image

from . import io as sio
from .errors import UsageError
from .intent import StyleIntent
from .plugins import PluginManager, get_plugin_manager

AUTO = "auto"


@dataclass
class Plan:
    """The backends to run, in order, and why."""

    backends: list[str]
    notes: list[str] = field(default_factory=list)
    medium_rendered: bool | None = None  # None: no medium asked


@dataclass
class Result:
    """What :meth:`Engine.stylize` returns.

    tensors:  one (3, H, W) float32 sRGB tensor in [0, 1] per input, on the engine's device.
    images:   the same as 8-bit PIL images (RGBA where the input had alpha), made on first use.
    intent:   the :class:`StyleIntent` that was applied (after strength/preserve_color overrides).
    backends: the style backends that ran, in order.
    timings:  seconds: ``load`` (decode, resize, to device), ``encode`` (the prompt),
              ``setup`` (planning; creating backends on first use), ``stylize`` (running the
              backends and preserve_color), ``total``.
    notes:    the planner's decisions (e.g. a medium with no texture backend installed).
    sources:  where each input came from (path, '<PIL image>', '<tensor>').
    """

    tensors: list[torch.Tensor]
    intent: StyleIntent
    backends: list[str]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    _alphas: list[Image.Image | None] = field(default_factory=list, repr=False)
    _icc: list[bytes | None] = field(default_factory=list, repr=False)
    _images: list[Image.Image] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.tensors)

    @property
    def images(self) -> list[Image.Image]:
        if self._images is None:
            alphas = self._alphas or [None] * len(self.tensors)
            self._images = [sio.tensor_to_pil(t, a) for t, a in zip(self.tensors, alphas)]
        return self._images

    @property
    def image(self) -> Image.Image:
        """The output image, for a single input (use ``images`` for a batch)."""
        if len(self.tensors) != 1:
            raise UsageError(f"this result holds {len(self.tensors)} images; use result.images[i]")
        return self.images[0]

    @property
    def tensor(self) -> torch.Tensor:
        """The output as an (N, 3, H, W) tensor (all outputs must have one size)."""
        sizes = {tuple(t.shape) for t in self.tensors}
        if len(sizes) != 1:
            raise UsageError("the outputs have different sizes; use result.tensors[i]")
        return torch.stack(self.tensors)

    def save(self, path: str | Path, *, index: int = 0, quality: int = 95) -> Path:
        """Write output ``index`` atomically; the format comes from the extension."""
        icc = self._icc[index] if self._icc else None
        return sio.save(self.images[index], path, quality=quality, icc_profile=icc)

    def explain(self) -> str:
        """How the prompt was understood and what ran."""
        lines = [self.intent.describe(), "backends: " + (" -> ".join(self.backends) or "none")]
        lines.extend("  - " + n for n in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "backends": list(self.backends),
            "timings": dict(self.timings),
            "notes": list(self.notes),
            "intent": self.intent.to_dict(),
        }


def _resolve_device(device: str | torch.device) -> torch.device:
    if isinstance(device, str) and device.strip().lower() == AUTO:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise UsageError(f"device={device!r} is not a device: {exc}; use 'auto', 'cpu' or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device={device!r} but CUDA is not available here; use device='auto' or 'cpu'")
    return dev


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Engine:
    """Turns photos and words into stylized photos.

    text_encoder: name of a registered text encoder ("lexicon", built in).
    device:       "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:1", ...
    plugins:      a :class:`~spokenstyle.plugins.PluginManager` (default: the process-wide one).
    max_pixels:   largest photo accepted, in pixels (:data:`spokenstyle.io.DEFAULT_MAX_PIXELS`).

    The text encoder is created here (so the time to load it is not part of ``stylize``);
    backends are created on first use and kept.
    """

    def __init__(
        self,
        text_encoder: str = "lexicon",
        device: str | torch.device = AUTO,
        *,
        plugins: PluginManager | None = None,
        max_pixels: int | None = sio.DEFAULT_MAX_PIXELS,
    ) -> None:
        self.plugins = plugins if plugins is not None else get_plugin_manager()
        self.device = _resolve_device(device)
        self.max_pixels = max_pixels
        component = self.plugins.get("text_encoder", text_encoder)
        self.text_encoder_name = component.name
        self.text_encoder = component.create()
        if not callable(getattr(self.text_encoder, "encode", None)):
            raise UsageError(f"text encoder '{component.name}' (plugin '{component.plugin}') has no encode(prompt) method")
        self._backends: dict[str, Any] = {}
        self._generators: dict[str, Any] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Engine(text_encoder={self.text_encoder_name!r}, device='{self.device}')"

    # ------------------------------------------------------------------------ components
    def encode(self, prompt: str | None) -> StyleIntent:
        """The :class:`StyleIntent` for a prompt (an empty or None prompt means no change)."""
        if prompt is not None and not isinstance(prompt, str):
            raise UsageError(f"prompt must be a string, got {type(prompt).__name__}")
        intent = self.text_encoder.encode(prompt or "")
        if not isinstance(intent, StyleIntent):
            raise UsageError(
                f"text encoder '{self.text_encoder_name}' returned {type(intent).__name__}, not a StyleIntent"
            )
        return intent

    def explain(self, prompt: str | None) -> str:
        intent = self.encode(prompt)
        plan = self.plan(intent)
        return "\n".join([intent.describe(), "backends: " + " -> ".join(plan.backends)] + ["  - " + n for n in plan.notes])

    def backend(self, name: str) -> Any:
        """The style backend instance registered as ``name`` (created once)."""
        comp = self.plugins.get("style_backend", name)
        with self._lock:
            if comp.name not in self._backends:
                instance = comp.create()
                if not callable(getattr(instance, "stylize", None)):
                    raise UsageError(f"style backend '{comp.name}' (plugin '{comp.plugin}') has no stylize() method")
                warmup = getattr(instance, "warmup", None)
                if callable(warmup):  # optional: first-call set-up belongs to "setup", not "stylize"
                    warmup(self.device)
                self._backends[comp.name] = instance
            return self._backends[comp.name]

    def generator(self, name: str, **options: Any) -> Any:
        """A generator registered as ``name``, created with ``options`` (cached per options)."""
        comp = self.plugins.get("generator", name)
        key = comp.name + repr(sorted(options.items()))
        with self._lock:
            if key not in self._generators:
                gen = comp.create(**options)
                if isinstance(gen, torch.nn.Module):
                    gen = gen.to(self.device).eval()
                self._generators[key] = gen
            return self._generators[key]

    # --------------------------------------------------------------------------- planner
    def plan(self, intent: StyleIntent, backend: str | Sequence[str] = AUTO, *, style: bool = False) -> Plan:
        """Which backends to run for ``intent``.

        ``auto``: a backend that renders the intent's medium (its ``media`` lists it and its
        optional ``handles(intent)`` agrees; highest ``priority`` wins), then ``grade`` for the
        look unless that backend sets ``applies_look = True``. A medium nobody renders is
        graded only, and a note says so. ``backend`` may also name one backend, or several
        ("texture,grade" or a list), which run in that order.
        """
        if isinstance(backend, str) and backend.strip().lower() != AUTO:
            names = [b.strip() for b in backend.split(",") if b.strip()]
        elif not isinstance(backend, str):
            names = [str(b) for b in backend]
        else:
            names = []
        if names:
            return Plan([self.plugins.get("style_backend", n).name for n in names], ["backend chosen by the caller"])

        notes: list[str] = []
        chosen: str | None = None
        applies_look = False
        medium_rendered = None
        candidates = []
        want_style = style
        # Only a medium or a style image needs a look at the backends (which imports them).
        for comp in self.plugins.components("style_backend") if (intent.medium or want_style) else ():
            factory = comp.load()
            media = tuple(getattr(factory, "media", ()) or ())
            uses_style = bool(getattr(factory, "uses_style_image", False))
            prio = getattr(factory, "priority", 0)
            candidates.append((comp, factory, media, uses_style, prio))
        if intent.medium:
            ranked = sorted(
                (c for c in candidates if intent.medium in c[2] or "*" in c[2]),
                key=lambda c: (-(c[4] or 0), c[0].builtin, c[0].name),
            )
            for comp, factory, _media, _uses_style, _prio in ranked:
                instance = self.backend(comp.name)
                handles = getattr(instance, "handles", None)
                if handles is None or handles(intent):
                    chosen = comp.name
                    applies_look = bool(getattr(instance, "applies_look", False))
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
                notes.append(f"{medium_words} rendered by '{chosen}'")
        elif want_style:
            ranked = sorted((c for c in candidates if c[3]), key=lambda c: (-(c[4] or 0), c[0].builtin, c[0].name))
            if ranked:
                chosen = ranked[0][0].name
                applies_look = bool(getattr(self.backend(chosen), "applies_look", False))
                notes.append(f"style image transferred by '{chosen}'")
        if want_style and (chosen is None or not getattr(self.backend(chosen), "uses_style_image", False)):
            notes.append("the style image was not used: no installed style backend takes one")
        steps = [chosen] if chosen else []
        if "grade" not in steps and not applies_look:
            steps.append("grade")
        return Plan(steps, notes, medium_rendered)

    # --------------------------------------------------------------------------- stylize
    def stylize(
        self,
        content: sio.ImageLike | Sequence[sio.ImageLike],
        prompt: str | None = None,
        style: sio.ImageLike | None = None,
        *,
        backend: str | Sequence[str] = AUTO,
        strength: float = 1.0,
        preserve_color: bool | None = None,
        max_size: int | None = None,
        seed: int | None = None,
        intent: StyleIntent | None = None,
    ) -> Result:
        """Stylize one photo or a batch.

        content:        a path, PIL image, (3, H, W) / (N, 3, H, W) tensor, or a list of them.
        prompt:         the look in words (English, Chinese or both); None/"" = no change.
        style:          an optional style image (used by backends that take one).
        backend:        "auto" (the planner decides), a backend name, or several in order.
        strength:       0..1; 0 returns the photos unchanged.
        preserve_color: keep the photos' own colours; None = as the prompt says.
        max_size:       shrink the long side to at most this many pixels first.
        seed:           for random parts (grain, ...); None is deterministic (seed 0) for built-ins.
        intent:         a ready :class:`StyleIntent` instead of ``prompt``.
        """
        t_start = time.perf_counter()
        if prompt is not None and intent is not None:
            raise UsageError("pass prompt= or intent=, not both")
        try:
            strength = float(strength)
        except (TypeError, ValueError):
            raise UsageError(f"strength={strength!r} is not a number; use a number between 0 and 1") from None
        if not (0.0 <= strength <= 1.0):
            raise UsageError(f"strength={strength} is out of range; use a number between 0 and 1")
        if seed is not None and not isinstance(seed, int):
            raise UsageError(f"seed={seed!r} must be an integer")

        # Load.
        items = list(content) if isinstance(content, (list, tuple)) else [content]
        if not items:
            raise UsageError("content is empty; pass a photo or a list of photos")
        photos: list[sio.Photo] = []
        for item in items:
            photos.extend(sio.load(item, max_pixels=self.max_pixels, max_size=max_size))
        style_pixels = None
        if style is not None:
            style_photos = sio.load(style, max_pixels=self.max_pixels, max_size=max_size)
            style_pixels = style_photos[0].pixels.unsqueeze(0).to(self.device)
        _sync(self.device)
        t_loaded = time.perf_counter()

        # Encode.
        if intent is None:
            intent = self.encode(prompt)
        elif not isinstance(intent, StyleIntent):
            raise UsageError(f"intent= must be a StyleIntent, got {type(intent).__name__}")
        changes: dict[str, Any] = {}
        if strength != intent.strength:
            changes["strength"] = strength
        if preserve_color is not None and bool(preserve_color) != intent.preserve_color:
            changes["preserve_color"] = bool(preserve_color)
        if changes:
            intent = intent.replace(**changes)
        t_encoded = time.perf_counter()

        # Plan, and create the backends (first use only): "setup", not "stylize".
        plan = self.plan(intent, backend, style=style_pixels is not None)
        runners = [self.backend(name) for name in plan.backends]
        notes = list(plan.notes)
        t_planned = time.perf_counter()
        outputs: list[torch.Tensor | None] = [None] * len(photos)
        if intent.strength == 0.0:
            notes.append("strength 0: the photos are returned unchanged")
            outputs = [p.pixels.to(self.device) for p in photos]
        else:
            groups: dict[tuple[int, int], list[int]] = {}
            for i, p in enumerate(photos):
                groups.setdefault(tuple(p.pixels.shape[-2:]), []).append(i)
            for indices in groups.values():
                batch = torch.stack([photos[i].pixels for i in indices]).to(self.device)
                original = batch
                for name, runner in zip(plan.backends, runners):
                    out = runner.stylize(batch, intent, style=style_pixels, seed=seed, engine=self)
                    _check_output(name, batch, out)
                    batch = out
                if intent.preserve_color:
                    from .color import preserve_color as keep

                    batch = keep(original, batch)
                for j, i in enumerate(indices):
                    outputs[i] = batch[j]
        _sync(self.device)
        t_done = time.perf_counter()
        timings = {
            "load": t_loaded - t_start,
            "encode": t_encoded - t_loaded,
            "setup": t_planned - t_encoded,
            "stylize": t_done - t_planned,
            "total": t_done - t_start,
        }
        return Result(
            tensors=[o for o in outputs if o is not None],
            intent=intent,
            backends=list(plan.backends),
            timings=timings,
            notes=notes,
            sources=[p.source for p in photos],
            _alphas=[p.alpha for p in photos],
            _icc=[p.icc_profile for p in photos],
        )


def _check_output(name: str, given: torch.Tensor, out: Any) -> None:
    if not isinstance(out, torch.Tensor) or out.dim() != 4 or out.shape[0] != given.shape[0] or out.shape[1] != 3:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise UsageError(
            f"style backend '{name}' returned {shape}; a backend must return an (N, 3, H, W) tensor "
            f"for an (N, 3, H, W) input, here N={given.shape[0]}"
        )


# ------------------------------------------------------------------------------ one-liner
_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def stylize(
    content: sio.ImageLike | Sequence[sio.ImageLike],
    prompt: str | None = None,
    style: sio.ImageLike | None = None,
    *,
    text_encoder: str = "lexicon",
    device: str = AUTO,
    **kwargs: Any,
) -> Result:
    """``spokenstyle.stylize("photo.jpg", "warmer, kinda dreamy").save("out.png")``.

    Keeps one :class:`Engine` per (text_encoder, device) for the process; other keyword
    arguments are those of :meth:`Engine.stylize`.
    """
    key = (text_encoder, str(device))
    plugins = get_plugin_manager()
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None or engine.plugins is not plugins:
            engine = Engine(text_encoder=text_encoder, device=device)
            _engines[key] = engine
    return engine.stylize(content, prompt, style, **kwargs)

