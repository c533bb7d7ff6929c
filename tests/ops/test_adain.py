"""calc_mean_std and adain semantics: kernels against references and independent oracles,
layouts, edge planes, gradients, and (CUDA) a >2^31-element case. (opcheck, gradcheck, compile,
dtypes, bad input and CUDA against the CPU: the conformance harness, _opspecs.ADAIN.)"""

from __future__ import annotations

import pytest
import torch

import spokenstyle.ops as ops
from harness.opharness import DEVICES, cuda_free_bytes, needs_extension, requires_cuda, tol

pytestmark = needs_extension()


def oracle_mean_std(x, eps=1e-5, unbiased=True):
    """Independent float64 oracle: torch.var_mean, with the one-element convention spelled out."""
    n, c = x.shape[:2]
    f = x.detach().double().reshape(n, c, -1)
    if unbiased and f.shape[2] == 1:
        var, mean = torch.zeros_like(f[..., 0]), f[..., 0]
    else:
        var, mean = torch.var_mean(f, dim=2, correction=1 if unbiased else 0)
    shape = (n, c) + (1,) * (x.dim() - 2)
    return mean.reshape(shape), (var + eps).sqrt().reshape(shape)


def oracle_adain(content, style_mean, style_std, eps=1e-5):
    cm, cs = oracle_mean_std(content, eps)
    return (content.double() - cm) / cs * style_std.double() + style_mean.double()


SHAPES = [(2, 3, 5, 7), (2, 3, 11), (3, 1, 4, 4), (2, 4, 1, 1), (1, 2, 1), (2, 5, 33, 65)]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("unbiased", [True, False])
def test_calc_mean_std_matches_oracle(device, dtype, shape, unbiased):
    x = (torch.randn(shape, dtype=torch.float64) * 3 + 2).to(device, dtype)
    mean, std = ops.calc_mean_std(x, eps=1e-5, unbiased=unbiased)
    om, os_ = oracle_mean_std(x, 1e-5, unbiased)
    assert mean.shape == std.shape == om.shape and mean.dtype == dtype
    torch.testing.assert_close(mean.double().cpu(), om.cpu(), **tol(dtype))
    torch.testing.assert_close(std.double().cpu(), os_.cpu(), **tol(dtype))
    rm, rs = ops.calc_mean_std_reference(x, 1e-5, unbiased)
    torch.testing.assert_close(std, rs, **tol(dtype))


def test_one_element_planes_have_zero_variance():
    x = torch.randn(3, 4, 1, 1, dtype=torch.float64, requires_grad=True)
    mean, std = ops.calc_mean_std(x, eps=1e-4)
    torch.testing.assert_close(mean, x.detach())
    torch.testing.assert_close(std, torch.full_like(std, 1e-2))
    (mean.sum() + std.sum()).backward()
    assert torch.isfinite(x.grad).all()
    torch.testing.assert_close(x.grad, torch.ones_like(x))  # d mean = 1, d std = 0
    style = torch.randn(1, 4, 3, 3, dtype=torch.float64)
    out = ops.adain(x.detach(), style)
    sm, _ = ops.calc_mean_std(style)
    torch.testing.assert_close(out, sm.expand_as(out))  # normalised content is 0


@pytest.mark.parametrize("device", DEVICES)
def test_constant_planes(device):
    x = torch.full((2, 3, 8, 8), 5.0, device=device, requires_grad=True)
    sm, ss = torch.randn(2, 3, 1, 1, device=device), torch.rand(2, 3, 1, 1, device=device) + 0.5
    out = ops.adain(x, sm, ss)
    torch.testing.assert_close(out, sm.expand_as(out))
    _, std = ops.calc_mean_std(x)
    torch.testing.assert_close(std, torch.full_like(std, 1e-5**0.5))
    out.square().sum().backward()
    assert torch.isfinite(x.grad).all()


def test_long_plane_accuracy_float32():
    # 2^20 elements far from zero: a naive float32 sum-of-squares would lose the variance.
    x = torch.randn(1, 2, 1024, 1024, dtype=torch.float64) * 0.01 + 1000.0
    mean, std = ops.calc_mean_std(x.float())
    om, os_ = oracle_mean_std(x.float())
    torch.testing.assert_close(mean.double(), om, rtol=1e-7, atol=0)
    torch.testing.assert_close(std.double(), os_, rtol=1e-4, atol=0)


def _layouts(x):
    yield "contiguous", x
    yield "channels_last", x.contiguous(memory_format=torch.channels_last)
    big = torch.randn(x.shape[0], x.shape[1] * 2, x.shape[2] + 3, x.shape[3], dtype=x.dtype, device=x.device)
    v = big[:, ::2, 1:-2]
    v.copy_(x)
    yield "strided", v
    yield "permuted", x.transpose(2, 3).contiguous().transpose(2, 3)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("c", [1, 3, 70])  # 70 > one channel block of the channels_last CPU path
