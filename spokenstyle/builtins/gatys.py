"""The built-in ``gatys`` style backend: optimisation-based style transfer (Gatys, Ecker & Bethge,
"Image Style Transfer Using Convolutional Neural Networks", CVPR 2016).

The output image is optimised, starting from the photo, to minimise

    style_weight·strength · mean_l ‖gram(F_l(x)) − gram(F_l(style))‖² / ‖gram(F_l(style))‖²
  + content_weight      · ‖F_c(x) − F_c(content)‖² / ‖F_c(content)‖²
  + tv_weight           · total variation of x

over the feature encoder's style layers l (relu1_1 ... relu5_1) and content layer c (relu4_2).
Each term is divided by its target's mean square, so the weights mean the same for every encoder
(the random one and ImageNet VGG19 have activations of very different scales) and every layer
counts alike whatever its width. The style terms use the fused ``spokenstyle.ops.style_loss``
(one GEMM forward, one backward); the targets are computed once per pyramid level, detached.

Why one step is cheaper than the textbook eager loop (see benchmarks/test_bench_gatys.py):

* the encoder stops at the deepest layer needed (relu5_1) and never builds weight gradients;
* on the CPU the encoder runs in channels_last, oneDNN's native layout, so no convolution
  reorders its input, output and gradients from and to NCHW; each ReLU runs in place on its
  convolution's fresh output (one activation buffer per layer instead of two);
* the style loss is fused (no separate Gram, subtraction, square and mean passes; its backward
  is one GEMM where autograd through ``bmm`` runs two).

Coarse-to-fine: the image is optimised at a long side of 128–255 px first, then upsampled to
start each finer level (2× per level), which runs half the steps of the one before, so most
of the work happens where it is cheap and a 1024-px output costs about a quarter more than
``steps`` evaluations at full size would cost, not ``steps`` of them.
"""

from __future__ import annotations

import functools
import math
import sys
from typing import Any, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from ..encoders import BUILTIN as BUILTIN_ENCODERS, DEFAULT as DEFAULT_ENCODER
from ..errors import UsageError
from ..core.intent import StyleIntent
from ..ops import gram, style_loss
from ..core.precision import at_precision, check as check_precision
from ..plugins.protocols import Option, Options
from .texture import TEXTURE_MEDIA, as_style_list, check_weights, style_images

DEFAULT_STYLE_LAYERS: tuple[str, ...] = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
#: relu4_2 as in Gatys et al.: deep enough that it keeps the layout and objects but not the
#: fine texture, and not itself a style layer, so content and style do not fight over the same
#: activations (relu4_1 is both). It lies on the way to relu5_1, so it costs nothing extra.
DEFAULT_CONTENT_LAYER = "relu4_2"
#: The coarsest pyramid level's long side is in [PYRAMID_MIN, 2·PYRAMID_MIN).
PYRAMID_MIN = 128
OPTIMIZERS = ("lbfgs", "adam")
#: L-BFGS's curvature pairs kept, and its first step: the largest change of one pixel.
LBFGS_HISTORY = 10
FIRST_STEP = 0.02
DEFAULT_TILE = 1024
ADAM_LR = 0.02
#: Evaluations at the coarsest level (then 16, 8 at 256² and 512²): the only schedule measured
#: to finish a painting (benchmarks/RESULTS.md: Gram distance 0.11 against 0.32-0.65 for the
#: cheaper ones). One VGG-19 evaluation costs about 0.9 / 3.2 / 12.6 CPU-seconds at 128² / 256² /
#: 512² on an AVX2 core, so a 512² painting takes about a minute on 2 AVX2 cores; with bfloat16
#: on a 2-core AMX Xeon (``precision="auto"``) the whole command takes 9.5 s (21 s in float32).
DEFAULT_STEPS = 32


