"""upfirdn2d forward+backward against the eager composite (zero-insert reshape/pad, pad/crop,
depthwise conv2d with the flipped filter, strided slice: spokenstyle.ops.upfirdn2d_reference)
and torch.compile of it, at the discriminator's blur-downsample and the generator's upsample."""

import pytest
import torch

import spokenstyle.ops as ops

from _benchutils import compiled, run_fwd_bwd

FIR = ops.fir_filter([1, 3, 3, 1])
# name: (shape, up, down, padding)
CASES = {
    "blur-down2 8x128x64x64": ((8, 128, 64, 64), 1, 2, (1, 1, 1, 1)),
    "up2 8x256x32x32": ((8, 256, 32, 32), 2, 1, (2, 1, 2, 1)),
}


def _fns(up, down, pad):
    f = FIR * (up * up)

    def fused(x):
        return ops.upfirdn2d(x, f, up, down, pad)

    def composite(x):
        return ops.upfirdn2d_reference(x, f, up, down, pad)

    return {"spokenstyle": lambda: fused, "eager": lambda: composite, "compile": lambda: compiled(composite)}


@pytest.mark.parametrize("impl", ["spokenstyle", "eager", "compile"])
@pytest.mark.parametrize("case", list(CASES))
def test_upfirdn2d_fwd_bwd_cpu(benchmark, case, impl):
    shape, up, down, pad = CASES[case]
    benchmark.group = f"upfirdn2d fwd+bwd cpu float32 {case}"
    x = torch.randn(shape, requires_grad=True)
    fns = _fns(up, down, pad)
    ref = fns["eager"]()(x)
    g = torch.randn_like(ref)
    fn = fns[impl]()
    got = run_fwd_bwd(fn, (x,), g)  # also warms up / compiles
    torch.testing.assert_close(got, ref.detach(), atol=1e-5, rtol=1e-5)
    benchmark.pedantic(run_fwd_bwd, args=(fn, (x,), g), rounds=10, iterations=1, warmup_rounds=2)


@pytest.mark.cuda
@pytest.mark.parametrize("impl", ["spokenstyle", "eager", "compile"])
@pytest.mark.parametrize("case", list(CASES))
def test_upfirdn2d_fwd_bwd_cuda(benchmark, sync, case, impl):
    shape, up, down, pad = CASES[case]
    benchmark.group = f"upfirdn2d fwd+bwd cuda float32 {case}"
    x = torch.randn(shape, device="cuda", requires_grad=True)
    fns = _fns(up, down, pad)
    fn = fns[impl]()
    g = torch.randn_like(fn(x))
    run_fwd_bwd(fn, (x,), g)

    def step():
        run_fwd_bwd(fn, (x,), g)
        sync()

    benchmark.pedantic(step, rounds=50, iterations=1, warmup_rounds=5)
