"""gram and style_loss: agreement with references, layouts, dtypes, broadcast targets, the
one-GEMM backward, opcheck, first and second derivatives, torch.compile, argument errors, CUDA."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import spokenstyle.ops as ops
from _oputils import DEVICES, count_ops, needs_extension, requires_cuda, tol

pytestmark = needs_extension()

OPS = torch.ops.spokenstyle if ops.AVAILABLE else None
GEMMS = ("aten::bmm", "aten::baddbmm", "aten::baddbmm_", "aten::mm", "aten::addmm", "aten::matmul")


def oracle_gram(x, normalize=True):
    f = x.detach().double().reshape(x.shape[0], x.shape[1], -1)
    g = torch.einsum("ncs,nds->ncd", f, f)
    return g / (f.shape[1] * f.shape[2]) if normalize else g


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(2, 3, 5, 7), (2, 4, 9), (3, 1, 4, 4), (1, 8, 1, 1)])
@pytest.mark.parametrize("normalize", [True, False])
def test_gram_matches_oracle(device, dtype, shape, normalize):
    x = torch.randn(shape, dtype=dtype, device=device)
    g = ops.gram(x, normalize)
    assert g.shape == (shape[0], shape[1], shape[1]) and g.dtype == dtype
    torch.testing.assert_close(g.double().cpu(), oracle_gram(x, normalize).cpu(), **tol(dtype))
    torch.testing.assert_close(g, ops.gram_reference(x, normalize), **tol(dtype))


@pytest.mark.parametrize("device", DEVICES)
def test_layouts(device):
    x = torch.randn(2, 6, 5, 7, dtype=torch.float64, device=device)
    t = ops.gram(torch.randn(1, 6, 3, 3, dtype=torch.float64, device=device))
    want = ops.gram_reference(x)
    w = torch.randn(2, 6, 6, dtype=torch.float64, device=device)
    xr = x.clone().requires_grad_()
    want_grad = torch.autograd.grad((ops.gram_reference(xr) * w).sum(), xr)[0]
    want_loss_grad = torch.autograd.grad(ops.style_loss_reference(xr, t), xr)[0]
    variants = {
        "channels_last": x.contiguous(memory_format=torch.channels_last),
        "strided": torch.randn(2, 12, 5, 9, dtype=torch.float64, device=device)[:, ::2, :, 1:-1].copy_(x),
    }
    for name, xv in variants.items():
        torch.testing.assert_close(ops.gram(xv), want, msg=name)
        xg = xv.detach().clone().requires_grad_()
        (grad,) = torch.autograd.grad((ops.gram(xg) * w).sum(), xg)
        torch.testing.assert_close(grad, want_grad, msg=name)
        (lg,) = torch.autograd.grad(ops.style_loss(xg, t), xg)
        torch.testing.assert_close(lg, want_loss_grad, msg=name)
        if name == "channels_last":
            assert grad.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("target_batch", [1, 3])
def test_style_loss_matches_reference(device, target_batch):
    x = torch.randn(3, 5, 6, 6, dtype=torch.float64, device=device, requires_grad=True)
    t = (ops.gram(torch.randn(target_batch, 5, 8, 8, dtype=torch.float64, device=device)) + 0.01).requires_grad_()
    loss = ops.style_loss(x, t)
    ref = ((oracle_gram(x) - t.detach().double()) ** 2).mean()
    assert loss.dim() == 0
    torch.testing.assert_close(loss, ref)
    got = torch.autograd.grad(loss, (x, t))
    want = torch.autograd.grad(ops.style_loss_reference(x, t), (x, t))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)


def test_non_symmetric_target_gradient():
    x = torch.randn(2, 4, 5, dtype=torch.float64, requires_grad=True)
    t = torch.randn(2, 4, 4, dtype=torch.float64, requires_grad=True)  # not a Gram matrix
    got = torch.autograd.grad(ops.style_loss(x, t, normalize=False), (x, t))
    want = torch.autograd.grad(ops.style_loss_reference(x, t, normalize=False), (x, t))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_half_computed_in_float32(dtype):
    x = torch.randn(2, 4, 8, 8).to(dtype)
    g = ops.gram(x)
    assert g.dtype == dtype
    torch.testing.assert_close(g, ops.gram(x.float()).to(dtype))
    t = ops.gram(torch.randn(1, 4, 8, 8)).to(dtype)
    loss = ops.style_loss(x, t)
    assert loss.dtype == dtype
    torch.testing.assert_close(loss.float(), ops.style_loss(x.float(), t.float()), **tol(dtype))


def test_backward_is_one_gemm():
    x = torch.randn(2, 16, 32, 32, requires_grad=True)
    t = ops.gram(torch.randn(1, 16, 32, 32))
    loss = ops.style_loss(x, t)
    assert count_ops(lambda: loss.backward(), GEMMS) == 1
    x.grad = None
    loss = ops.style_loss_reference(x, t)
    assert count_ops(lambda: loss.backward(), GEMMS) >= 2  # what autograd through bmm(F, Fᵀ) does
    assert count_ops(lambda: ops.style_loss(x.detach(), t), GEMMS) == 1


def test_opcheck():
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, requires_grad=True)
    xcl = torch.randn(2, 3, 4, 5, dtype=torch.float64).to(memory_format=torch.channels_last).requires_grad_()
    t = torch.randn(1, 3, 3, dtype=torch.float64, requires_grad=True)
    for xx in (x, xcl):
        for normalize in (True, False):
            torch.library.opcheck(OPS.gram, (xx, normalize))
            g = torch.randn(2, 3, 3, dtype=torch.float64, requires_grad=True)
            torch.library.opcheck(OPS.gram_backward, (g, xx, normalize))
            torch.library.opcheck(OPS.style_loss, (xx, t, normalize))


def test_gradcheck():
    x = torch.randn(2, 3, 4, 3, dtype=torch.float64, requires_grad=True)
    t = torch.randn(1, 3, 3, dtype=torch.float64, requires_grad=True)
    for normalize in (True, False):
        assert gradcheck(lambda a: ops.gram(a, normalize), (x,))
        assert gradgradcheck(lambda a: ops.gram(a, normalize), (x,))
        assert gradcheck(lambda a, b: ops.style_loss(a, b, normalize), (x, t))
        assert gradgradcheck(lambda a, b: ops.style_loss(a, b, normalize), (x, t))


def test_torch_compile_fullgraph():
    @torch.compile(fullgraph=True, dynamic=False)
    def f(x, t):
        return ops.style_loss(x, t) + ops.gram(x).sum()

    x = torch.randn(2, 4, 6, 6, requires_grad=True)
    t = ops.gram(torch.randn(1, 4, 6, 6))
    loss = f(x, t)
    ref = ops.style_loss_reference(x, t) + ops.gram_reference(x).sum()
    torch.testing.assert_close(loss, ref)
    torch.testing.assert_close(torch.autograd.grad(loss, x)[0], torch.autograd.grad(ref, x)[0], rtol=1e-4, atol=1e-6)


def test_bad_arguments_name_the_argument():
    x = torch.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match="x must be 4-D"):
        ops.gram(torch.randn(3, 4))
    with pytest.raises(TypeError, match="x must be a floating-point"):
        ops.gram(torch.ones(2, 3, 4, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"target_gram must have shape \(2 or 1, 3, 3\)"):
        ops.style_loss(x, torch.randn(2, 4, 4))
    with pytest.raises(ValueError, match="target_gram must have shape"):
        ops.style_loss(x, torch.randn(3, 3, 3))
    with pytest.raises(TypeError, match="target_gram must be a floating-point"):
        ops.style_loss(x, torch.ones(1, 3, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match="target_gram is on meta but x is on cpu"):
        ops.style_loss(x, torch.empty(1, 3, 3, device="meta"))
    with pytest.raises(RuntimeError, match="style_loss: target_gram must have shape"):
        OPS.style_loss(x, torch.randn(1, 2, 2), True)
    with pytest.raises(RuntimeError, match="gram_backward: grad must have shape"):
        OPS.gram_backward(torch.randn(2, 4, 4), x, True)


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_cuda_matches_cpu(dtype, layout):
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    x = torch.randn(3, 64, 40, 40, dtype=torch.float64)
    t = oracle_gram(torch.randn(1, 64, 40, 40, dtype=torch.float64))
    xd = x.to("cuda", dtype).contiguous(memory_format=fmt).requires_grad_()
    loss = ops.style_loss(xd, t.to("cuda", dtype))
    xc = x.clone().requires_grad_()
    ref = ops.style_loss(xc, t)
    low = dtype in (torch.float16, torch.bfloat16)
    torch.testing.assert_close(loss.double().cpu(), ref.detach(), rtol=3e-2 if low else 1e-5, atol=1e-6 if not low else 1e-4)
    (gd,) = torch.autograd.grad(loss, xd)
    (gc,) = torch.autograd.grad(ref, xc)
    torch.testing.assert_close(gd.double().cpu(), gc, rtol=5e-2 if low else 1e-4, atol=1e-7 if not low else 1e-5)
    torch.testing.assert_close(ops.gram(xd).double().cpu(), oracle_gram(x), rtol=3e-2 if low else 1e-5, atol=1e-3 if low else 1e-6)
    if layout == "channels_last":
        assert gd.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.cuda
@requires_cuda
def test_cuda_opcheck():
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64, device="cuda", requires_grad=True)
    t = torch.randn(1, 3, 3, dtype=torch.float64, device="cuda", requires_grad=True)
    torch.library.opcheck(OPS.gram, (x, True))
    torch.library.opcheck(OPS.gram_backward, (torch.randn(2, 3, 3, dtype=torch.float64, device="cuda"), x, True))
    torch.library.opcheck(OPS.style_loss, (x, t, True))