# ----------------------------------------------------------------------------- features
def _plain_vgg(modules: Sequence[nn.Module]) -> bool:
    """True when every module is a 3×3/stride-1/pad-1 conv, a ReLU or a pool (the fast path's
    assumptions); third-party encoders with other layers go through their own forward."""
    for m in modules:
        if isinstance(m, nn.Conv2d):
            if (m.kernel_size, m.stride, m.padding, m.dilation, m.groups) != ((3, 3), (1, 1), (1, 1), (1, 1), 1):
                return False
            if m.padding_mode != "zeros":
                return False
        elif not isinstance(m, (nn.ReLU, nn.MaxPool2d, nn.AvgPool2d)):
            return False
    return True


def encode(encoder, x: torch.Tensor, layers: Sequence[str], *, fast: bool = True,
           precision: str = "float32") -> dict[str, torch.Tensor]:
    """``encoder(x, layers)``, computed with fewer passes where the encoder allows it.

    For VGG-shaped encoders: channels_last on the CPU, ReLUs in place on the fresh convolution
    outputs. ``precision`` (:mod:`spokenstyle.core.precision`) may run the convolutions in bfloat16;
    the features come back in float32 either way. Same values as ``encoder(x, layers)`` up to
    float rounding.
    """
    return at_precision(_encode, precision)(encoder, x, layers, fast)


def _encode(encoder, x: torch.Tensor, layers: Sequence[str], fast: bool) -> dict[str, torch.Tensor]:
    features = getattr(encoder, "features", None)
    taps = getattr(encoder, "taps", None)
    if not fast or not isinstance(features, nn.Sequential) or not isinstance(taps, dict):
        return encoder(x, layers)
    wanted = {encoder._index(name): name for name in layers}
    if not wanted:
        return {}
    last = max(wanted)
    modules = list(features[: last + 1])
    if not _plain_vgg(modules):
        return encoder(x, layers)
    h = encoder.normalize(x)
    if x.device.type == "cpu":
        # oneDNN's convolutions run natively in channels_last: no reorder of every input,
        # output and gradient to and from its blocked layout (measured 1.2-1.4x per step).
        h = h.contiguous(memory_format=torch.channels_last)
    out: dict[str, torch.Tensor] = {}
    for i, m in enumerate(modules):
        if isinstance(m, nn.ReLU) and i - 1 not in wanted:
            h = torch.relu_(h)  # the conv output is fresh and untapped: no second activation buffer
        else:
            h = m(h)
        if i in wanted:
            out[wanted[i]] = h
    return out


