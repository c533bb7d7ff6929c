"""The `grade` backend on a 1024x1024 photo, in-process (no decode/encode): target < 100 ms on
a 2-core CPU. Run: ``pytest benchmarks/test_bench_grade.py --benchmark-only``."""

from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from spokenstyle.builtins.grade import grade
from spokenstyle.builtins.lexicon import LexiconEncoder
from spokenstyle.image.imageio import load

PHOTO = Path(__file__).resolve().parent.parent / "examples" / "coffee.jpg"

PROMPTS = {
    "warm+contrast": "暖一点，对比度高一点",
    "dreamy": "make it warmer, kinda dreamy",
    "vintage_film": "来点复古胶片感，别太暗",
    "everything": "warmer, more contrast, faded, grainy, vignette, sharper, lift the shadows, vivid, cinematic",
    "black_and_white": "black and white",
}

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(scope="module")
def photo_1024():
    x = load(PHOTO)[0].pixels.unsqueeze(0)
    return F.interpolate(x, size=(1024, 1024), mode="bicubic", align_corners=False).clamp(0, 1).contiguous()


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("look", list(PROMPTS))
def test_grade_1024(benchmark, photo_1024, look, device):
    intent = LexiconEncoder().encode(PROMPTS[look])
    x = photo_1024.to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def run():
        out = grade(x, intent, seed=0)
        sync()
        return out

    run()  # warm-up (first-call allocations)
    benchmark.extra_info.update(pixels=1024 * 1024, threads=torch.get_num_threads(), prompt=PROMPTS[look])
    out = benchmark.pedantic(run, rounds=15, iterations=1, warmup_rounds=2)
    assert out.shape == x.shape and not torch.equal(out, x)
