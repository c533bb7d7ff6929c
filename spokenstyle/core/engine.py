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
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import torch
from PIL import Image

#: DEFAULT_ENCODER: the feature encoder texture backends and training use unless told otherwise,
#: written once, as spokenstyle.encoders.DEFAULT (kept here for spokenstyle.engine.DEFAULT_ENCODER).
from ..encoders import DEFAULT as DEFAULT_ENCODER
from ..image import imageio
from ..errors import BackendError, SpokenstyleError, UsageError
from .intent import StyleIntent, check_strength
from .looks import Look
from .device import resolve_device, synchronize
from .plan import AUTO, COLOR_MODE_WORDS, MAX_SEED, Plan, check_backend_arg, check_seed, preserve_mode  # noqa: F401 (MAX_SEED: spokenstyle.engine.MAX_SEED)
from .planner import Planner
from ..plugins.protocols import warmup_of
from ..plugins.manager import PluginManager, get_plugin_manager


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
    preserve_color: the colour-keeping mode applied ("luminance", "statistics") or None.
    options:  the backend options used, per backend (``{"adain": {"alpha": 0.8}}``).
    masks:    where each input's mask came from, or None per input without one.
    look:     the :class:`~spokenstyle.core.looks.Look` applied: ``result.look.save("look.json")``
              lets any later call (``look=``, CLI ``--look``) apply exactly the same.
    """

    tensors: list[torch.Tensor]
    intent: StyleIntent
    backends: list[str]
    timings: dict[str, float]
    notes: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    preserve_color: str | None = None
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    masks: list[str | None] = field(default_factory=list)
    look: Look | None = field(default=None, repr=False)
    _alphas: list[Image.Image | None] = field(default_factory=list, repr=False)
    _icc: list[bytes | None] = field(default_factory=list, repr=False)
    _images: list[Image.Image] | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.tensors)

    @property
    def images(self) -> list[Image.Image]:
        if self._images is None:
            alphas = self._alphas or [None] * len(self.tensors)
            self._images = [imageio.tensor_to_pil(t, a) for t, a in zip(self.tensors, alphas)]
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
        if isinstance(index, bool) or not isinstance(index, int) or not -len(self.tensors) <= index < len(self.tensors):
            raise UsageError(
                f"index={index!r} is out of range: this result holds {len(self.tensors)} image(s); "
                f"use 0..{len(self.tensors) - 1}"
            )
        icc = self._icc[index] if self._icc else None
        return imageio.save(self.images[index], path, quality=quality, icc_profile=icc)

    def explain(self) -> str:
        """How the prompt was understood and what ran."""
        return self.intent.describe() + "\n" + Plan(list(self.backends), list(self.notes)).describe()

    def to_dict(self) -> dict[str, Any]:
        return {
            "sources": list(self.sources),
            "backends": list(self.backends),
            "timings": dict(self.timings),
            "notes": list(self.notes),
            "preserve_color": self.preserve_color,
            "options": {name: dict(opts) for name, opts in self.options.items()},
            "masks": list(self.masks),
            "intent": self.intent.to_dict(),
        }


@dataclass
class _Inputs:
    """What :meth:`Engine.stylize` loaded: the photos, one mask weight per photo (or None per
    photo without one) and where each mask came from, and the style image(s) on the device."""

    photos: list[imageio.Photo]
    masks: list[torch.Tensor | None]
    mask_sources: list[str | None]
    style: torch.Tensor | list[torch.Tensor] | None


class Engine:
    """Turns photos and words into stylized photos.

    text_encoder: name of a registered text encoder ("lexicon", built in).
    device:       "auto" (CUDA when available, else CPU), "cpu", "cuda", "cuda:1", ...
    plugins:      a :class:`~spokenstyle.plugins.PluginManager` (default: the process-wide one).
    max_pixels:   largest photo accepted, in pixels (:data:`spokenstyle.image.imageio.DEFAULT_MAX_PIXELS`).

    The text encoder is created here (so the time to load it is not part of ``stylize``);
    backends are created on first use and kept.
    """

    def __init__(
        self,
        text_encoder: str = "lexicon",
        device: str | torch.device = AUTO,
        *,
        plugins: PluginManager | None = None,
        max_pixels: int | None = imageio.DEFAULT_MAX_PIXELS,
    ) -> None:
        self.plugins = plugins if plugins is not None else get_plugin_manager()
        self.device = resolve_device(device)
        self.max_pixels = max_pixels
        component = self.plugins.get("text_encoder", text_encoder)
        self.text_encoder_name = component.name
        self.text_encoder = component.create()  # checked against protocols.TextEncoder by create()
        self._backends: dict[str, Any] = {}
        self._warm: set[str] = set()
        self._generators: dict[str, Any] = {}
        self._encoders: dict[str, Any] = {}
        self._lock = threading.RLock()
        self.planner = Planner(self.plugins, self._instance)

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
        """How ``prompt`` is understood, the plan for it, and the options its backends take."""
        intent = self.encode(prompt)
        plan = self.plan(intent)
        return intent.describe() + "\n" + plan.describe({name: self.backend_options(name) for name in plan.backends})

    def backend(self, name: str) -> Any:
        """The style backend instance registered as ``name`` (created and warmed up once)."""
        comp = self.plugins.get("style_backend", name)
        with self._lock:
            instance = self._instance(comp)
            if comp.name not in self._warm:
                warmup = warmup_of(instance)
                if warmup is not None:  # optional: first-call set-up belongs to "setup", not "stylize"
                    warmup(self.device)
                self._warm.add(comp.name)
            return instance

    def _instance(self, comp) -> Any:
        with self._lock:
            if comp.name not in self._backends:
                # create() checks the instance against protocols.StyleBackend (stylize and all)
                self._backends[comp.name] = comp.create()
            return self._backends[comp.name]

    def backend_options(self, name: str) -> dict[str, str]:
        """The options style backend ``name`` declares: name -> help (never creates it)."""
        return self.planner.backend_options(name)

    def split_options(self, backends: Sequence[str], options: Mapping[str, Any] | None) -> dict[str, dict[str, Any]]:
        """``options`` divided among ``backends``: each gets the ones it declares (an option two
        backends declare goes to both). An option none of them declares is a UsageError."""
        return self.planner.split_options(backends, options)

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

    def feature_encoder(self, name: Any = DEFAULT_ENCODER, **options: Any) -> Any:
        """The feature encoder registered as ``name`` on the engine's device, in eval mode and
        channels_last, created once per options and shared: every texture backend and the
        trainer ask here, so ``gatys`` and ``adain`` hold one VGG-19 in memory. A
        :class:`~spokenstyle.encoders.FeatureEncoder` instance is returned on the device as is."""
        from ..encoders import FeatureEncoder, create

        if isinstance(name, FeatureEncoder):
            return name.to(self.device).eval().requires_grad_(False)
        if not isinstance(name, str):
            raise UsageError(f"encoder={name!r} must be a feature encoder name such as 'vgg19' or 'random', or a FeatureEncoder")
        comp = self.plugins.get("feature_encoder", name)
        key = comp.name + repr(sorted(options.items()))
        with self._lock:
            if key not in self._encoders:
                encoder = create(comp, **options)
                self._encoders[key] = encoder.to(device=self.device, memory_format=torch.channels_last)
            return self._encoders[key]

    # --------------------------------------------------------------------------- planner
    def plan(self, intent: StyleIntent, backend: str | Sequence[str] = AUTO, *, style: bool = False) -> Plan:
        """Which backends to run for ``intent`` (:meth:`spokenstyle.core.planner.Planner.plan`).

        ``auto``: for the intent's medium, the first backend in planner order whose ``media``
        lists the medium (or ``"*"``) and whose optional ``handles(intent)`` agrees; planner
        order is an installed plugin's backend before every built-in one, then the higher
        ``priority``, then the name. Without a medium, a style image (``style=True``) goes to
        the first backend in that order that takes one (``uses_style_image``). ``grade`` then
        runs for the look unless it was chosen already or the chosen backend sets
        ``applies_look = True``. A medium no backend renders is graded only, and a note says so,
        as one does for a style image no chosen backend takes. ``backend`` may instead name one
        backend, or several ("texture,grade" or a list): exactly those run, in that order.
        """
        return self.planner.plan(intent, backend, style=style)

    # ----------------------------------------------------------------------------- looks
    def look(
        self,
        prompt: str | None = None,
        *,
        intent: StyleIntent | None = None,
        backend: str | Sequence[str] = AUTO,
        strength: float = 1.0,
        preserve_color: bool | str | None = None,
        seed: int | None = None,
        options: Mapping[str, Any] | None = None,
        style: bool = False,
    ) -> Look:
        """The :class:`~spokenstyle.core.looks.Look` that :meth:`stylize` with these arguments would
        apply — the intent, backends, options, colour mode and seed — without any photo;
        ``style=True`` plans as if a style image were given. ``look.save(path)`` keeps it;
        ``stylize(..., look=look)`` applies it exactly, to any number of photos."""
        if prompt is not None and intent is not None:
            raise UsageError("pass prompt= or intent=, not both")
        if intent is None:
            intent = self.encode(prompt)
        elif not isinstance(intent, StyleIntent):
            raise UsageError(f"intent= must be a StyleIntent, got {type(intent).__name__}")
        return self.planner.look(intent, backend, strength=strength, preserve_color=preserve_color, seed=seed,
                                 options=options, style=bool(style))

    def _given_look(self, look: Any, **others: Any) -> Look:
        """``look=`` as a checked Look (a path is read); the arguments a look fixes must be unset."""
        is_auto = isinstance(others["backend"], str) and others["backend"].strip().lower() == AUTO
        given = [
            name for name, value in others.items()
            if not (value is None or (name == "backend" and is_auto) or (name == "strength" and value == 1.0)
                    or (name == "options" and not value))
        ]
        if given:
            raise UsageError(
                "look= fixes the intent, backends, options, strength, colours and seed; drop "
                + ", ".join(f"{name}=" for name in given)
                + " (or make a new look with engine.look(...))"
            )
        if isinstance(look, (str, Path)):
            look = Look.load(look)
        self.planner.check_look(look)
        return look

    # --------------------------------------------------------------------------- stylize
    def stylize(
        self,
        content: imageio.ImageLike | Sequence[imageio.ImageLike],
        prompt: str | None = None,
        style: imageio.ImageLike | Sequence[imageio.ImageLike] | None = None,
        *,
        backend: str | Sequence[str] = AUTO,
        strength: float = 1.0,
        preserve_color: bool | str | None = None,
        max_size: int | None = None,
        seed: int | None = None,
        intent: StyleIntent | None = None,
        mask: imageio.ImageLike | Sequence[imageio.ImageLike] | None = None,
        mask_feather: float | None = None,
        options: Mapping[str, Any] | None = None,
        look: Look | str | Path | None = None,
    ) -> Result:
        """Stylize one photo or a batch.

        content:        a path, PIL image, (3, H, W) / (N, 3, H, W) tensor, or a list of them.
        prompt:         the look in words (English, Chinese or both); None/"" = no change.
        style:          an optional style image (used by backends that take one), or a list of
                        them to blend (``adain``: weights in ``options={"style_weights": [...]}``).
        backend:        "auto" (the planner decides), a backend name, or several in order.
        strength:       0..1; 0 returns the photos unchanged.
        preserve_color: keep the photos' own colours after styling. True or "luminance": the
                        styled lightness with the photo's colours, pixel for pixel;
                        "statistics": the styled image's colour variation, matched to the
                        photo's colour mean and covariance (keeps a texture's colours, in the
                        photo's palette); False: never; None: as the prompt says (luminance).
        max_size:       shrink the long side to at most this many pixels first.
        seed:           for random parts (grain, ...); None is deterministic (seed 0) for built-ins.
        intent:         a ready :class:`StyleIntent` instead of ``prompt``.
        mask:           where to apply the look: an image of the photo's size (before
                        ``max_size``; it is shrunk alike). White = stylize, black = untouched
                        (bit-identical), grey = blend; colour counts by luminance, transparent
                        as black. One mask serves every photo (they must then share its size);
                        a list, or an (N, 1, H, W) tensor, gives one mask per photo.
        mask_feather:   soften the mask's edges over about this many pixels of the processed
                        image, inside the white region; None = 1% of the short side (at least
                        1), 0 = hard edges.
        options:        backend knobs ({"steps": 50}); each backend gets those its ``options``
                        attribute declares; one that no backend in the plan declares is an error.
        look:           a :class:`~spokenstyle.core.looks.Look` (or a look file's path) to apply
                        exactly: its intent, backends, options, colour mode and seed, with no
                        encoding or planning; ``prompt``, ``intent``, ``backend``,
                        ``strength``, ``preserve_color``, ``seed`` and ``options`` stay unset.
                        ``Result.look`` is the look any call applied (``.save(path)``).
        """
        t_start = time.perf_counter()
        look, strength = self._check_arguments(
            look, prompt=prompt, intent=intent, backend=backend, strength=strength, preserve_color=preserve_color,
            max_size=max_size, seed=seed, mask_feather=mask_feather, options=options,
        )
        inputs = self._load_inputs(content, style, mask, mask_feather, max_size)
        synchronize(self.device)
        t_loaded = time.perf_counter()
        if look is None:  # a look was encoded when it was made
            intent = self._intent_for(prompt, intent)
        t_encoded = time.perf_counter()
        look, notes = self._planned_look(look, intent, backend, strength, preserve_color, seed, options,
                                         style=inputs.style is not None)
        runners = [self.backend(name) for name in look.backends]  # created on first use: "setup"
        t_planned = time.perf_counter()
        outputs = self._apply_look(look, runners, inputs, mask_feather, notes)
        synchronize(self.device)
        t_done = time.perf_counter()
        timings = {
            "load": t_loaded - t_start,
            "encode": t_encoded - t_loaded,
            "setup": t_planned - t_encoded,
            "stylize": t_done - t_planned,
            "total": t_done - t_start,
        }
        return _result(look, inputs, outputs, notes, timings)

    # ------------------------------------------------------------- stylize, stage by stage
    def _check_arguments(self, look: Any, *, prompt: Any, intent: Any, backend: Any, strength: Any,
                         preserve_color: Any, max_size: Any, seed: Any, mask_feather: Any,
                         options: Any) -> tuple[Look | None, float]:
        """Check: every argument of :meth:`stylize` before anything is loaded. Returns the given
        look (read and checked; None without one) and the strength as a float."""
        if look is not None:
            look = self._given_look(look, prompt=prompt, intent=intent, backend=backend, strength=strength,
                                    preserve_color=preserve_color, seed=seed, options=options)
        if prompt is not None and intent is not None:
            raise UsageError("pass prompt= or intent=, not both")
        strength = check_strength(strength)
        check_seed(seed)
        if max_size is not None and (isinstance(max_size, bool) or not isinstance(max_size, int) or max_size < 1):
            raise UsageError(f"max_size={max_size!r} must be a whole number of pixels >= 1 (or None)")
        check_backend_arg(backend)
        preserve_mode(preserve_color)
        if mask_feather is not None:
            if (
                isinstance(mask_feather, bool) or not isinstance(mask_feather, (int, float))
                or not 0 <= mask_feather < float("inf")
            ):
                raise UsageError(f"mask_feather={mask_feather!r} must be a finite number of pixels >= 0 (0 = hard edges)")
        return look, strength

    def _load_inputs(self, content: Any, style: Any, mask: Any, mask_feather: float | None,
                     max_size: int | None) -> _Inputs:
        """Load: the photos (decoded, shrunk to ``max_size``), one feathered mask per photo and
        the style image(s), on the engine's device."""
        items = list(content) if isinstance(content, (list, tuple)) else [content]
        if not items:
            raise UsageError("content is empty; pass a photo or a list of photos")
        photos: list[imageio.Photo] = []
        for item in items:
            photos.extend(imageio.load(item, max_pixels=self.max_pixels, max_size=max_size))
        masks, mask_sources = self._load_masks(mask, photos, mask_feather)
        return _Inputs(photos, masks, mask_sources, self._load_style(style, max_size))

    def _load_style(self, style: Any, max_size: int | None) -> torch.Tensor | list[torch.Tensor] | None:
        """``style=`` as a (1, 3, H, W) tensor on the device, a list of them for several, or None."""
        if style is None:
            return None
        styles = list(style) if isinstance(style, (list, tuple)) else [style]
        if not styles:
            raise UsageError("style= is an empty list; pass a style image, several, or None")
        loaded = [
            imageio.load(s, max_pixels=self.max_pixels, max_size=max_size)[0].pixels.unsqueeze(0).to(self.device)
            for s in styles
        ]
        # One image stays a tensor (the common contract); several go to the backend as a list.
        return loaded[0] if len(loaded) == 1 else loaded

    def _intent_for(self, prompt: str | None, intent: Any) -> StyleIntent:
        """Encode: ``intent=`` when given (checked), else the prompt's intent."""
        if intent is None:
            return self.encode(prompt)
        if not isinstance(intent, StyleIntent):
            raise UsageError(f"intent= must be a StyleIntent, got {type(intent).__name__}")
        return intent

    def _planned_look(self, look: Look | None, intent: StyleIntent | None, backend: Any, strength: float,
                      preserve_color: Any, seed: int | None, options: Any, *, style: bool) -> tuple[Look, list[str]]:
        """Plan: the look to apply (``look`` as given, else planned for ``intent``) and the notes
        of this run (the look's, plus those a given look adds for this call's inputs)."""
        if look is None:
            look = self.planner.look(intent, backend, strength=strength, preserve_color=preserve_color, seed=seed,
                                     options=options, style=style)
            return look, list(look.notes)
        return look, [*look.notes, *self.planner.check_look(look, style=style)]

    def _apply_look(self, look: Look, runners: list[Any], inputs: _Inputs, mask_feather: float | None,
                    notes: list[str]) -> list[torch.Tensor]:
        """Apply: one output per photo, in order; photos of one size run as one batch. Appends
        to ``notes`` what was done (strength 0, colours kept, masked)."""
        photos, masks = inputs.photos, inputs.masks
        if look.intent.strength == 0.0:
            notes.append("strength 0: the photos are returned unchanged")
            return [p.pixels.to(self.device) for p in photos]
        if look.preserve_color is not None:
            notes.append(f"colours kept: {look.preserve_color} ({COLOR_MODE_WORDS[look.preserve_color]})")
        if any(m is not None for m in masks):
            notes.append(f"masked: {_mask_words(inputs.mask_sources, mask_feather, photos)}")
        groups: dict[tuple[int, int], list[int]] = {}
        for i, p in enumerate(photos):
            groups.setdefault(tuple(p.pixels.shape[-2:]), []).append(i)
        outputs: list[torch.Tensor | None] = [None] * len(photos)
        for indices in groups.values():
            original = torch.stack([photos[i].pixels for i in indices]).to(self.device)
            group_masks = [masks[i] for i in indices] if masks[indices[0]] is not None else None
            batch = self._apply_to_batch(look, runners, original, inputs.style, group_masks)
            for j, i in enumerate(indices):
                outputs[i] = batch[j]
        return [o for o in outputs if o is not None]

    def _apply_to_batch(self, look: Look, runners: list[Any], original: torch.Tensor, style: Any,
                        masks: list[torch.Tensor] | None) -> torch.Tensor:
        """The look's backends in order on one (N, 3, H, W) batch, then the colour mode and the
        mask (each against ``original``, the photos as loaded)."""
        # Backends get a copy: one that writes into its input cannot change the photo
        # that preserve_color and the mask's black areas (bit-identical) are made from.
        batch = original.clone()
        for name, runner in zip(look.backends, runners):
            comp = self.plugins.get("style_backend", name)
            out = _run_backend(comp, runner, batch, look.intent, style, look.seed, self, dict(look.options.get(name, {})))
            batch = _check_output(comp, batch, out, self.plugins)
        if look.preserve_color is not None:
            from ..image.color import preserve_color as keep

            batch = keep(original, batch, look.preserve_color)
        if masks is not None:
            from ..image.masks import apply_mask

            weights = torch.stack(masks).to(self.device)
            batch = apply_mask(original, batch, weights)
        return batch

    def _load_masks(
        self, mask: Any, photos: list[imageio.Photo], feather: float | None
    ) -> tuple[list[torch.Tensor | None], list[str | None]]:
        """One feathered (1, h, w) weight per photo at its processed size, and the mask sources;
        every check happens here, before any backend runs."""
        if mask is None:
            return [None] * len(photos), [None] * len(photos)
        from ..image import masks as smask

        if isinstance(mask, (list, tuple)):
            given = []
            for k, item in enumerate(mask):
                found = smask.load_mask(item, max_pixels=self.max_pixels)
                if len(found) != 1:
                    raise UsageError(f"mask=[...] item {k} holds {len(found)} masks; pass one mask per list item")
                given.extend(found)
            if len(given) != len(photos):
                raise UsageError(
                    f"mask= is a list of {len(given)} masks for {len(photos)} photos; pass one mask per photo, "
                    "or a single mask for photos of one size"
                )
        else:
            given = smask.load_mask(mask, max_pixels=self.max_pixels)
            if len(given) == 1:
                sizes = {p.full_size or p.size for p in photos}
                if len(sizes) > 1:
                    listed = ", ".join(f"{w}x{h}" for w, h in sorted(sizes))
                    raise UsageError(
                        f"mask= is one {given[0].size[0]}x{given[0].size[1]} mask but the photos differ in size "
                        f"({listed}); pass a list of masks, one per photo"
                    )
                given = given * len(photos)
            elif len(given) != len(photos):
                raise UsageError(
                    f"mask= holds {len(given)} masks for {len(photos)} photos; pass one mask, or one per photo"
                )
        weights: list[torch.Tensor | None] = []
        done: dict[tuple[int, tuple[int, int]], torch.Tensor] = {}
        for m, p in zip(given, photos):
            full = p.full_size or p.size
            if m.size != full:
                where = f"'{p.source}'" if not p.source.startswith("<") else p.source
                raise UsageError(
                    f"mask= is {m.size[0]}x{m.size[1]} but the photo {where} is {full[0]}x{full[1]}; pass a mask "
                    f"of the photo's size (resize it to {full[0]}x{full[1]}; white = stylize, black = keep)"
                )
            key = (id(m), p.size)
            if key not in done:
                w = smask.resize_mask(m.weights, p.size)
                f = smask.default_feather(p.size[1], p.size[0]) if feather is None else feather
                done[key] = smask.feather_mask(w, f)
            weights.append(done[key])
        return weights, [m.source for m in given]


def _result(look: Look, inputs: _Inputs, outputs: list[torch.Tensor], notes: list[str],
            timings: dict[str, float]) -> Result:
    """The :class:`Result` of a :meth:`Engine.stylize` call that applied ``look``."""
    photos = inputs.photos
    return Result(
        tensors=outputs,
        intent=look.intent,
        backends=list(look.backends),
        timings=timings,
        notes=notes,
        sources=[p.source for p in photos],
        preserve_color=look.preserve_color if look.intent.strength != 0.0 else None,
        options={k: dict(v) for k, v in look.options.items()},
        masks=inputs.mask_sources,
        look=look,
        _alphas=[p.alpha for p in photos],
        _icc=[p.icc_profile for p in photos],
    )


def _mask_words(sources: list[str | None], feather: float | None, photos: list[imageio.Photo]) -> str:
    unique = list(dict.fromkeys(s for s in sources if s is not None))
    what = unique[0] if len(unique) == 1 else f"{len(sources)} masks"
    if feather is None:
        edge = "feather " + ", ".join(
            sorted({f"{_default_feather(p)} px" for p in photos})
        ) + " (1% of the short side)"
    elif feather == 0:
        edge = "hard edges"
    else:
        edge = f"feather {feather:g} px"
    return f"{what}, {edge}; black areas are untouched"


def _default_feather(p: imageio.Photo) -> int:
    from ..image.masks import default_feather

    return default_feather(p.size[1], p.size[0])


def _origin(comp: Any, plugins: PluginManager) -> str:
    """"plugin 'p', distribution d 1.0" (or "built in") for messages."""
    if comp.builtin:
        return "built in"
    info = next((i for i in plugins.plugins if i.name == comp.plugin), None)
    dist = f", distribution {info.distribution} {info.version or ''}".rstrip() if info is not None and info.distribution else ""
    return f"plugin '{comp.plugin}'{dist}"


def _run_backend(comp, runner, batch, intent, style, seed, engine, options) -> Any:
    """``runner.stylize``; a third-party backend's exception (any, SystemExit included: a plugin
    never ends the host) becomes a BackendError naming it; a built-in's propagates (a bug)."""
    try:
        return runner.stylize(batch, intent, style=style, seed=seed, engine=engine, **options)
    except (SpokenstyleError, KeyboardInterrupt):
        raise
    except BaseException as exc:  # noqa: BLE001
        if comp.builtin and isinstance(exc, Exception):
            raise
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise BackendError(f"style backend '{comp.name}' ({_origin(comp, engine.plugins)}) failed: {detail}; choose another backend= or report it to the plugin's authors") from exc


#: How far past [0, 1] a backend's float output may stray (rounding) before it counts as wrong.
RANGE_SLACK = 1e-3


def _check_output(comp: Any, given: torch.Tensor, out: Any, plugins: PluginManager) -> torch.Tensor:
    """A backend's output: an (N, 3, H, W) float tensor of the input's N, H and W, finite, in
    [0, 1] (within :data:`RANGE_SLACK`, then clamped). Anything else is a BackendError."""
    who, origin = f"style backend '{comp.name}'", f" ({_origin(comp, plugins)})"
    n, _c, h, w = given.shape
    if not isinstance(out, torch.Tensor) or out.dim() != 4 or out.shape[0] != n or out.shape[1] != 3:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise BackendError(
            f"{who} returned {shape}; a backend must return an (N, 3, H, W) tensor "
            f"for an (N, 3, H, W) input, here N={n}{origin}"
        )
    if tuple(out.shape[-2:]) != (h, w):
        raise BackendError(
            f"{who} returned {out.shape[-1]}x{out.shape[-2]} images for {w}x{h} photos; a backend must keep "
            f"the height and width (the mask and preserve_color need them){origin}"
        )
    if not out.is_floating_point() or out.device != given.device:
        raise BackendError(f"{who} returned a {out.dtype} tensor on {out.device}; it must return float on {given.device}{origin}")
    finite = torch.isfinite(out)
    if not bool(finite.all()):
        bad = int((~finite).sum())
        raise BackendError(f"{who} returned {bad:,} NaN or infinite value(s); its output is not a picture{origin}")
    lo, hi = float(out.min()), float(out.max())
    if lo < -RANGE_SLACK or hi > 1.0 + RANGE_SLACK:
        raise BackendError(f"{who} returned values from {lo:.4g} to {hi:.4g}; a backend must return colours in [0, 1]{origin}")
    return out.float().clamp(0.0, 1.0) if (lo < 0.0 or hi > 1.0 or out.dtype != torch.float32) else out


# ------------------------------------------------------------------------------ one-liner
_engines: dict[tuple[str, str], Engine] = {}
_engines_lock = threading.Lock()


def stylize(
    content: imageio.ImageLike | Sequence[imageio.ImageLike],
    prompt: str | None = None,
    style: imageio.ImageLike | Sequence[imageio.ImageLike] | None = None,
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

