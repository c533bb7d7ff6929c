"""Training the AdaIN decoder (Huang & Belongie, "Arbitrary Style Transfer in Real-time with
Adaptive Instance Normalization", ICCV 2017) for a fixed feature encoder.

Each step: encode a batch of content views and style views; t = AdaIN(content features, style
statistics) at the AdaIN layer, mixed with the content features by alpha; decode t; re-encode
the output. The loss is Huang & Belongie's: content loss ||f(g(t)) - t||² at the AdaIN layer
plus lambda times the style loss, the squared differences of per-channel means and standard
deviations at relu1_1 ... relu4_1. Two changes, both for a decoder trained in minutes on a
CPU rather than days on a GPU:

* the AdaIN layer is relu3_1, not relu4_1: a relu4_1 decoder was still a grey blur after 250
  steps, a relu3_1 one already showed the photo (textures are then finer-grained);
* a quarter of the samples use alpha = 0 and add an L1 pixel loss to the content photo, so
  ``strength`` near 0 reproduces the photo (held-out PSNR in benchmarks/RESULTS.md).

Style views come from the built-in ``exemplar`` generator (every medium, random palettes and
seeds) and from the photos themselves, so the decoder sees the styles the engine will ask for.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable, Sequence

import torch
import torch.nn.functional as F

from .. import color, ops
from ..encoders import FeatureEncoder
from ..nn.decoder import AdaINDecoder, DecoderConfig
from . import data

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")


@dataclass
class TrainConfig:
    steps: int = 3500
    batch: int = 4
    crop: int = 128
    lr: float = 5e-4
    lr_final: float = 3e-5
    style_weight: float = 4.0
    pixel_weight: float = 10.0
    chroma_tv_weight: float = 10.0
    recon_fraction: float = 0.25
    exemplars: int = 96
    seed: int = 0
    #: The AdaIN layer: relu3_1 decodes to sharp images after a few thousand CPU steps, where
    #: relu4_1 (Huang & Belongie's choice) was still a blur after 250 (measured).
    layer: str = "relu3_1"

    def check(self) -> None:
        from ..errors import UsageError

        for name in ("steps", "batch", "crop", "exemplars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (0 if name == "exemplars" else 1):
                raise UsageError(f"--{name} {value!r} must be a positive integer")
        if self.crop % 8:
            raise UsageError(f"--crop {self.crop} must be a multiple of 8 (the encoder downsamples by 8)")
        if not 0.0 <= self.recon_fraction <= 1.0:
            raise UsageError(f"recon_fraction {self.recon_fraction} must be in [0, 1]")


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
    layer: str = "relu3_1",
    style_weight: float = 1.0,
    pixel_weight: float = 0.0,
    chroma_tv_weight: float = 0.0,
) -> dict[str, torch.Tensor]:
    """Per-sample losses for one batch (alpha: (N,) in [0, 1]; pixel loss where alpha == 0)."""
    layers = tuple(dict.fromkeys(STYLE_LAYERS + (layer,)))
    with torch.no_grad():
        fc = encoder(content, (layer,))[layer]
        fs = encoder(style, layers)
        s_stats = {name: ops.calc_mean_std(fs[name]) for name in STYLE_LAYERS}
        t = ops.adain(fc, *s_stats[layer]) if layer in s_stats else ops.adain(fc, *ops.calc_mean_std(fs[layer]))
        a = alpha.view(-1, 1, 1, 1).to(t.dtype)
        t = a * t + (1 - a) * fc
    raw = decoder(t)
    # The losses see the clamped image users will get (straight-through: the gradient passes
    # the clamp), and a penalty keeps raw values near [0, 1]; without both the decoder learned
    # out-of-range colours whose features matched, and the inference clamp then shifted hues.
    out = raw + (raw.clamp(0.0, 1.0) - raw).detach()
    out_of_range = (F.relu(raw - 1.0) + F.relu(-raw)).mean(dim=(1, 2, 3))
    fo = encoder(out, layers)
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
    return {"total": total, "content": content_loss, "style": style_loss, "pixel": pixel, "output": out.detach()}


def exemplar_pool(count: int, size: int, seed: int) -> list[torch.Tensor]:
    """``count`` exemplar images over every texture medium, with random palettes and looks."""
    if count == 0:
        return []
    from ..intent import MEDIA, StyleIntent
    from ..plugins import get_plugin_manager

    make = get_plugin_manager().get("generator", "exemplar").create()
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
) -> tuple[AdaINDecoder, list[dict[str, float]]]:
    """Train a decoder for ``encoder``; returns it and a per-step loss history."""
    from tqdm import tqdm

    config.check()
    decoder = decoder or AdaINDecoder(decoder_config or decoder_config_for(encoder, config.layer))
    layer = decoder.config.layer
    torch.manual_seed(config.seed)
    gen = torch.Generator().manual_seed(config.seed)
    decoder.to(memory_format=torch.channels_last).train()
    opt = torch.optim.Adam(decoder.parameters(), lr=config.lr)
    decay = (config.lr_final / config.lr) ** (1.0 / max(1, config.steps - 1))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, decay)
    history: list[dict[str, float]] = []
    bar = tqdm(range(config.steps), desc="training decoder", unit="step", disable=not progress, dynamic_ncols=True)
    for step in bar:
        # channels_last: oneDNN's convolutions run about 1.4x faster on CPU in this layout.
        content = data.batch(contents, config.batch, config.crop, gen).contiguous(memory_format=torch.channels_last)
        style = data.batch(styles, config.batch, config.crop, gen).contiguous(memory_format=torch.channels_last)
        alpha = (torch.rand(config.batch, generator=gen) >= config.recon_fraction).float()
        losses = adain_losses(encoder, decoder, content, style, alpha, layer=layer, style_weight=config.style_weight,
                              pixel_weight=config.pixel_weight, chroma_tv_weight=config.chroma_tv_weight)
        loss = losses["total"].mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        styled = alpha > 0
        losses = {k: v.detach() for k, v in losses.items()}
        record = {
            "step": step,
            "loss": float(loss.detach()),
            "content": float(losses["content"].mean()),
            "style": float(losses["style"][styled].mean()) if styled.any() else math.nan,
            "pixel": float(losses["pixel"][~styled].mean()) if (~styled).any() else math.nan,
        }
        history.append(record)
        if on_step:
            on_step(step, record)
        if progress and step % 10 == 0:
            bar.set_postfix(loss=f"{record['loss']:.3f}")
    decoder.eval()
    return decoder, history


def decoder_config_for(encoder: FeatureEncoder, layer: str) -> DecoderConfig:
    """The default decoder architecture for decoding ``encoder``'s ``layer``."""
    stride = encoder.stride(layer)
    upsamples = stride.bit_length() - 1
    widths = (128, 64, 32)[-(upsamples + 1):]  # narrow near full resolution: decoding stays cheap
    return DecoderConfig(layer=layer, in_channels=encoder.channels(layer), widths=widths,
                         convs=(2,) * len(widths), upsamples=upsamples)