def style_targets(encoder, styles: Sequence[torch.Tensor], weights: Sequence[float], layers: Sequence[str], *,
                  fast: bool = True, precision: str = "float32") -> dict[str, torch.Tensor]:
    """The style Gram matrices per layer, (1, C, C): the weighted mean over the style images
    (several styles blend their statistics). Computed without autograd."""
    out: dict[str, torch.Tensor] = {}
    with torch.no_grad():
        for wgt, img in zip(weights, styles):
            feats = encode(encoder, img, layers, fast=fast, precision=precision)
            for k in layers:
                g = gram(feats[k]) * wgt
                out[k] = g if k not in out else out[k] + g
    return out


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean squared difference between neighbouring pixels (horizontal and vertical)."""
    dh = x[..., 1:, :] - x[..., :-1, :]
    dw = x[..., :, 1:] - x[..., :, :-1]
    return dh.square().mean() + dw.square().mean()


class GatysObjective:
    """The Gatys loss for one content image and one style image at one resolution.

    Targets (style Grams, content activations and the normalisers) are computed once here,
    without autograd; ``loss(x)`` is the differentiable objective of an image ``x`` of the
    content's size. ``style_grams`` may be given to reuse global statistics (tiles).
    """

    def __init__(
        self,
        encoder,
        content: torch.Tensor,
        style: torch.Tensor | None = None,
        *,
        style_layers: Sequence[str] = DEFAULT_STYLE_LAYERS,
        content_layer: str = DEFAULT_CONTENT_LAYER,
        style_weight: float = 1.0,
        content_weight: float = 0.1,
        tv_weight: float = 1.0,
        style_grams: dict[str, torch.Tensor] | None = None,
        content_norm: float | None = None,
        fast: bool = True,
        precision: str = "float32",
    ) -> None:
        self.encoder = encoder
        self.precision = precision
        self.style_layers = tuple(style_layers)
        self.content_layer = content_layer
        self.fast = fast
        self.tv_weight = float(tv_weight)
        with torch.no_grad():
            if style_grams is None:
                if style is None:
                    raise ValueError("GatysObjective needs style or style_grams")
                style_grams = style_targets(encoder, [style], [1.0], self.style_layers, fast=fast, precision=precision)
            self.targets = {k: style_grams[k].detach() for k in self.style_layers}
            per_layer = style_weight / len(self.style_layers)
            self.style_scale = {
                k: per_layer / float(t.square().mean().clamp_min(1e-12)) for k, t in self.targets.items()
            }
            self.content_target = None
            if content_weight > 0:
                c = encode(encoder, content, (content_layer,), fast=fast, precision=precision)[content_layer].detach()
                self.content_target = c
                norm = float(c.square().mean()) if content_norm is None else float(content_norm)
                self.content_scale = content_weight / max(norm, 1e-12)
        self.layers = self.style_layers + ((content_layer,) if self.content_target is not None else ())

    def terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """The weighted loss terms: ``style``, ``content`` and ``tv`` (0-d tensors)."""
        feats = encode(self.encoder, x, self.layers, fast=self.fast, precision=self.precision)
        s = sum(style_loss(feats[k], self.targets[k]) * self.style_scale[k] for k in self.style_layers)
        out = {"style": s}
        if self.content_target is not None:
            out["content"] = F.mse_loss(feats[self.content_layer], self.content_target) * self.content_scale
        if self.tv_weight > 0:
            out["tv"] = total_variation(x) * self.tv_weight
        return out

    def loss(self, x: torch.Tensor) -> torch.Tensor:
        return sum(self.terms(x).values())

    def style_error(self, x: torch.Tensor) -> float:
        """Unweighted mean relative Gram error over the style layers (0 = the style's statistics)."""
        with torch.no_grad():
            feats = encode(self.encoder, x, self.style_layers, fast=self.fast, precision=self.precision)
            errs = [float(style_loss(feats[k], self.targets[k])) / float(self.targets[k].square().mean()) for k in self.style_layers]
        return sum(errs) / len(errs)


def optimize(objective: GatysObjective, x0: torch.Tensor, steps: int, optimizer: str = "lbfgs", *, bar=None) -> torch.Tensor:
    """Minimise ``objective`` from ``x0`` with ``steps`` loss+gradient evaluations, keeping the
    pixels in [0, 1] (projected after every step). Returns the optimised image (no autograd)."""
    if optimizer == "adam":
        x = x0.detach().clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=ADAM_LR)
        for _ in range(steps):
            opt.zero_grad(set_to_none=True)
            objective.loss(x).backward()
            opt.step()
            with torch.no_grad():
                x.clamp_(0.0, 1.0)
            if bar is not None:
                bar.update(1)
        return x.detach()
    return lbfgs(objective.loss, x0, steps, bar=bar)


