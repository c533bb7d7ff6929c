"""The ``adain`` backend, feed-forward, in-process: target under 1 s for a 512² photo on a 2-core
CPU (issue #5). Compared with the same pipeline written eagerly (contiguous layout, AdaIN as
the PyTorch composite), same encoder and decoder, same process.

A 4096² photo is stylized in tiles in a child process, whose peak resident memory is recorded
(`extra_info.peak_rss_gb`): the target is to fit a 24 GB machine.

Run: ``pytest benchmarks/test_bench_adain_backend.py --benchmark-only``.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from spokenstyle import ops
from spokenstyle.builtins.adain import AdaINBackend
from spokenstyle.core.intent import StyleIntent
from spokenstyle.image.imageio import load

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "examples" / "coffee.jpg"
STYLE = REPO / "data" / "photos" / "train" / "gravel.jpg"
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def _square(path: Path, size: int) -> torch.Tensor:
    x = load(path)[0].pixels.unsqueeze(0)
    return F.interpolate(x, size=(size, size), mode="bicubic", align_corners=False).clamp(0, 1).contiguous()


def _eager(backend: AdaINBackend, device, content, style):
    """The same network, written the plain way: NCHW tensors and the eager AdaIN composite."""
    enc, dec = backend.models(device)
    enc_cf = copy.deepcopy(enc).to(device=device, memory_format=torch.contiguous_format)  # same weights, NCHW
    dec_cf = copy.deepcopy(dec).to(device=device, memory_format=torch.contiguous_format)
    layer = dec.config.layer

    def run():
        with torch.no_grad():
            fs = enc_cf(style, (layer,))[layer]
            fc = enc_cf(content, (layer,))[layer]
            return dec_cf(ops.adain_reference(fc, fs))
    return run


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("impl", ["spokenstyle", "eager"])
def test_adain_512(benchmark, impl, device):
    backend = AdaINBackend()
    dev = torch.device(device)
    content = _square(PHOTO, 512).to(dev)
    style = _square(STYLE, 512).to(dev)
    intent = StyleIntent()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if impl == "spokenstyle":
        def call():
            return backend.stylize(content, intent, style=style)
    else:
        call = _eager(backend, dev, content, style)

    def run():
        out = call()
        sync()
        return out

    run()
    benchmark.extra_info.update(pixels=512 * 512, threads=torch.get_num_threads(), style_size=512)
    out = benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
    assert out.shape == content.shape


_CHILD = r"""
import json, resource, sys, time, torch
import torch.nn.functional as F
from spokenstyle.builtins.adain import AdaINBackend, BORDER, TILE_OVERLAP, DEFAULT_TILE
from spokenstyle.core.intent import StyleIntent
from spokenstyle.image.tiling import TileGrid, seam_energy_ratio
from spokenstyle.image.imageio import load
x = load("examples/coffee.jpg")[0].pixels.unsqueeze(0)
x = F.interpolate(x, size=(4096, 4096), mode="bicubic", align_corners=False).clamp(0, 1)
t = time.perf_counter()
backend = AdaINBackend()
out = backend.stylize(x, StyleIntent(medium="oil_painting"), seed=0)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6
# The grid the backend used (mirrored border added), shifted back onto the output.
scale = backend.models(torch.device("cpu"))[1].scale  # the decoder's layer: 4 at relu3_1, 8 at relu4_1
grid = TileGrid(4096 + 2 * BORDER, 4096 + 2 * BORDER, DEFAULT_TILE, TILE_OVERLAP, multiple=scale)
seams = seam_energy_ratio(F.pad(out, (BORDER,) * 4, mode="reflect"), grid)
print(json.dumps({"seconds": seconds, "peak_rss_gb": peak, "shape": list(out.shape), "seam_energy_ratio": seams,
                  "tiles": len(grid)}))
"""


def test_adain_4096_tiled(benchmark):
    def run():
        proc = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, check=True, cwd=REPO)
        return json.loads(proc.stdout.strip().splitlines()[-1])

    result = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
    assert result["shape"] == [1, 3, 4096, 4096]
    assert result["peak_rss_gb"] < 24
