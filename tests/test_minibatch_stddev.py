"""minibatch_stddev: StyleGAN2 semantics against the reference, group handling, layouts, dtypes,
opcheck, first and second derivatives (R1 penalty), torch.compile, argument errors, CUDA."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import spokenstyle.ops as ops
from _oputils import DEVICES, cuda_free_bytes, needs_extension, requires_cuda, tol

pytestmark = needs_extension()

OPS = torch.ops.spokenstyle if ops.AVAILABLE else None


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


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_half_computed_in_float32(dtype):
    x = torch.randn(4, 4, 6, 6).to(dtype)
    out = ops.minibatch_stddev(x)
    assert out.dtype == dtype
    torch.testing.assert_close(out, ops.minibatch_stddev(x.float()).to(dtype))


def test_gradients_match_reference():
    x = torch.randn(8, 6, 4, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(8, 8, 4, 4, dtype=torch.float64)
    got = torch.autograd.grad((ops.minibatch_stddev(x, 4, 2) * w).sum(), x)[0]
    want = torch.autograd.grad((ops.minibatch_stddev_reference(x, 4, 2) * w).sum(), x)[0]
    torch.testing.assert_close(got, want)


def test_opcheck():
    x = torch.randn(4, 4, 3, 3, dtype=torch.float64, requires_grad=True)
    torch.library.opcheck(OPS.minibatch_stddev, (x, 2, 2, 1e-8))
    g = torch.randn(4, 6, 3, 3, dtype=torch.float64, requires_grad=True)
    torch.library.opcheck(OPS.minibatch_stddev_backward, (g, x, 2, 2, 1e-8))


@pytest.mark.parametrize("group_size,num_channels", [(4, 1), (2, 2), (8, 1)])
def test_gradcheck(group_size, num_channels):
    x = torch.randn(4, 4, 3, 2, dtype=torch.float64, requires_grad=True)
    f = lambda t: ops.minibatch_stddev(t, group_size, num_channels, eps=1e-4)  # noqa: E731
    assert gradcheck(f, (x,))
    assert gradgradcheck(f, (x,))


def test_r1_style_double_backward_matches_reference():
    x = torch.randn(4, 3, 4, 4, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 4, 4, 4, dtype=torch.float64)

    def r1(fn):
        (g,) = torch.autograd.grad((fn(x) * w).sum(), x, create_graph=True)
        return torch.autograd.grad(g.square().sum(), x)[0]

    torch.testing.assert_close(r1(ops.minibatch_stddev), r1(ops.minibatch_stddev_reference))


def test_torch_compile_fullgraph():
    @torch.compile(fullgraph=True, dynamic=False)
    def f(x):
        return ops.minibatch_stddev(x, 2).square().sum()

    x = torch.randn(4, 3, 5, 5, requires_grad=True)
    loss = f(x)
    ref = ops.minibatch_stddev_reference(x, 2).square().sum()
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(torch.autograd.grad(loss, x)[0], torch.autograd.grad(ref, x)[0])


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="x must be 4-D"):
        ops.minibatch_stddev(torch.randn(4, 3, 5))
    with pytest.raises(TypeError, match="x must be a floating-point"):
        ops.minibatch_stddev(torch.ones(4, 3, 2, 2, dtype=torch.int64))
    with pytest.raises(ValueError, match="batch size 6 of x is not divisible by the group size 4"):
        ops.minibatch_stddev(torch.randn(6, 3, 2, 2))
    with pytest.raises(ValueError, match="not divisible by num_channels=2"):
        ops.minibatch_stddev(torch.randn(4, 3, 2, 2), num_channels=2)
    with pytest.raises(ValueError, match="group_size must be an integer >= 1"):
        ops.minibatch_stddev(torch.randn(4, 3, 2, 2), group_size=0)
    with pytest.raises(RuntimeError, match="minibatch_stddev: the batch size 6 of x is not divisible"):
        OPS.minibatch_stddev(torch.randn(6, 3, 2, 2), 4, 1, 1e-8)
    with pytest.raises(RuntimeError, match="minibatch_stddev_backward: grad must have shape"):
        OPS.minibatch_stddev_backward(torch.randn(4, 3, 2, 2), torch.randn(4, 3, 2, 2), 4, 1, 1e-8)


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_cuda_matches_cpu(dtype):
    x = torch.randn(8, 32, 24, 24, dtype=torch.float64)
    w = torch.randn(8, 34, 24, 24, dtype=torch.float64)
    xd = x.to("cuda", dtype).requires_grad_()
    out = ops.minibatch_stddev(xd, 4, 2)
    low = dtype in (torch.float16, torch.bfloat16)
    t = dict(rtol=2e-2, atol=2e-2) if low else tol(dtype)
    torch.testing.assert_close(out.double().cpu(), oracle(x, 4, 2), **t)
    (gd,) = torch.autograd.grad(out, xd, w.to("cuda", dtype))
    xc = x.clone().requires_grad_()
    (gc,) = torch.autograd.grad(ops.minibatch_stddev(xc, 4, 2), xc, w)
    torch.testing.assert_close(gd.double().cpu(), gc, **t)
    torch.library.opcheck(OPS.minibatch_stddev, (xd.detach().double().requires_grad_(), 4, 2, 1e-8))


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