def lbfgs(loss_fn, x: torch.Tensor, steps: int, *, history: int = LBFGS_HISTORY, first_step: float = FIRST_STEP,
          bar=None) -> torch.Tensor:
    """Projected L-BFGS without line search: exactly one loss+gradient evaluation per step.

    ``torch.optim.LBFGS`` without a line search scales its first step to an L1 norm of at most
    ``lr`` over all the pixels: at 512² that moves each pixel by ~1e-6, the curvature pair it
    learns from is rounding noise, and a whole pyramid level can pass without a visible change
    (measured: 8 evaluations lowered a 512² level's style loss 0.404 -> 0.4036). Here the first
    step moves the largest-gradient pixel by ``first_step`` (a few 8-bit levels), then the
    two-loop recursion scales every step by the measured curvature (s·y / y·y). Pairs whose
    curvature is not positive (possible after a projection) are skipped.
    """
    x = x.detach().clone(memory_format=torch.contiguous_format)  # any caller strides: flat views below
    s_hist: list[torch.Tensor] = []
    y_hist: list[torch.Tensor] = []
    x_prev = g_prev = None
    for _ in range(steps):
        x.requires_grad_(True)
        with torch.enable_grad():
            (g,) = torch.autograd.grad(loss_fn(x), x)
        x = x.detach()
        if bar is not None:
            bar.update(1)
        if g_prev is not None:
            s, y = (x - x_prev).flatten(), (g - g_prev).flatten()
            sy = float(s @ y)
            if sy > 1e-12 * float(y @ y) and sy > 0.0:
                s_hist.append(s)
                y_hist.append(y)
                if len(s_hist) > history:
                    s_hist.pop(0)
                    y_hist.pop(0)
        x_prev, g_prev = x, g
        if s_hist:
            q = g.flatten().clone()
            alphas = []
            for s, y in zip(reversed(s_hist), reversed(y_hist)):
                a = float(s @ q) / float(s @ y)
                alphas.append(a)
                q.add_(y, alpha=-a)
            q.mul_(float(s_hist[-1] @ y_hist[-1]) / float(y_hist[-1] @ y_hist[-1]))
            for s, y, a in zip(s_hist, y_hist, reversed(alphas)):
                q.add_(s, alpha=a - float(y @ q) / float(s @ y))
            step = q.view_as(x)
        else:
            step = g * (first_step / float(g.abs().max().clamp_min(1e-30)))
        x = (x - step).clamp_(0.0, 1.0)
    return x


# ------------------------------------------------------------------------------- helpers
def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    down = size[0] < x.shape[-2] or size[1] < x.shape[-1]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=down)


def pyramid_sizes(h: int, w: int, pyramid: bool = True) -> list[tuple[int, int]]:
    """Level sizes, coarsest first: halve while the long side stays at least PYRAMID_MIN."""
    sizes = [(h, w)]
    if pyramid:
        while max(sizes[0]) // 2 >= PYRAMID_MIN:
            ph, pw = sizes[0]
            sizes.insert(0, (max(1, round(ph / 2)), max(1, round(pw / 2))))
    return sizes


def level_steps(steps: int, levels: int) -> list[int]:
    """``steps`` at the coarsest level, half as many at each finer one (at least 1)."""
    return [max(1, steps >> k) for k in range(levels)]


def _check_number(name: str, value: Any, *, minimum: float = 0.0) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"{name}={value!r} is not a number; use a number >= {minimum:g}") from None
    if not math.isfinite(v) or v < minimum:
        raise UsageError(f"{name}={value!r} is out of range; use a number >= {minimum:g}")
    return v


