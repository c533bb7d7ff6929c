"""gram and style_loss semantics: agreement with references, layouts, broadcast targets and the
one-GEMM backward. (opcheck, gradcheck, compile, dtypes, bad input and CUDA against the CPU: the
conformance harness, _opspecs.GRAM.)"""

from __future__ import annotations

import pytest
import torch

import spokenstyle.ops as ops
from harness.opharness import DEVICES, count_ops, needs_extension, tol

pytestmark = needs_extension()
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


def test_backward_is_one_gemm():
    x = torch.randn(2, 16, 32, 32, requires_grad=True)
    t = ops.gram(torch.randn(1, 16, 32, 32))
    loss = ops.style_loss(x, t)
    assert count_ops(lambda: loss.backward(), GEMMS) == 1
    x.grad = None
    loss = ops.style_loss_reference(x, t)
    assert count_ops(lambda: loss.backward(), GEMMS) >= 2  # what autograd through bmm(F, Fᵀ) does
    assert count_ops(lambda: ops.style_loss(x.detach(), t), GEMMS) == 1

