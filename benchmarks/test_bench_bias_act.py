"""bias_act forward+backward against the eager composite F.leaky_relu(x + b, 0.2) * sqrt(2) and
torch.compile of it, at discriminator sizes; on CUDA, forward throughput against copy bandwidth."""

import math

import pytest
import torch
import torch.nn.functional as F

from spokenstyle.ops import bias_act

from _benchutils import compiled, copy_bandwidth_gbs, run_fwd_bwd

SIZES = {"16x512x32x32": (16, 512, 32, 32), "16x128x128x128": (16, 128, 128, 128)}
GAIN = math.sqrt(2)


def composite(x, b):
    return F.leaky_relu(x + b.view(1, -1, 1, 1), 0.2) * GAIN


def fused(x, b):
    return bias_act(x, b, 1, "lrelu")


IMPLS = {"spokenstyle": lambda: fused, "eager": lambda: composite, "compile": lambda: compiled(composite)}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_bias_act_fwd_bwd_cpu(benchmark, size, impl):
    benchmark.group = f"bias_act fwd+bwd cpu float32 {size}"
    x = torch.randn(SIZES[size], requires_grad=True)
    b = torch.randn(SIZES[size][1], requires_grad=True)
    g = torch.randn(SIZES[size])
    fn = IMPLS[impl]()
    want = run_fwd_bwd(composite, (x, b), g).detach()
    got = run_fwd_bwd(fn, (x, b), g)  # also warms up / compiles
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    benchmark.pedantic(run_fwd_bwd, args=(fn, (x, b), g), rounds=10, iterations=1, warmup_rounds=2)


@pytest.mark.cuda
@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_bias_act_fwd_bwd_cuda(benchmark, sync, size, impl):
    benchmark.group = f"bias_act fwd+bwd cuda float32 {size}"
    x = torch.randn(SIZES[size], device="cuda", requires_grad=True)
    b = torch.randn(SIZES[size][1], device="cuda", requires_grad=True)
    g = torch.randn(SIZES[size], device="cuda")
    fn = IMPLS[impl]()
    run_fwd_bwd(fn, (x, b), g)

    def step():
        run_fwd_bwd(fn, (x, b), g)
        sync()

    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=5)


@pytest.mark.cuda
@pytest.mark.parametrize("size", list(SIZES))
def test_bias_act_forward_bandwidth_cuda(benchmark, sync, size):
    """Forward reads x and writes y: its bandwidth as a fraction of a plain device copy."""
    benchmark.group = f"bias_act fwd cuda bandwidth {size}"
    x = torch.randn(SIZES[size], device="cuda")
    b = torch.randn(SIZES[size][1], device="cuda")
    copy = copy_bandwidth_gbs(x.numel())

    def step():
        fused(x, b)
        sync()

    benchmark.pedantic(step, rounds=100, iterations=1, warmup_rounds=10)
    achieved = 2 * x.numel() * x.element_size() / benchmark.stats.stats.median / 1e9
    benchmark.extra_info.update(copy_gbs=copy, achieved_gbs=achieved, fraction_of_copy=achieved / copy)
