"""Gatys style loss forward+backward at the VGG19 relu1_1 ... relu5_1 feature sizes of a 512x512
image, against the eager composite (bmm Gram, MSE against the target) and torch.compile of it."""

import pytest
import torch
import torch.nn.functional as F

from spokenstyle.ops import gram, style_loss

from _benchutils import compiled, run_fwd_bwd

SIZES = {
    "relu1_1 1x64x512x512": (1, 64, 512, 512),
    "relu2_1 1x128x256x256": (1, 128, 256, 256),
    "relu3_1 1x256x128x128": (1, 256, 128, 128),
    "relu4_1 1x512x64x64": (1, 512, 64, 64),
    "relu5_1 1x512x32x32": (1, 512, 32, 32),
}


def gram_composite(x):
    n, c, h, w = x.shape
    f = x.view(n, c, h * w)
    return torch.bmm(f, f.transpose(1, 2)) / (c * h * w)


def composite(x, target):
    g = gram_composite(x)
    return F.mse_loss(g, target.expand_as(g))


def fused(x, target):
    return style_loss(x, target)


IMPLS = {"spokenstyle": lambda: fused, "eager": lambda: composite, "compile": lambda: compiled(composite)}


def _inputs(shape, device="cpu"):
    x = torch.randn(shape, device=device).relu_().requires_grad_()
    target = gram(torch.randn(shape, device=device).relu_())
    return x, target, torch.tensor(1.0, device=device)


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_style_loss_fwd_bwd_cpu(benchmark, size, impl):
    benchmark.group = f"style_loss fwd+bwd cpu float32 {size}"
    x, target, g = _inputs(SIZES[size])
    fn = IMPLS[impl]()
    want = run_fwd_bwd(composite, (x, target), g).detach()
    got = run_fwd_bwd(fn, (x, target), g)
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-7)
    benchmark.pedantic(run_fwd_bwd, args=(fn, (x, target), g), rounds=8, iterations=1, warmup_rounds=1)


@pytest.mark.cuda
@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_style_loss_fwd_bwd_cuda(benchmark, sync, size, impl):
    benchmark.group = f"style_loss fwd+bwd cuda float32 {size}"
    x, target, g = _inputs(SIZES[size], "cuda")
    fn = IMPLS[impl]()
    run_fwd_bwd(fn, (x, target), g)

    def step():
        run_fwd_bwd(fn, (x, target), g)
        sync()

    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=5)
