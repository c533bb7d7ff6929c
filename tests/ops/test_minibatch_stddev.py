"""minibatch_stddev semantics: StyleGAN2's layer against a loop-by-loop oracle, group handling,
layouts, gradients, the R1 double backward and (CUDA) a >2^31-element case. (opcheck,
gradcheck, compile, dtypes, bad input and CUDA against the CPU: the conformance harness,
_opspecs.MINIBATCH_STDDEV.)"""

from __future__ import annotations

import pytest
import torch

import spokenstyle.ops as ops
from harness.opharness import DEVICES, cuda_free_bytes, needs_extension, requires_cuda, tol

pytestmark = needs_extension()


def oracle(x, group_size=4, num_channels=1, eps=1e-8):
    """Loop-by-loop float64 statement of StyleGAN2's minibatch stddev."""
    x = x.detach().double().cpu()
    n, c, h, w = x.shape
    g = min(group_size, n)
    groups = n // g
    cs = c // num_channels
    out = torch.empty(n, c + num_channels, h, w, dtype=torch.float64)
    out[:, :c] = x
    for j in range(groups):
        members = [i for i in range(n) if i % groups == j]
        assert len(members) == g
        xs = x[members]  # (g, c, h, w)
        for f in range(num_channels):
            sl = xs[:, f * cs:(f + 1) * cs]
            v = ((sl - sl.mean(0)) ** 2).mean(0)
            out[members, c + f] = (v + eps).sqrt().mean()
    return out


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "n,group_size,num_channels",
    [(8, 4, 1), (8, 2, 2), (4, 8, 1), (1, 4, 1), (6, 3, 4), (12, 4, 2)],
)
def test_matches_oracle(device, dtype, n, group_size, num_channels):
    x = torch.randn(n, 8, 5, 3, dtype=dtype, device=device)
    out = ops.minibatch_stddev(x, group_size, num_channels)
    assert out.shape == (n, 8 + num_channels, 5, 3) and out.dtype == dtype
    torch.testing.assert_close(out.double().cpu(), oracle(x, group_size, num_channels), **tol(dtype))
    torch.testing.assert_close(out, ops.minibatch_stddev_reference(x, group_size, num_channels), **tol(dtype))


def test_long_columns_and_layouts():
    x = torch.randn(4, 16, 40, 40, dtype=torch.float64)  # K = 25600 > one CPU chunk
    want = oracle(x)
    torch.testing.assert_close(ops.minibatch_stddev(x), want)
    torch.testing.assert_close(ops.minibatch_stddev(x.contiguous(memory_format=torch.channels_last)), want)
    big = torch.randn(4, 32, 40, 41, dtype=torch.float64)
    v = big[:, ::2, :, 1:]
    v.copy_(x)
    torch.testing.assert_close(ops.minibatch_stddev(v), want)


def test_constant_batch():
    x = torch.ones(4, 3, 2, 2)
    out = ops.minibatch_stddev(x, eps=1e-8)
    torch.testing.assert_close(out[:, 3], torch.full((4, 2, 2), 1e-4))


def test_gradients_match_reference():
    x = torch.randn(8, 6, 4, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(8, 8, 4, 4, dtype=torch.float64)
    got = torch.autograd.grad((ops.minibatch_stddev(x, 4, 2) * w).sum(), x)[0]
    want = torch.autograd.grad((ops.minibatch_stddev_reference(x, 4, 2) * w).sum(), x)[0]
    torch.testing.assert_close(got, want)


def test_r1_style_double_backward_matches_reference():
    x = torch.randn(4, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 4, 4, 4, dtype=torch.float64)

    def r1(fn):
        (g,) = torch.autograd.grad((fn(x) * w).sum(), x, create_graph=True)
        return torch.autograd.grad(g.square().sum(), x)[0]

    torch.testing.assert_close(r1(ops.minibatch_stddev), r1(ops.minibatch_stddev_reference))


@pytest.mark.cuda
@requires_cuda
@pytest.mark.slow
def test_cuda_large_index():
    n, c, h, w = 4, 2, 16384, 16385  # 2^31 + 2^17 elements of input
    if cuda_free_bytes() < 3 * n * (c + 1) * h * w * 2 + (1 << 30):
        pytest.skip("not enough GPU memory for a >2^31-element case")
    x = torch.zeros(n, c, h, w, device="cuda", dtype=torch.float16)
    x[0, 1, -1, -1] = 8.0  # past element 2^31 of the output, in group member 0 of group 0
    out = ops.minibatch_stddev(x, 4, 1, eps=0.0)
    assert out[0, 1, -1, -1].item() == 8.0
    expected = (((8.0 - 2.0) ** 2 + 3 * 2.0**2) / 4) ** 0.5 / (c * h * w)  # one non-zero position
    assert out[3, 2, -1, -1].item() == pytest.approx(expected, rel=1e-2)
