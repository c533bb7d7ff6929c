"""minibatch_stddev forward+backward against StyleGAN2's composite (the reference implementation)
and torch.compile of it, at StyleGAN2 discriminator sizes."""

import pytest
import torch

from spokenstyle.ops import minibatch_stddev, minibatch_stddev_reference

from _benchutils import compiled, run_fwd_bwd

# The 4x4 epilogue of a StyleGAN2 discriminator at batch 32, and a larger map for a bandwidth view.
SIZES = {"32x512x4x4": (32, 512, 4, 4), "32x256x32x32": (32, 256, 32, 32)}


def composite(x):
    return minibatch_stddev_reference(x, 4, 1)


def fused(x):
    return minibatch_stddev(x, 4, 1)


IMPLS = {"spokenstyle": lambda: fused, "eager": lambda: composite, "compile": lambda: compiled(composite)}


@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_mbstd_fwd_bwd_cpu(benchmark, size, impl):
    benchmark.group = f"minibatch_stddev fwd+bwd cpu float32 {size}"
    shape = SIZES[size]
    x = torch.randn(shape, requires_grad=True)
    g = torch.randn(shape[0], shape[1] + 1, shape[2], shape[3])
    fn = IMPLS[impl]()
    want = run_fwd_bwd(composite, (x,), g).detach()
    got = run_fwd_bwd(fn, (x,), g)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    benchmark.pedantic(run_fwd_bwd, args=(fn, (x,), g), rounds=20, iterations=1, warmup_rounds=2)


@pytest.mark.cuda
@pytest.mark.parametrize("impl", list(IMPLS))
@pytest.mark.parametrize("size", list(SIZES))
def test_mbstd_fwd_bwd_cuda(benchmark, sync, size, impl):
    benchmark.group = f"minibatch_stddev fwd+bwd cuda float32 {size}"
    shape = SIZES[size]
    x = torch.randn(shape, device="cuda", requires_grad=True)
    g = torch.randn(shape[0], shape[1] + 1, shape[2], shape[3], device="cuda")
    fn = IMPLS[impl]()
    run_fwd_bwd(fn, (x,), g)

    def step():
        run_fwd_bwd(fn, (x,), g)
        sync()

    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=5)