class GatysBackend:
    """Optimisation-based style transfer: the output's encoder Gram matrices are pulled to the
    style image's, its deep activations kept near the photo's. Slow (seconds to minutes on a
    CPU) but needs no training and works with any style image or medium exemplar."""

    name = "gatys"
    media = TEXTURE_MEDIA  # every medium but vintage film, which is a pure grade
    priority = 10  # below the feed-forward 'adain' (20): slower, used when asked or alone
    applies_look = False  # the planner runs 'grade' after us for the colour look
    uses_style_image = True

    options = Options(
        Option("steps", DEFAULT_STEPS, "loss evaluations at the coarsest pyramid level (the only level with "
               "pyramid=False); each finer level runs half as many"),
        Option("style_weight", 1.0, "weight of the style (Gram) loss, multiplied by strength"),
        Option("content_weight", 0.1, "weight of the content loss at the content layer"),
        Option("tv_weight", 1.0, "weight of the total-variation smoothness loss"),
        Option("optimizer", "lbfgs", "'lbfgs' or 'adam'"),
        Option("pyramid", True, "optimise coarse to fine, from a long side of 128-255 px up"),
        Option("layers", DEFAULT_STYLE_LAYERS, "encoder layers for the style loss"),
        Option("content_layer", DEFAULT_CONTENT_LAYER, "encoder layer for the content loss"),
        Option("encoder", DEFAULT_ENCODER, f"feature encoder: a registered name ({', '.join(map(repr, BUILTIN_ENCODERS))}) or a FeatureEncoder"),
        Option("style_size", None, "long side of the style image at full output size, in pixels", shown="the output's"),
        Option("style_weights", None, "one weight per style image when several are given; their Gram matrices "
               "are blended", shown="equal"),
        Option("tile_size", DEFAULT_TILE, "pyramid levels with a longer side than this are optimised in overlapping tiles"),
        Option("precision", "auto", "'float32', 'bfloat16' (the encoder's convolutions under autocast; losses "
               "stay float32), or 'auto': bfloat16 where the device runs it natively (AMX/AVX512-BF16 CPUs, CUDA)"),
        Option("progress", False, "show a progress bar on stderr"),
    )

    @classmethod
    def handles(cls, intent: StyleIntent) -> bool:
        return intent.medium in cls.media

    @staticmethod
    def _encoder(encoder: Any, device: torch.device, engine: Any = None):
        """The feature encoder: the engine's shared one, or (called without an engine) a built-in."""
        if engine is not None:
            return engine.feature_encoder(encoder)
        from ..encoders import FeatureEncoder, load

        if isinstance(encoder, FeatureEncoder):
            return encoder.to(device).eval().requires_grad_(False)
        if not isinstance(encoder, str):
            raise UsageError(f"encoder={encoder!r} must be an encoder name such as {' or '.join(map(repr, BUILTIN_ENCODERS))}, or a FeatureEncoder")
        return _builtin_encoder(encoder, str(device))

    def warmup(self, device) -> None:
        """One step at 32×32, so the encoder's creation and oneDNN's first-call set-up are
        billed to engine setup, not to the first photo."""
        device = torch.device(device)
        x = torch.linspace(0, 1, 3 * 32 * 32, device=device).view(1, 3, 32, 32)
        self.stylize(x, StyleIntent(), style=x.flip(-1), steps=1, pyramid=False)

    # --------------------------------------------------------------------------- stylize
    @options.apply  # the defaults are the Options' above
    def stylize(
        self,
        content: torch.Tensor,
        intent: StyleIntent,
        *,
        style: Any = None,
        seed: int | None = None,
        engine: Any = None,
        steps: int,
        style_weight: float,
        content_weight: float,
        tv_weight: float,
        optimizer: str,
        pyramid: bool,
        layers: Sequence[str] | str,
        content_layer: str,
        encoder: Any,
        style_size: int | None,
        style_weights: Any,
        tile_size: int,
        precision: str,
        progress: bool,
        **_: Any,
    ) -> torch.Tensor:
        """Stylize ``content`` ((N, 3, H, W) sRGB in [0, 1]); returns a tensor of the same shape.

        The style comes from ``style`` ((1, 3, H, W) or (3, H, W) in [0, 1], or a list of them)
        or, without one, from the ``exemplar`` generator for ``intent.medium``. Each photo of a
        batch is optimised on its own, so a result does not depend on the rest of the batch.
        """
        if not isinstance(content, torch.Tensor) or content.dim() != 4 or content.shape[1] != 3:
            shape = tuple(content.shape) if isinstance(content, torch.Tensor) else type(content).__name__
            raise UsageError(f"gatys: content must be an (N, 3, H, W) tensor, got {shape}")
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise UsageError(f"gatys: steps={steps!r} must be an integer >= 1 (e.g. steps=32)")
        opt_name = str(optimizer).strip().lower()
        if opt_name not in OPTIMIZERS:
            raise UsageError(f"gatys: optimizer={optimizer!r} is unknown; use one of {', '.join(OPTIMIZERS)}")
        style_weight = _check_number("style_weight", style_weight)
        content_weight = _check_number("content_weight", content_weight)
        tv_weight = _check_number("tv_weight", tv_weight)
        if not isinstance(pyramid, bool):
            raise UsageError(f"gatys: pyramid={pyramid!r} must be True or False")
        if isinstance(layers, str):
            layers = [s.strip() for s in layers.split(",") if s.strip()]
        layers = tuple(layers)
        if not layers:
            raise UsageError("gatys: layers= is empty; name at least one encoder layer, e.g. layers='relu1_1,relu3_1'")
        if style_size is not None and (isinstance(style_size, bool) or not isinstance(style_size, int) or style_size < 16):
            raise UsageError(f"gatys: style_size={style_size!r} must be an integer >= 16 (pixels of the long side) or None")
        if isinstance(tile_size, bool) or not isinstance(tile_size, int) or tile_size < 64:
            raise UsageError(f"gatys: tile_size={tile_size!r} must be an integer >= 64 (pixels)")
        precision = check_precision(precision, "gatys: precision")
        if intent.strength == 0.0:
            return content
        strength = float(intent.strength)

        device = content.device
        enc = self._encoder(encoder, device, engine)
        for name in layers + (content_layer,):
            if name not in enc.taps:
                arg = "layers" if name in layers else "content_layer"
                raise UsageError(
                    f"gatys: {arg}: {name!r} is not a layer of the '{enc.name}' encoder; use some of {', '.join(enc.taps)}"
                )
        n, _, h, w = content.shape
        deepest = max(enc.stride(name) for name in layers + (content_layer,))
        if min(h, w) < deepest:
            raise UsageError(
                f"gatys: the photo is {h}x{w} pixels after resizing; the '{enc.name}' encoder's layers need at least "
                f"{deepest} on each side: use a larger --max-size (max_size=), crop the photo, or another backend"
            )
        styles = self._style_images(style, intent, engine=engine, seed=seed, size=style_size or max(h, w), device=device)
        weights = check_weights(style_weights, len(styles), self.name)

        sizes = pyramid_sizes(h, w, pyramid)
        counts = level_steps(steps, len(sizes))
        plans = [(size, k, _grid(size, tile_size)) for size, k in zip(sizes, counts)]
        from tqdm import tqdm

        total = n * sum(k * (len(grid) if grid is not None else 1) for _, k, grid in plans)
        bar = tqdm(total=total, desc="gatys", unit="step", disable=not progress, file=sys.stderr,
                   dynamic_ncols=True, leave=False)
        settings = dict(style_layers=layers, content_layer=content_layer, style_weight=style_weight * strength,
                        content_weight=content_weight, tv_weight=tv_weight * strength, precision=precision)
        outputs = []
        try:
            for i in range(n):
                photo = content[i : i + 1].float()
                x = prev = None
                for (lh, lw), k, grid in plans:
                    level_content = _resize(photo, (lh, lw)).clamp(0.0, 1.0)
                    # The style at this level's scale: its long side follows the output's.
                    s_long = (style_size or max(h, w)) * max(lh, lw) / max(h, w)
                    level_styles = [_resize_long(img, s_long) for img in styles]
                    grams = style_targets(enc, level_styles, weights, layers, precision=precision)
                    if x is None:
                        start = level_content
                    else:  # the coarser level's change, upsampled, on this level's sharper photo
                        start = (level_content + _resize(x - prev, (lh, lw))).clamp(0.0, 1.0)
                    prev = level_content
                    if grid is None:
                        objective = GatysObjective(enc, level_content, style_grams=grams, **settings)
                        x = optimize(objective, start, k, opt_name, bar=bar)
                    else:
                        x = self._tiled(enc, level_content, start, grams, grid, k, opt_name, settings, bar)
                outputs.append(x)
        finally:
            bar.close()
        return torch.cat(outputs).to(content.dtype)

    @staticmethod
    def _tiled(enc, content, start, grams, grid, steps, opt_name, settings, bar) -> torch.Tensor:
        """One level optimised tile by tile against the same global style Grams, the tiles'
        outputs cross-faded over their overlaps. The content loss is normalised once for the
        whole image (the mean over tiles), so every tile weighs content and style alike."""
        from ..image.tiling import TileAccumulator

        layer = settings["content_layer"]
        norms = []
        with torch.no_grad():
            for box in grid:
                c = encode(enc, content[box.index], (layer,), precision=settings["precision"])[layer]
                norms.append(float(c.square().mean()) * box.height * box.width)
        norm = sum(norms) / sum(b.height * b.width for b in grid)
        acc = TileAccumulator(grid)
        for box in grid:
            objective = GatysObjective(enc, content[box.index], style_grams=grams, content_norm=norm, **settings)
            acc.add(box, optimize(objective, start[box.index], steps, opt_name, bar=bar))
        return acc.result().clamp(0.0, 1.0)

    def _style_images(self, style, intent: StyleIntent, *, engine, seed, size: int, device) -> list[torch.Tensor]:
        """The style image(s) as (1, 3, H, W) float32 tensors on ``device``: the caller's, or an
        exemplar of the intent's medium (long side ``size``, at most 1024)."""
        if style is not None:
            images = as_style_list(style, self.name)
            for i, img in enumerate(images):
                if min(img.shape[-2:]) < 16:
                    raise UsageError(f"gatys: style image {i} is {tuple(img.shape[-2:])} pixels; it needs at least 16x16")
            return [img.to(device=device, dtype=torch.float32).clamp(0.0, 1.0) for img in images]
        try:  # no medium either: style_images says a style image or a medium is needed
            images, _ = style_images(None, intent, backend=self.name, engine=engine, seed=0 if seed is None else seed,
                                     size=min(int(size), 1024), device=device)
        except UsageError as exc:
            if "exemplar" not in str(exc):
                raise
            raise UsageError(
                f"gatys: no style image was given and no exemplar of the {intent.medium.replace('_', ' ')} medium can "
                f"be made ({exc}); pass style= (CLI: --style IMAGE)"
            ) from None
        for img in images:
            if not isinstance(img, torch.Tensor) or img.dim() != 4 or tuple(img.shape[:2]) != (1, 3):
                raise UsageError(f"gatys: the exemplar generator returned {getattr(img, 'shape', type(img).__name__)}, not (1, 3, H, W)")
        return [img.to(device=device, dtype=torch.float32).clamp(0.0, 1.0) for img in images]


@functools.lru_cache(maxsize=4)
def _builtin_encoder(name: str, device: str):
    from ..encoders import load

    return load(name).to(device)


def _resize_long(x: torch.Tensor, long_side: float) -> torch.Tensor:
    h, w = x.shape[-2:]
    scale = long_side / max(h, w)
    return _resize(x, (max(16, round(h * scale)), max(16, round(w * scale)))).clamp(0.0, 1.0)


def _grid(size: tuple[int, int], tile_size: int):
    """The tile grid for a level larger than ``tile_size`` (None: optimise it whole)."""
    if max(size) <= tile_size:
        return None
    from ..image.tiling import TileGrid

    # The overlap spans more than relu5_1's 16-px cells several times over, so the cross-fade
    # hides each tile's zero-padded border; tile origins on a 16-px lattice keep every tile's
    # pooling grid aligned with its neighbours'.
    return TileGrid(size[0], size[1], tile_size, overlap=max(32, tile_size // 8) // 16 * 16, multiple=16)
