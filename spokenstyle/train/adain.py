"""Training the AdaIN decoder (Huang & Belongie, "Arbitrary Style Transfer in Real-time with
Adaptive Instance Normalization", ICCV 2017) for a fixed feature encoder.

Each step: encode a batch of content views and style views; t = AdaIN(content features, style
statistics) at the AdaIN layer, mixed with the content features by alpha; decode t; re-encode
the output. The loss is Huang & Belongie's: content loss ||f(g(t)) - t||² at the AdaIN layer
plus lambda times the style loss, the squared differences of per-channel means and standard
deviations at relu1_1 ... relu4_1. The AdaIN layer is Huang & Belongie's relu4_1 on VGG-19
(``--layer`` picks another: the ``random`` encoder's shipped decoder uses relu3_1). Two
additions, for a decoder trained on a CPU rather than for days on a GPU:

* a quarter of the samples use alpha = 0 and add an L1 pixel loss to the content photo, so
  ``strength`` near 0 reproduces the photo (held-out PSNR in benchmarks/RESULTS.md);
* a chroma total-variation term and an out-of-range penalty (see ``adain_losses``);
* two ways to train away the 8-px lattice a relu4_1 decoder tends to draw (one mark per feature
  cell): a grid term (``lattice_weight``: :func:`spokenstyle.quality.metrics.grid_share` plus
  :func:`spokenstyle.quality.metrics.grid_edges` of the output, the detail that repeats in every cell
  and the edges that gather on the cell lines), and a
  shift-consistency term (``shift_weight``: the batch is decoded a second time from a view
  shifted off the grid, and the two outputs must agree where they overlap).

Style views come from the built-in ``exemplar`` generator (every medium, random palettes and
seeds) and from the photos themselves, so the decoder sees the styles the engine will ask for.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from ..image import color
from .. import ops
from ..encoders import FeatureEncoder
from ..nn.decoder import AdaINDecoder, DecoderConfig
from . import data
from .config import TrainingConfig

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


@dataclass
class TrainConfig(TrainingConfig):
    """An AdaIN decoder's training run; the fields both trainers share are
    :class:`~spokenstyle.train.config.TrainingConfig`'s (``precision``: the encoder and the decoder
    under bfloat16 autocast where the CPU runs it natively). The device is the CPU; where the
    decoder, its state and the checkpoints go is the caller's (``train_decoder``'s arguments,
    the CLI's ``--out``, ``--resume`` and ``--state-every``)."""

    steps: int = 3500
    style_weight: float = 4.0
    recon_fraction: float = 0.25
    lr: float = 5e-4
    lr_final: float = 3e-5
    chroma_tv_weight: float = 10.0
    #: Weight of the shift-consistency L1 term (0 = off; each step then decodes the batch once).
    shift_weight: float = 0.0
    #: Weight of the grid term: the output's detail locked to the 8-px cells (0 = off).
    lattice_weight: float = 0.0
    #: Generated exemplar style images, in all (0 = none).
    exemplars: int = 96
    #: The AdaIN layer (Huang & Belongie's relu4_1 on VGG-19).
    layer: str = "relu4_1"

    def check(self) -> None:
        from ..errors import UsageError

        for name in ("steps", "batch", "crop", "exemplars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (0 if name == "exemplars" else 1):
                raise UsageError(f"--{name} {value!r} must be a positive integer")
        if self.crop % 8:
            raise UsageError(f"--crop {self.crop} must be a multiple of 8 (the encoder downsamples by 8)")
        for name in ("shift_weight", "lattice_weight"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0.0 <= value < 1e6:
                raise UsageError(f"--{name.replace('_', '-')} {value!r} must be a number >= 0")
        if self.shift_weight and self.crop < 64:
            raise UsageError(f"--crop {self.crop} must be at least 64 with --shift-weight (the shifted views must overlap)")
        if not 0.0 <= self.recon_fraction <= 1.0:
            raise UsageError(f"recon_fraction {self.recon_fraction} must be in [0, 1]")
        self._check_precision()


def mean_std_loss(a: torch.Tensor, b_mean: torch.Tensor, b_std: torch.Tensor) -> torch.Tensor:
    """Per-sample squared distance between a's channel statistics and given ones: (N,)."""
    mean, std = ops.calc_mean_std(a)
    return ((mean - b_mean) ** 2).mean(dim=(1, 2, 3)) + ((std - b_std) ** 2).mean(dim=(1, 2, 3))


def adain_losses(
    encoder: FeatureEncoder,
    decoder: AdaINDecoder,
    content: torch.Tensor,
    style: torch.Tensor,
    alpha: torch.Tensor,
    *,
    layer: str = "relu4_1",
    style_weight: float = 1.0,
    pixel_weight: float = 0.0,
    chroma_tv_weight: float = 0.0,
    scales: dict[str, float] | None = None,
    precision: str = "float32",
    shift_weight: float = 0.0,
    shift: tuple[int, int] = (4, 4),
    lattice_weight: float = 0.0,
) -> dict[str, torch.Tensor]:
    """Per-sample losses for one batch (alpha: (N,) in [0, 1]; pixel loss where alpha == 0).

    ``shift_weight`` > 0: the content is also decoded from the view that starts ``shift`` =
    (dy, dx) pixels further in (each in 1 … 7, so off the 8-px grid), with the same style
    statistics and alpha, and the L1 distance of the two outputs where they overlap (a 16-px
    border left out: the views' edges differ) is added with that weight.

    ``lattice_weight`` > 0: adds that weight times the output's grid figures (RGB planes) at the
    decoder's cell size: ``metrics.grid_share`` + ``metrics.grid_edges``.

    ``precision``: the encoder and decoder may run under bfloat16 autocast; their outputs are
    cast back, so every loss is computed in float32.

    ``scales``: each layer's typical activation size (:func:`feature_scales`); the content and
    style terms are measured on features divided by it, so the loss weights mean the same for
    every encoder (the original VGG-19's activations are hundreds of times the random one's).
    """
    from ..core.precision import at_precision

    layers = tuple(dict.fromkeys(STYLE_LAYERS + (layer,)))
    scales = scales or {}
    encode, decode = at_precision(encoder, precision), at_precision(decoder, precision)

    a = alpha.view(-1, 1, 1, 1).float()

    def transfer(x: torch.Tensor) -> torch.Tensor:  # AdaIN at the layer, mixed by alpha; no gradient
        fc = encode(x, (layer,))[layer] / scales.get(layer, 1.0)
        return a * ops.adain(fc, *target) + (1 - a) * fc

    with torch.no_grad():
        fs = encode(style, layers)
        fs = {name: f / scales.get(name, 1.0) for name, f in fs.items()}
        s_stats = {name: ops.calc_mean_std(fs[name]) for name in STYLE_LAYERS}
        target = s_stats[layer] if layer in s_stats else ops.calc_mean_std(fs[layer])
        t = transfer(content)
    raw = decode(t * scales.get(layer, 1.0))  # the decoder takes the encoder's own units
    # The losses see the clamped image users will get (straight-through: the gradient passes
    # the clamp), and a penalty keeps raw values near [0, 1]; without both the decoder learned
    # out-of-range colours whose features matched, and the inference clamp then shifted hues.
    out = raw + (raw.clamp(0.0, 1.0) - raw).detach()
    out_of_range = (F.relu(raw - 1.0) + F.relu(-raw)).mean(dim=(1, 2, 3))
    fo = {name: f / scales.get(name, 1.0) for name, f in encode(out, layers).items()}
    content_loss = ((fo[layer] - t) ** 2).mean(dim=(1, 2, 3))
    style_loss = sum(mean_std_loss(fo[name], *s_stats[name]) for name in STYLE_LAYERS)
    # Chroma total variation (Oklab a, b): paintings carry texture in lightness and broad areas
    # of colour; without it the decoder matched the random features' statistics with rainbow
    # fringes along edges.
    ab = color.srgb_to_oklab(out)[:, 1:]
    chroma_tv = (ab[..., 1:, :] - ab[..., :-1, :]).abs().mean(dim=(1, 2, 3)) + (ab[..., 1:] - ab[..., :-1]).abs().mean(dim=(1, 2, 3))
    recon = (alpha == 0).to(out.dtype)
    pixel = (out - content).abs().mean(dim=(1, 2, 3)) * recon
    # Style only pulls on the stylised samples; reconstruction samples keep the photo's statistics.
    total = (content_loss + style_weight * (1 - recon) * style_loss * a.view(-1) + pixel_weight * pixel
             + 10.0 * out_of_range + chroma_tv_weight * chroma_tv)
    losses = {"total": total, "content": content_loss, "style": style_loss, "pixel": pixel, "output": out.detach()}
    if lattice_weight:
        from ..quality.metrics import grid_edges, grid_share

        losses["lattice"] = grid_share(out, decoder.scale) + grid_edges(out, decoder.scale)
        losses["total"] = losses["total"] + lattice_weight * losses["lattice"]
    if shift_weight:
        dy, dx = shift
        h, w = content.shape[-2] - 8, content.shape[-1] - 8  # the shifted view, a multiple of 8 like the crop
        with torch.no_grad():
            t_shifted = transfer(content[..., dy : dy + h, dx : dx + w])
        shifted = decode(t_shifted * scales.get(layer, 1.0)).clamp(0.0, 1.0)
        b = 16
        agree = (out[..., dy + b : dy + h - b, dx + b : dx + w - b] - shifted[..., b : h - b, b : w - b]).abs()
        losses["shift"] = agree.mean(dim=(1, 2, 3))
        losses["total"] = losses["total"] + shift_weight * losses["shift"]
    return losses


def loss_layers(layer: str) -> tuple[str, ...]:
    """The encoder layers the losses read: the style layers and the AdaIN layer."""
    return tuple(dict.fromkeys(STYLE_LAYERS + (layer,)))


@torch.no_grad()
def feature_scales(encoder: FeatureEncoder, photos: Sequence[torch.Tensor], layers: Sequence[str]) -> dict[str, float]:
    """Root-mean-square activation per layer over ``photos`` (each at a long side of 256 px),
    rounded to 4 significant digits: the loss normaliser of :func:`adain_losses`."""
    sums = {name: 0.0 for name in layers}
    for photo in photos:
        x = F.interpolate(photo.unsqueeze(0), scale_factor=256 / max(photo.shape[-2:]), mode="bilinear",
                          align_corners=False, antialias=True).clamp(0.0, 1.0)
        for name, f in encoder(x, tuple(layers)).items():
            sums[name] += float(f.double().square().mean())
    return {name: float(f"{math.sqrt(v / len(photos)):.4g}") for name, v in sums.items()}


def exemplar_pool(count: int, size: int, seed: int, make: Callable[..., torch.Tensor] | None = None) -> list[torch.Tensor]:
    """``count`` exemplar images over every texture medium, with random palettes and looks
    (``make``: the exemplar generator, e.g. ``engine.generator("exemplar")``; default the built-in)."""
    if count == 0:
        return []
    from ..core.intent import MEDIA, StyleIntent

    if make is None:
        from ..builtins.exemplar import ExemplarGenerator

        make = ExemplarGenerator()
    gen = torch.Generator().manual_seed(seed)
    media = [m for m in MEDIA if m not in ("vintage_film",)]
    pool = []
    for i in range(count):
        medium = media[i % len(media)]
        palette = None
        if float(torch.rand((), generator=gen)) < 0.5:
            hues = torch.rand(int(torch.randint(2, 5, (1,), generator=gen)), generator=gen)
            palette = [_hsv_hex(float(h), 0.35 + 0.6 * float(torch.rand((), generator=gen)),
                                0.25 + 0.7 * float(torch.rand((), generator=gen))) for h in hues]
        intent = StyleIntent(medium=medium, palette=palette)
        pool.append(make(intent, size=size, seed=seed * 10007 + i)[0].cpu())
    return pool


def _hsv_hex(h: float, s: float, v: float) -> str:
    import colorsys

    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return "#{:02x}{:02x}{:02x}".format(round(r * 255), round(g * 255), round(b * 255))


def train_decoder(
    encoder: FeatureEncoder,
    contents: Sequence[torch.Tensor],
    styles: Sequence[torch.Tensor],
    config: TrainConfig,
    *,
    decoder_config: DecoderConfig | None = None,
    decoder: AdaINDecoder | None = None,
    progress: bool = False,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
    resume: dict[str, Any] | None = None,
    state_path: str | None = None,
    state_every: int = 250,
    scales: dict[str, float] | None = None,
) -> tuple[AdaINDecoder, list[dict[str, float]]]:
    """Train a decoder for ``encoder``; returns it and a per-step loss history.

    ``state_path``: every ``state_every`` steps (and at the end) the whole training state —
    weights, Adam's moments, the schedule, the random generators, the step and the history —
    is written there atomically (safetensors, no pickle); ``resume`` (from :func:`load_state`)
    continues such a run where it stopped, with the same result as an uninterrupted one.
    """
    from tqdm import tqdm

    config.check()
    if resume is not None:
        scales = dict(resume["scales"])
    elif scales is None:
        scales = feature_scales(encoder, contents, loss_layers(config.layer))
    torch.manual_seed(config.seed)  # before the decoder is made: its initial weights follow the seed
    if decoder is None:
        cfg = decoder_config or decoder_config_for(encoder, config.layer)
        decoder = AdaINDecoder(replace(cfg, input_scale=scales[cfg.layer]))
    gen = torch.Generator().manual_seed(config.seed)
    decoder.to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(decoder.parameters(), lr=config.lr)
    decay = (config.lr_final / config.lr) ** (1.0 / max(1, config.steps - 1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, decay)
    history: list[dict[str, float]] = []
    start = 0
    if resume is not None:
        start, history = _restore(resume, decoder, opt, sched, gen)
    t_offset = float(history[-1].get("t", 0.0)) if history else 0.0  # seconds of earlier sessions
    t_start = time.perf_counter()
    bar = tqdm(range(start, config.steps), desc="training decoder", unit="step", disable=not progress,
               dynamic_ncols=True, initial=start, total=config.steps)
    for step in bar:
        record = _decoder_step(step, encoder, decoder, opt, sched, contents, styles, config, gen, scales)
        record["t"] = round(t_offset + time.perf_counter() - t_start, 2)  # cumulative training seconds
        history.append(record)
        if state_path and ((step + 1) % state_every == 0 or step + 1 == config.steps):
            save_state(state_path, decoder, opt, sched, gen, step + 1, history, config, scales)
        if on_step:
            on_step(step, record)
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{record['loss']:.3f}")
    decoder.eval()
    return decoder, history


def _decoder_step(step: int, encoder: FeatureEncoder, decoder: AdaINDecoder, opt, sched,
                  contents: Sequence[torch.Tensor], styles: Sequence[torch.Tensor], config: TrainConfig,
                  gen: torch.Generator, scales: dict[str, float]) -> dict[str, float]:
    """One step of :func:`train_decoder`: a batch of content and style views and their alphas
    drawn from ``gen``, the losses, one Adam and one schedule step; the step's record."""
    # channels_last: oneDNN's convolutions run about 1.4x faster on CPU in this layout.
    content = data.batch(contents, config.batch, config.crop, gen).contiguous(memory_format=torch.channels_last)
    style = data.batch(styles, config.batch, config.crop, gen).contiguous(memory_format=torch.channels_last)
    alpha = (torch.rand(config.batch, generator=gen) >= config.recon_fraction).float()
    # Drawn only when used, so runs without the term keep their random stream (and resume).
    shift = tuple(int(v) for v in torch.randint(1, 8, (2,), generator=gen)) if config.shift_weight else (4, 4)
    losses = adain_losses(encoder, decoder, content, style, alpha, layer=decoder.config.layer,
                          style_weight=config.style_weight, pixel_weight=config.pixel_weight,
                          chroma_tv_weight=config.chroma_tv_weight, scales=scales, precision=config.precision,
                          shift_weight=config.shift_weight, shift=shift, lattice_weight=config.lattice_weight)
    loss = losses["total"].mean()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    sched.step()
    styled = alpha > 0
    losses = {k: v.detach() for k, v in losses.items()}
    return {
        "step": step,
        "loss": float(loss.detach()),
        "content": float(losses["content"].mean()),
        "style": float(losses["style"][styled].mean()) if styled.any() else math.nan,
        "pixel": float(losses["pixel"][~styled].mean()) if (~styled).any() else math.nan,
        **{k: float(losses[k].mean()) for k in ("shift", "lattice") if k in losses},
    }


STATE_FORMAT = "spokenstyle.adain_train_state/1"


def save_state(path, decoder, opt, sched, gen, step: int, history, config: TrainConfig, scales: dict[str, float]) -> None:
    """The whole training state as one safetensors file (written atomically)."""
    import json

    from . import state

    tensors = {**state.module_tensors("decoder", decoder), **state.optimizer_tensors("adam", opt), **state.rng_tensors(gen)}
    metadata = {
        "format": STATE_FORMAT,
        "step": str(step),
        "config": json.dumps(asdict(config)),
        "decoder_config": json.dumps(asdict(decoder.config)),
        "param_groups": json.dumps(opt.state_dict()["param_groups"]),
        "scheduler": json.dumps({k: v for k, v in sched.state_dict().items() if isinstance(v, (int, float, list))}),
        "history": json.dumps(history),
        "scales": json.dumps(scales),
    }
    state.write(path, tensors, metadata)


def load_state(path) -> dict[str, Any]:
    """A state written by :func:`save_state`: tensors and metadata, checked; WeightsError if not one."""
    import json

    from ..errors import WeightsError
    from . import state

    meta, tensors = state.read(path, STATE_FORMAT)
    try:
        out = {
            "step": int(meta["step"]),
            "config": json.loads(meta["config"]),
            "decoder_config": json.loads(meta["decoder_config"]),
            "param_groups": json.loads(meta["param_groups"]),
            "scheduler": json.loads(meta["scheduler"]),
            "history": json.loads(meta["history"]),
            "scales": json.loads(meta["scales"]),
            "tensors": tensors,
        }
    except (KeyError, ValueError) as exc:
        raise WeightsError(f"--resume '{path}': damaged metadata ({exc})") from None
    return out


def _restore(saved: dict[str, Any], decoder, opt, sched, gen) -> tuple[int, list]:
    from . import state

    tensors = saved["tensors"]
    state.load_module("decoder", decoder, tensors)
    state.load_optimizer("adam", opt, tensors, saved["param_groups"])
    sched.load_state_dict({**sched.state_dict(), **saved["scheduler"]})
    state.load_rng(gen, tensors)
    return saved["step"], list(saved["history"])


def decoder_config_for(encoder: FeatureEncoder, layer: str) -> DecoderConfig:
    """The default decoder architecture for decoding ``encoder``'s ``layer``: one stage per
    resolution, halving the width at each 2x upsample, narrow near full resolution so decoding
    stays cheap (relu4_1: 256 -> 128 -> 64 -> 32 channels, Huang & Belongie's mirror at half width)."""
    stride = encoder.stride(layer)
    upsamples = stride.bit_length() - 1
    widths = (256, 128, 64, 32)[-(upsamples + 1):] if upsamples >= 3 else (128, 64, 32)[-(upsamples + 1):]
    convs = ((1,) + (2,) * upsamples) if upsamples >= 3 else (2,) * len(widths)
    return DecoderConfig(layer=layer, in_channels=encoder.channels(layer), widths=widths,
                         convs=convs, upsamples=upsamples)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float(((a - b) ** 2).mean())
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))


@torch.no_grad()
def evaluate(
    encoder: FeatureEncoder, decoder: AdaINDecoder, photos: Sequence[torch.Tensor], styles: Sequence[torch.Tensor],
    scales: dict[str, float] | None = None,
) -> dict[str, Any]:
    """Held-out figures: reconstruction PSNR (alpha 0) and, per content x style pair at alpha 1,
    the content and style losses of the output (features divided by ``scales``, as in
    training), with the style loss of the untouched photo for scale."""
    layer = decoder.config.layer
    scale = decoder.scale * 2
    scales = scales or {}

    def feats(img, names):
        return {n: f / scales.get(n, 1.0) for n, f in encoder(img, tuple(names)).items()}

    psnrs, content_losses, style_losses, style_before = [], [], [], []
    for photo in photos:
        h, w = (s // scale * scale for s in photo.shape[-2:])
        x = photo[:, :h, :w].unsqueeze(0)
        fc = feats(x, (layer,))[layer]
        recon = decoder(fc * scales.get(layer, 1.0))
        psnrs.append(psnr(recon, x))
        fx = feats(x, STYLE_LAYERS)
        for style in styles:
            fs = feats(style.unsqueeze(0), STYLE_LAYERS)
            stats = {n: ops.calc_mean_std(fs[n]) for n in STYLE_LAYERS}
            t = ops.adain(fc, *stats[layer])
            out = decoder(t * scales.get(layer, 1.0))
            fo = feats(out, STYLE_LAYERS)
            content_losses.append(float(((fo[layer] - t) ** 2).mean()))
            style_losses.append(float(sum(mean_std_loss(fo[n], *stats[n]) for n in STYLE_LAYERS)))
            style_before.append(float(sum(mean_std_loss(fx[n], *stats[n]) for n in STYLE_LAYERS)))
    mean = lambda v: sum(v) / len(v) if v else math.nan  # noqa: E731
    return {
        "reconstruction_psnr_db": round(mean(psnrs), 2),
        "reconstruction_psnr_db_each": [round(p, 2) for p in psnrs],
        "content_loss": round(mean(content_losses), 4),
        "style_loss": round(mean(style_losses), 4),
        "style_loss_of_photo": round(mean(style_before), 4),
        "pairs": len(style_losses),
    }


def config_dict(config: TrainConfig) -> dict[str, Any]:
    return asdict(config)