def test_layouts_agree(device, c):
    x = torch.randn(2, c, 6, 5, dtype=torch.float64, device=device)
    style = torch.randn(1, c, 4, 9, dtype=torch.float64, device=device)
    expected = ops.adain_reference(x, style)
    em, es = ops.calc_mean_std_reference(x)
    g = torch.randn_like(x)
    ref_grad = None
    for name, xl in _layouts(x):
        out = ops.adain(xl, style)
        torch.testing.assert_close(out, expected, msg=name)
        if name == "channels_last" and c > 1:
            assert out.is_contiguous(memory_format=torch.channels_last)
        m, s = ops.calc_mean_std(xl)
        torch.testing.assert_close(m, em, msg=name)
        torch.testing.assert_close(s, es, msg=name)
        xg = xl.detach().clone().requires_grad_()
        (grad,) = torch.autograd.grad(ops.adain(xg, style), xg, g)
        ref_grad = grad if ref_grad is None else ref_grad
        torch.testing.assert_close(grad, ref_grad, msg=name)


def test_adain_call_forms_and_broadcast():
    content = torch.randn(3, 4, 6, 6, dtype=torch.float64)
    style = torch.randn(3, 4, 10, 7, dtype=torch.float64)  # different spatial size
    sm, ss = oracle_mean_std(style)
    torch.testing.assert_close(ops.adain(content, style), oracle_adain(content, sm, ss))
    torch.testing.assert_close(ops.adain(content, sm, ss), oracle_adain(content, sm, ss))
    torch.testing.assert_close(ops.adain(content, sm.reshape(3, 4), ss.reshape(3, 4)), oracle_adain(content, sm, ss))
    torch.testing.assert_close(ops.adain(content, style, eps=1e-2), ops.adain_reference(content, style, eps=1e-2))
    torch.testing.assert_close(ops.adain(content, style, 1e-2), ops.adain_reference(content, style, eps=1e-2))
    one = style[:1]
    m1, s1 = oracle_mean_std(one)
    torch.testing.assert_close(ops.adain(content, one), oracle_adain(content, m1, s1))
    # Mixed: batch-1 mean with a per-sample std.
    torch.testing.assert_close(ops.adain(content, m1, ss), oracle_adain(content, m1, ss))
    # The output has the style statistics.
    om, os_ = oracle_mean_std(ops.adain(content, style), eps=0)
    torch.testing.assert_close(om, sm)
    torch.testing.assert_close(os_, ss, rtol=1e-5, atol=1e-5)


def test_gradients_match_reference():
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    style = torch.randn(1, 3, 9, 9, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    got = torch.autograd.grad((ops.adain(x, style) * w).sum(), (x, style))
    want = torch.autograd.grad((ops.adain_reference(x, style) * w).sum(), (x, style))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)


# ---- CUDA ----------------------------------------------------------------------------------


@pytest.mark.cuda
@requires_cuda
@pytest.mark.slow
def test_cuda_large_index():
    """More than 2^31 elements: 64-bit indexing in the Welford, two-sum and affine kernels."""
    plane = (1 << 30) + 17
    n_el = 2 * plane
    if cuda_free_bytes() < 6 * n_el * 2 + (1 << 30):
        pytest.skip("not enough GPU memory for a >2^31-element case")
    x = torch.zeros(1, 2, plane, device="cuda", dtype=torch.float16)
    x[0, 1, -1] = 1000.0  # lives past element 2^31
    mean, std = ops.calc_mean_std(x, eps=0.0)
    assert mean[0, 0].item() == 0.0 and std[0, 0].item() == 0.0
    exp_mean = 1000.0 / plane
    exp_std = ((1000.0**2 - plane * exp_mean**2) / (plane - 1)) ** 0.5
    assert mean[0, 1].item() == pytest.approx(exp_mean, rel=1e-3)
    assert std[0, 1].item() == pytest.approx(exp_std, rel=1e-3)
    sm = torch.zeros(1, 2, 1, device="cuda", dtype=torch.float16)
    ss = torch.ones(1, 2, 1, device="cuda", dtype=torch.float16)
    x.requires_grad_()
    out = ops.adain(x, sm, ss, eps=0.0)
    assert out[0, 1, -1].item() == pytest.approx((1000.0 - exp_mean) / exp_std, rel=1e-2)
    del out
    g = torch.zeros_like(x)
    g[0, 1, -1] = 1.0
    (gx,) = torch.autograd.grad(ops.adain(x, sm, ss, eps=0.0), x, g)
    assert torch.isfinite(gx[0, 1, -8:].float()).all()
    assert gx[0, 1, -1].item() != 0.0
