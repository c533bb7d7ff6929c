"""The ``adain`` style backend: feed-forward arbitrary style transfer (Huang & Belongie, 2017).

encoder (the original VGG-19 at relu4_1 by default; ``random`` at relu3_1) -> ``ops.adain`` with the style's channel statistics ->
the decoder the project trained for that encoder (``spokenstyle train adain``). One pass, no
optimisation: a 512² photo takes well under a second on a laptop CPU (benchmarks/RESULTS.md).

* ``alpha`` (default: the intent's strength) mixes AdaIN's output with the content features.
* Several style images are interpolated by ``style_weights``: their statistics are blended,
  which equals blending the AdaIN outputs (AdaIN is affine in the style mean and std).
* Without a style image, the prompt's medium is rendered by the ``exemplar`` generator.
* Inputs larger than ``tile_size`` are processed in overlapping tiles; the content's channel
  statistics are measured over the whole image first, so every tile is normalised alike and
  no seam appears where tiles meet.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
import torch.nn.functional as F

from .. import encoders, ops
from ..errors import UsageError
from ..core.intent import StyleIntent
from ..core.precision import at_precision, check as check_precision
from ..plugins.protocols import Option, Options
from .texture import STYLE_WEIGHTS, TEXTURE_MEDIA, check_weights, mirror_pad, style_images

DEFAULT_TILE = 1024
#: The encoder the backend uses unless told otherwise: the original VGG-19, with the relu4_1
#: decoder the package ships (trained on CPUs; bilinear upsampling and a lattice term removed
#: the 8-px grid it drew, benchmarks/RESULTS.md). ``encoder="random"`` uses the relu3_1 decoder
#: shipped for the random encoder.
DEFAULT_ENCODER = encoders.DEFAULT
#: Context around each tile, in input pixels: about the receptive field of the AdaIN layer (relu3_1: 40 px; relu4_1: 92 px).
TILE_OVERLAP = 128
#: Mirrored margin around the photo, in pixels (two cells of relu4_1, four of relu3_1).
BORDER = 16


class AdaINBackend:
    """encoder -> AdaIN -> decoder; see the module docstring."""

    name = "adain"
    media = TEXTURE_MEDIA
    priority = 20  # feed-forward; below render (30, media) and magenta (25, style images)
    uses_style_image = True
    applies_look = False
    options = Options(
        Option("alpha", None, "content (0) to style (1) trade-off", shown="the strength"),
        STYLE_WEIGHTS,
        Option("encoder", DEFAULT_ENCODER, "feature encoder"),
        Option("decoder", None, "decoder weights file", shown="the one shipped for the encoder"),
        Option("style_size", 512, "long side the style image is resized to"),
        Option("tile_size", DEFAULT_TILE, "largest side processed in one piece; larger inputs are tiled"),
        Option("progress", False, "show a progress bar over tiles"),
        Option("match_colors", True, "map the output's colours to the style image's colour statistics"),
        Option("precision", "auto", "'float32', 'bfloat16' (encoder and decoder under autocast; AdaIN and the "
               "statistics stay float32), or 'auto': bfloat16 where the device runs it natively"),
    )

    def __init__(self) -> None:
        self._models: dict[tuple, tuple[Any, Any]] = {}
        self._style_cache: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor]] = OrderedDict()
        self.last_notes: list[str] = []

    # ------------------------------------------------------------------------ models
    def models(self, device: torch.device, encoder: str = DEFAULT_ENCODER, decoder: str | None = None, engine: Any = None):
        """(encoder, decoder) on ``device``: the encoder from the engine's shared cache (a
        built-in without an engine), the decoder loaded once; a decoder trained for another
        encoder is refused."""
        key = (str(device), encoder, decoder)
        if key not in self._models:
            from ..nn.decoder import WeightsError, pretrained

            if engine is not None:
                enc = engine.feature_encoder(encoder)
                dec = engine.generator("adain_decoder", encoder=encoder, weights=decoder)
            else:
                from .. import encoders

                enc = encoders.load(encoder).to(device=device, memory_format=torch.channels_last)
                dec = pretrained(encoder, decoder)
            fingerprint = getattr(dec, "encoder_fingerprint", "")
            if fingerprint and fingerprint != enc.fingerprint():
                raise WeightsError(
                    f"decoder weights '{getattr(dec, 'weights_path', decoder)}' were trained for a different "
                    f"'{encoder}' encoder (fingerprint {fingerprint}, this one is {enc.fingerprint()}); "
                    "retrain it with `spokenstyle train adain`"
                )
            dec = dec.to(device=device, memory_format=torch.channels_last).eval().requires_grad_(False)
            self._models[key] = (enc, dec)
        return self._models[key]

    def warmup(self, device) -> None:
        enc, dec = self.models(torch.device(device))
        with torch.no_grad():
            dec(enc(torch.rand(1, 3, 32, 32, device=device), (dec.config.layer,))[dec.config.layer])

    # ----------------------------------------------------------------------- stylize
    @torch.no_grad()
    @options.apply  # the defaults are the Options' above
    def stylize(
        self,
        content: torch.Tensor,
        intent: StyleIntent,
        *,
        style: Any = None,
        seed: int | None = None,
        engine: Any = None,
        alpha: float | None,
        style_weights: Any,
        encoder: str,
        decoder: str | None,
        style_size: int,
        tile_size: int,
        progress: bool,
        match_colors: bool,
        precision: str,
        **_: Any,
    ) -> torch.Tensor:
        precision = check_precision(precision, "adain: precision")
        alpha = intent.strength if alpha is None else alpha
        if not isinstance(alpha, (int, float)) or not 0.0 <= float(alpha) <= 1.0:
            raise UsageError(f"adain: alpha={alpha!r} must be a number between 0 and 1")
        if not isinstance(tile_size, int) or tile_size < 2 * TILE_OVERLAP:
            raise UsageError(f"adain: tile_size={tile_size!r} must be an integer of at least {2 * TILE_OVERLAP}")
        if not isinstance(style_size, int) or not 32 <= style_size <= 4096:
            raise UsageError(f"adain: style_size={style_size!r} must be an integer between 32 and 4096")
        if float(alpha) == 0.0 and intent.strength == 0.0:
            return content
        device = content.device
        enc, dec = self.models(device, encoder, decoder, engine)
        layer = dec.config.layer
        mean, std, palette = self.style_stats(style, intent, enc, layer, engine=engine, seed=seed, size=style_size,
                                              weights=style_weights, device=device, precision=precision)
        h, w = content.shape[-2:]
        # Mirror a margin around the photo: the encoder's zero padding makes atypical features
        # at the border, which the decoder drew as bright or dark lines along the edges.
        x, m = mirror_pad(content.float(), BORDER)
        x = x.contiguous(memory_format=torch.channels_last)
        enc_at, dec_at = at_precision(enc, precision), at_precision(dec, precision)
        if max(x.shape[-2:]) <= tile_size:
            out = self._whole(x, enc_at, dec_at, dec.scale, layer, mean, std, float(alpha))
        else:
            out = self._tiled(x, enc_at, dec_at, dec.scale, layer, mean, std, float(alpha), tile_size, progress)
        out = out[..., m : m + h, m : m + w]
        if match_colors:
            # The random-feature decoder gets textures right before colours; the style's colour
            # mean and covariance (Oklab a, b) fix its palette exactly, at alpha's proportion.
            from ..image.color import match_color_statistics

            matched = match_color_statistics(palette, out.contiguous())
            out = torch.lerp(out, matched, float(alpha)) if alpha < 1.0 else matched
        return out.to(content.dtype).contiguous()

    def style_stats(self, style, intent, enc, layer, *, engine, seed, size, weights, device, precision="float32"):
        """Blended channel mean/std of the style image(s) at ``layer``, and the image whose
        colours the output takes (the most weighted one); exemplars are cached."""
        key = None
        if style is None and intent.medium:
            key = (id(enc), layer, intent.medium, tuple(intent.palette or ()), seed, size, str(device), precision)
            if key in self._style_cache:
                self._style_cache.move_to_end(key)
                return self._style_cache[key]
        images, _source = style_images(style, intent, backend=self.name, engine=engine, seed=seed, size=size, device=device)
        w = check_weights(weights, len(images), self.name)
        mean = std = None
        palette = images[max(range(len(w)), key=w.__getitem__)]
        enc_at = at_precision(enc, precision)
        for weight, img in zip(w, images):
            img = _pad_to(img.contiguous(memory_format=torch.channels_last), enc.stride(layer))[0]
            m, s = ops.calc_mean_std(enc_at(img, (layer,))[layer])
            mean = weight * m if mean is None else mean + weight * m
            std = weight * s if std is None else std + weight * s
        if key is not None:
            self._style_cache[key] = (mean, std, palette)
            while len(self._style_cache) > 8:
                self._style_cache.popitem(last=False)
        return mean, std, palette

    @staticmethod
    def _whole(x, enc, dec, scale, layer, mean, std, alpha):
        padded, (h, w) = _pad_to(x, scale)
        fc = enc(padded, (layer,))[layer]
        n = fc.shape[0]
        t = ops.adain(fc, mean.expand(n, -1, -1, -1), std.expand(n, -1, -1, -1))
        if alpha < 1.0:
            t = torch.lerp(fc, t, alpha)
        return dec(t)[..., :h, :w]

    @staticmethod
    def _tiled(x, enc, dec, scale, layer, mean, std, alpha, tile_size, progress):
        """Encode tiles and stitch their features (feathered), normalise the whole feature map
        with its global statistics, then decode tiles and stitch the pixels."""
        from tqdm import tqdm

        from ..image.tiling import TileAccumulator, TileGrid

        s = scale
        padded, (h, w) = _pad_to(x, s)
        grid = TileGrid(padded.shape[-2], padded.shape[-1], tile_size, TILE_OVERLAP, multiple=s)
        feats = wsum = None
        bar = tqdm(total=2 * len(grid), desc="adain tiles", unit="tile", disable=not progress, leave=False)
        for box in grid:
            f = enc(padded[box.index], (layer,))[layer]
            wgt = grid.weight(box, device=f.device, dtype=f.dtype)[s // 2 :: s, s // 2 :: s]
            if feats is None:
                feats = f.new_zeros(f.shape[0], f.shape[1], padded.shape[-2] // s, padded.shape[-1] // s)
                wsum = f.new_zeros(feats.shape[-2:])
            region = (slice(box.top // s, box.bottom // s), slice(box.left // s, box.right // s))
            feats[..., region[0], region[1]] += f * wgt
            wsum[region] += wgt
            bar.update(1)
        feats /= wsum
        n = feats.shape[0]
        t = ops.adain(feats, mean.expand(n, -1, -1, -1), std.expand(n, -1, -1, -1))
        if alpha < 1.0:
            t = torch.lerp(feats, t, alpha)
        del feats
        acc = TileAccumulator(grid)
        for box in grid:
            acc.add(box, dec(t[..., box.top // s : box.bottom // s, box.left // s : box.right // s]))
            bar.update(1)
        bar.close()
        return acc.result()[..., :h, :w]


def _pad_to(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Reflect-pad the bottom/right of ``x`` to a multiple of ``multiple``; returns the original size."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        mode = "reflect" if ph < h and pw < w else "replicate"
        x = F.pad(x, (0, pw, 0, ph), mode=mode)
    return x, (h, w)
