"""The fused residual merge of a discriminator block, (bias_act(x, b) + skip) * sqrt(1/2),
forward+backward, against the same three steps unfused with spokenstyle's own bias_act, the
eager composite (F.leaky_relu(x + b, 0.2) * sqrt(2) + skip) * sqrt(1/2), and torch.compile of it."""

import math

import pytest
import torch
import torch.nn.functional as F

from spokenstyle.ops import bias_act, bias_act_residual

from _benchutils import compiled, run_fwd_bwd

SIZES = {"16x512x32x32": (16, 512, 32, 32), "16x128x64x64": (16, 128, 64, 64)}
GAIN, S = math.sqrt(2), math.sqrt(0.5)


def composite(x, b, r):
    return (F.leaky_relu(x + b.view(1, -1, 1, 1), 0.2) * GAIN + r) * S


def unfused(x, b, r):
    return (bias_act(x, b, 1, "lrelu") + r) * S


def fused(x, b, r):
    return bias_act_residual(x, r, b, 1, "lrelu", scale=S)


IMPLS = {"spokenstyle": lambda: fused, "unfused": lambda: unfused, "eager": lambda: composite,
         "compile": lambda: compiled(composite)}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_bias_act_residual_fwd_bwd_cpu(benchmark, size, impl):
    benchmark.group = f"bias_act_residual fwd+bwd cpu float32 {size}"
    x = torch.randn(SIZES[size], requires_grad=True)
    b = torch.randn(SIZES[size][1], requires_grad=True)
    r = torch.randn(SIZES[size], requires_grad=True)
    g = torch.randn(SIZES[size])
    fn = IMPLS[impl]()
    want = run_fwd_bwd(composite, (x, b, r), g).detach()
    got = run_fwd_bwd(fn, (x, b, r), g)  # also warms up / compiles
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    benchmark.pedantic(run_fwd_bwd, args=(fn, (x, b, r), g), rounds=10, iterations=1, warmup_rounds=2)


@pytest.mark.parametrize("impl", ["spokenstyle", "unfused"])
@pytest.mark.parametrize("size", list(SIZES))
def test_bias_act_residual_fwd_cpu(benchmark, size, impl):
    """Forward alone (a discriminator's inference, and the part the fusion changes)."""
    benchmark.group = f"bias_act_residual fwd cpu float32 {size}"
    x, b, r = torch.randn(SIZES[size]), torch.randn(SIZES[size][1]), torch.randn(SIZES[size])
    fn = IMPLS[impl]()
    torch.testing.assert_close(fn(x, b, r), composite(x, b, r), atol=1e-5, rtol=1e-5)
    benchmark.pedantic(fn, args=(x, b, r), rounds=20, iterations=1, warmup_rounds=2)


@pytest.mark.cuda
@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_bias_act_residual_fwd_bwd_cuda(benchmark, sync, size, impl):
    benchmark.group = f"bias_act_residual fwd+bwd cuda float32 {size}"
    x = torch.randn(SIZES[size], device="cuda", requires_grad=True)
    b = torch.randn(SIZES[size][1], device="cuda", requires_grad=True)
    r = torch.randn(SIZES[size], device="cuda", requires_grad=True)
    g = torch.randn(SIZES[size], device="cuda")
    fn = IMPLS[impl]()
    run_fwd_bwd(fn, (x, b, r), g)

    def step():
        run_fwd_bwd(fn, (x, b, r), g)
        sync()

    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=5)
