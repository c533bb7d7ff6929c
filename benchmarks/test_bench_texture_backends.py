"""Which texture backend is fastest: a 512² photo painted as a watercolour by each backend that
renders media, through ``Engine.stylize`` (load excluded: the photo is a tensor; the models are
loaded by the warm-up), with the weights the package ships, same process, same photo.

``adain`` runs at its default precision (bfloat16 autocast where the CPU has native bfloat16)
and in float32; ``transform`` is float32 (its generator has no reduced-precision path);
``gatys`` optimises for its default steps and is timed once (it takes seconds per run).

Run: ``pytest benchmarks/test_bench_texture_backends.py --benchmark-only``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from spokenstyle import Engine
from spokenstyle.image.imageio import load

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "data" / "photos" / "heldout" / "coffee.jpg"
CASES = {
    "transform": ("transform", {}),
    "adain": ("adain", {}),
    "adain-float32": ("adain", {"precision": "float32"}),
    "gatys": ("gatys", {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_texture_backend_512(benchmark, case):
    backend, options = CASES[case]
    if backend == "transform":
        from spokenstyle.nn.transform import default_weights

        if default_weights() is None:
            pytest.skip("no transform weights shipped or set ($SPOKENSTYLE_TRANSFORM_WEIGHTS)")
    engine = Engine(device="cpu")
    x = load(PHOTO)[0].pixels.unsqueeze(0)
    photo = F.interpolate(x, size=(512, 512), mode="bicubic", align_corners=False).clamp(0, 1).contiguous()

    def run():
        return engine.stylize(photo, "watercolor", backend=backend, options=options)

    result = run()  # warm-up: loads the models
    assert result.backends == [backend]
    out = result.tensor
    assert out.shape[-2:] == (512, 512) and float((out - photo[0]).abs().mean()) > 0.02  # it painted
    benchmark.extra_info["threads"] = torch.get_num_threads()
    benchmark.extra_info["backend"] = backend
    benchmark.extra_info["options"] = options
    rounds = 1 if backend == "gatys" else 8
    benchmark.pedantic(run, rounds=rounds, iterations=1, warmup_rounds=0)
