"""The ``transform`` style backend: the trained text-conditioned generator, one forward pass.

No encoder and no style image at run time: :class:`~spokenstyle.nn.transform.TransformNet`
reads the intent's embedding (medium, look attributes, strength) and draws the medium over the
photo. It renders the look itself (it was trained against targets graded with the look), so
the planner does not grade after it (``applies_look``).

The package ships weights (``weights/transform.safetensors``, distilled from ``adain``), which
``--backend transform`` uses. The planner picks the backend for a medium prompt when
``$SPOKENSTYLE_TRANSFORM_WEIGHTS`` names weights trained for that medium (a user's own), and for
the shipped weights only if :data:`SHIPPED_IS_PLANNER_DEFAULT` says they beat ``adain``. Naming
it without any weights is a :class:`~spokenstyle.errors.WeightsError` that says how to train
them (``spokenstyle train transform``) and where to put them (``-O weights=PATH``).

Photos longer than ``tile_size`` run in overlapping, feathered tiles (``spokenstyle.image.tiling``):
the generator has no per-image statistics (its convolutions are demodulated), so a tile's
inside is painted as it is in the whole photo and only the overlaps, cross-faded, see a tile's
edge.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ..errors import UsageError
from ..core.intent import StyleIntent
from ..plugins.protocols import Option, Options
from .texture import TEXTURE_MEDIA

#: Longest side run in one piece; memory grows with the photo, so longer ones are tiled.
DEFAULT_TILE = 1024
#: Overlap of neighbouring tiles, in pixels: beyond the default generator's reach from a tile's
#: edge (two stride-2 stages and its residual blocks' 3x3 convolutions at quarter resolution).
TILE_OVERLAP = 128

#: Whether the planner paints media prompts with the package's shipped weights. False: on the
#: held-out photos they stay further from each medium than ``adain``, their teacher
#: (benchmarks/RESULTS.md, "The shipped transform generator"), so ``adain`` stays the media
#: default and ``transform`` is the fast choice by name (``--backend transform``).
SHIPPED_IS_PLANNER_DEFAULT = False

#: (path, mtime, size) -> media of that weights file: the planner asks often, reading a header once.
_MEDIA_CACHE: dict[tuple[str, float, int], tuple[str, ...]] = {}


def trained_media(path: str | Path) -> tuple[str, ...]:
    """The media a weights file was trained for, read from its header (no tensors); () when it
    is not a readable transform checkpoint (:func:`spokenstyle.nn.transform.load` says why)."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return ()
    key = (str(p), st.st_mtime, st.st_size)
    if key not in _MEDIA_CACHE:
        import json

        from safetensors import safe_open

        from ..nn.transform import FORMAT

        media: tuple[str, ...] = ()
        try:
            with safe_open(str(p), framework="pt") as f:
                meta = f.metadata() or {}
            if meta.get("format") == FORMAT:
                raw = json.loads(meta.get("config", "{}")).get("media", "")
                media = tuple(m for m in str(raw).split(",") if m)
        except Exception:  # noqa: BLE001 - unreadable: the backend then declines; load() explains
            media = ()
        _MEDIA_CACHE[key] = media
    return _MEDIA_CACHE[key]


class TransformBackend:
    """The trained ``transform`` generator as a style backend; see the module docstring."""

    name = "transform"
    media = TEXTURE_MEDIA
    # One pass with no encoder: faster than adain (20), so the planner's first choice for the
    # media its weights were trained on, when they exist.
    priority = 30
    uses_style_image = False
    applies_look = True
    options = Options(
        Option("weights", None, "transform generator weights (.safetensors from `spokenstyle train transform`)",
               shown="$SPOKENSTYLE_TRANSFORM_WEIGHTS or the package's"),
        Option("tile_size", DEFAULT_TILE, "largest side processed in one piece; larger inputs are tiled"),
        Option("progress", False, "show a progress bar over tiles"),
    )

    def __init__(self) -> None:
        self.last_notes: list[str] = []

    @classmethod
    def handles(cls, intent: StyleIntent) -> bool:
        """True when default weights exist, were trained for ``intent.medium`` and are the
        planner's to use: weights named by ``$SPOKENSTYLE_TRANSFORM_WEIGHTS`` (a user's choice)
        always, the package's own only if :data:`SHIPPED_IS_PLANNER_DEFAULT`."""
        from ..nn.transform import WEIGHTS_ENV, default_weights

        path = default_weights()
        if path is None or not intent.medium or intent.medium not in trained_media(path):
            return False
        return SHIPPED_IS_PLANNER_DEFAULT or bool(os.environ.get(WEIGHTS_ENV, "").strip())

    def generator(self, weights: Any = None, engine: Any = None, device: Any = "cpu"):
        if weights is not None and not isinstance(weights, (str, Path)):
            raise UsageError(f"transform: weights={weights!r} must be the path of a .safetensors file")
        if engine is not None:
            return engine.generator("transform", weights=None if weights is None else str(weights))
        from ..nn.transform import pretrained

        return pretrained(weights).to(device).eval()

    @torch.no_grad()
    @options.apply  # the defaults are the Options' above
    def stylize(self, content: torch.Tensor, intent: StyleIntent, *, style: Any = None, seed: int | None = None,
                engine: Any = None, weights: Any, tile_size: int, progress: bool, **_: Any) -> torch.Tensor:
        if not isinstance(tile_size, int) or isinstance(tile_size, bool) or tile_size < 2 * TILE_OVERLAP:
            raise UsageError(f"transform: tile_size={tile_size!r} must be an integer of at least {2 * TILE_OVERLAP}")
        net = self.generator(weights, engine, content.device)
        if not intent.medium:
            raise UsageError(
                "transform renders a medium: name one in the prompt (e.g. 'watercolor', '水墨'); "
                f"these weights know {', '.join(net.media)}"
            )
        if intent.medium not in net.media:
            raise UsageError(
                f"transform: the weights '{getattr(net, 'weights_path', '?')}' were trained for "
                f"{', '.join(net.media)}, not {intent.medium}; retrain with `spokenstyle train transform --media ...` "
                "or use --backend adain"
            )
        from ..nn.transform import embedding_of

        param = next(net.parameters())
        emb = embedding_of([intent], device=param.device)
        # No margin: the network pads by reflection at every layer, so a photo's edge is
        # rendered like its inside (test_a_crops_edges_render_like_its_interior).
        from ..image.tiling import map_tiles

        out = map_tiles(lambda tile: net(tile, emb), content.to(param.device, param.dtype),
                        tile=tile_size, overlap=TILE_OVERLAP, multiple=net.config.multiple, progress=progress)
        return out.to(content.device, content.dtype).contiguous()