def psnr(a: torch.Tensor, b: torch.Tensor) -> float:
    mse = float(((a - b) ** 2).mean())
    return 10.0 * math.log10(1.0 / max(mse, 1e-12))


@torch.no_grad()
def evaluate(
    encoder: FeatureEncoder, decoder: AdaINDecoder, photos: Sequence[torch.Tensor], styles: Sequence[torch.Tensor]
) -> dict[str, Any]:
    """Held-out figures: reconstruction PSNR (alpha 0) and, per content x style pair at alpha 1,
    the content and style losses of the output, with the style loss of the untouched photo for scale."""
    layer = decoder.config.layer
    scale = decoder.scale * 2
    psnrs, content_losses, style_losses, style_before = [], [], [], []
    for photo in photos:
        h, w = (s // scale * scale for s in photo.shape[-2:])
        x = photo[:, :h, :w].unsqueeze(0)
        recon = decoder(encoder(x, (layer,))[layer])
        psnrs.append(psnr(recon, x))
        for style in styles:
            s = style.unsqueeze(0)
            fs = encoder(s, STYLE_LAYERS)
            stats = {n: ops.calc_mean_std(fs[n]) for n in STYLE_LAYERS}
            t = ops.adain(encoder(x, (layer,))[layer], *stats[layer])
            out = decoder(t)
            fo = encoder(out, STYLE_LAYERS)
            content_losses.append(float(((fo[layer] - t) ** 2).mean()))
            style_losses.append(float(sum(mean_std_loss(fo[n], *stats[n]) for n in STYLE_LAYERS)))
            fx = encoder(x, STYLE_LAYERS)
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
