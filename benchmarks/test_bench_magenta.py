"""Magenta's painting networks: spokenstyle's modules (float32, bfloat16, and ``torch.compile``
of the same module) against onnxruntime running the wheel's own
ONNX files (the int8-activation graph as shipped, and the 26-style float graph), same process,
same photo, same threads: the arbitrary transformer at 384² (the ONNX graph's fixed input
size), the 26-style network at 512², the predictor at 256². bfloat16 is fast only where the CPU
has native bfloat16 (on an AVX2 CPU oneDNN falls back to a slow convolution). The style vector is computed once outside the timing for the
arbitrary network (a style image is predicted once per batch; the predictor is timed apart).

Run: ``pytest benchmarks/test_bench_magenta.py --benchmark-only``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from spokenstyle.image.imageio import load
from spokenstyle.nn import magenta, magenta_weights

REPO = Path(__file__).resolve().parent.parent
PHOTO = REPO / "data" / "photos" / "heldout" / "coffee.jpg"
STYLE = REPO / "examples" / "painting.jpg"
SIDE = 512
SIDE_ARBITRARY = 384  # arbitrary_transform.onnx takes 384x384 only


def _square(path: Path, side: int) -> torch.Tensor:
    x = load(path)[0].pixels.unsqueeze(0)
    return F.interpolate(x, size=(side, side), mode="bicubic", align_corners=False).clamp(0, 1).contiguous()


def _session(name: str):
    ort = pytest.importorskip("onnxruntime")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.log_severity_level = torch.get_num_threads(), 3
    return ort.InferenceSession(str(magenta_weights.find(name).path), opts, providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def inputs():
    photo = _square(PHOTO, SIDE)
    vector = magenta.style_vector(_square(STYLE, 256))
    return photo, vector


@pytest.mark.parametrize("impl", ["spokenstyle", "spokenstyle-bfloat16", "compile", "onnxruntime-int8"])
def test_arbitrary_transform_384(benchmark, inputs, impl):
    _, vector = inputs
    photo = _square(PHOTO, SIDE_ARBITRARY)
    if impl == "onnxruntime-int8":
        session = _session("arbitrary_transform")
        feeds = {"content_image": photo.permute(0, 2, 3, 1).numpy().copy(),
                 "mobilenet_conv/Conv/BiasAdd": vector.numpy().reshape(1, 1, 1, 100)}

        def run():
            return session.run(None, feeds)[0]
    elif impl == "compile":
        net = torch.compile(magenta.pretrained("arbitrary_transform"), fullgraph=False)

        def run():
            with torch.no_grad():
                return net(photo, vector, None)
    else:
        dtype = torch.bfloat16 if impl.endswith("bfloat16") else torch.float32

        def run():
            return magenta.stylize(photo, vector, dtype=dtype)

    out = run()  # warm-up: weights converted/cached, graphs compiled
    side = SIDE_ARBITRARY
    assert tuple(out.shape)[1:] in ((3, side, side), (side, side, 3))  # NCHW (torch) or NHWC (the ONNX graph)
    benchmark.extra_info.update(threads=torch.get_num_threads(), impl=impl, side=side)
    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("impl", ["spokenstyle", "onnxruntime"])
def test_multistyle26_512(benchmark, inputs, impl):
    photo, _ = inputs
    weights = magenta.parse_styles("style19")
    if impl == "onnxruntime":
        session = _session("multistyle26")
        feeds = {"image": photo.numpy(), "style_weights": weights.numpy().astype(np.float32)}

        def run():
            return session.run(None, feeds)[0]
    else:
        def run():
            return magenta.multistyle(photo, "style19")

    run()
    benchmark.extra_info.update(threads=torch.get_num_threads(), impl=impl, side=SIDE)
    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)


@pytest.mark.parametrize("impl", ["spokenstyle", "onnxruntime-int8"])
def test_arbitrary_predict_256(benchmark, impl):
    style = _square(STYLE, 256)
    if impl == "onnxruntime-int8":
        session = _session("arbitrary_predict")
        feeds = {"style_image": style.permute(0, 2, 3, 1).numpy().copy()}

        def run():
            return session.run(None, feeds)[0]
    else:
        def run():
            return magenta.style_vector(style)

    run()
    benchmark.extra_info.update(threads=torch.get_num_threads(), impl=impl, side=256)
    benchmark.pedantic(run, rounds=5, iterations=1, warmup_rounds=1)
