"""calc_mean_std and adain: kernels against references and independent oracles, layouts, edge
planes, dtypes, operator registration (opcheck), first and second derivatives, torch.compile,
argument errors, and CUDA (when present) including a >2^31-element case."""

from __future__ import annotations

import pytest
import torch
from torch.autograd import gradcheck, gradgradcheck

import spokenstyle.ops as ops
from _oputils import CUDA, DEVICES, cuda_free_bytes, needs_extension, requires_cuda, tol

pytestmark = needs_extension()

OPS = torch.ops.spokenstyle if ops.AVAILABLE else None


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


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_half_computed_in_float32(dtype):
    x = torch.randn(2, 3, 8, 8).to(dtype)
    style = torch.randn(1, 3, 5, 5).to(dtype)
    out = ops.adain(x, style)
    assert out.dtype == dtype
    torch.testing.assert_close(out, ops.adain(x.float(), style.float()).to(dtype))
    m, s = ops.calc_mean_std(x)
    assert m.dtype == dtype
    torch.testing.assert_close(s.float(), ops.calc_mean_std(x.float())[1], **tol(dtype))
    xg = x.clone().requires_grad_()
    ops.adain(xg, style).sum().backward()
    assert xg.grad.dtype == dtype


# ---- operator registration -----------------------------------------------------------------


def _opcheck_samples(device):
    x = torch.randn(2, 3, 5, 4, device=device, dtype=torch.float64, requires_grad=True)
    xcl = torch.randn(2, 3, 5, 4, device=device, dtype=torch.float64).to(memory_format=torch.channels_last)
    sm = torch.randn(1, 3, 1, 1, device=device, dtype=torch.float64, requires_grad=True)
    ss = torch.rand(2, 3, 1, 1, device=device, dtype=torch.float64, requires_grad=True)
    return x, xcl.requires_grad_(), sm, ss


@pytest.mark.parametrize("device", DEVICES)
def test_opcheck(device):
    x, xcl, sm, ss = _opcheck_samples(device)
    for xx in (x, xcl):
        torch.library.opcheck(OPS.calc_mean_std, (xx, 1e-5, True))
        torch.library.opcheck(OPS.adain, (xx, sm, ss, 1e-5))
        g = torch.randn_like(xx)
        torch.library.opcheck(OPS.adain_backward, (g.requires_grad_(), xx, sm, ss, 1e-5))
        m, s = OPS.calc_mean_std(xx.detach(), 1e-5, False)
        gm, gs = torch.randn_like(m).requires_grad_(), torch.randn_like(s).requires_grad_()
        torch.library.opcheck(OPS.calc_mean_std_backward, (gm, gs, xx, m, s, False))


def test_gradcheck_calc_mean_std():
    for shape in [(2, 3, 4, 5), (2, 2, 7), (2, 2, 1, 1)]:
        x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
        for unbiased in (True, False):
            f = lambda t: ops.calc_mean_std(t, 1e-3, unbiased)  # noqa: E731
            assert gradcheck(f, (x,))
            assert gradgradcheck(f, (x,))


@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
def test_gradcheck_adain(layout):
    x = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    if layout == "channels_last":
        x = x.contiguous(memory_format=torch.channels_last)
    x.requires_grad_()
    sm = torch.randn(2, 3, 1, 1, dtype=torch.float64, requires_grad=True)
    ss = (torch.rand(1, 3, 1, 1, dtype=torch.float64) + 0.5).requires_grad_()
    f = lambda a, b, c: ops.adain(a, b, c, 1e-3)  # noqa: E731
    assert gradcheck(f, (x, sm, ss))
    assert gradgradcheck(f, (x, sm, ss))
    style = torch.randn(1, 3, 3, 6, dtype=torch.float64, requires_grad=True)
    g = lambda a, s: ops.adain(a, s, eps=1e-3)  # noqa: E731
    assert gradcheck(g, (x, style))
    assert gradgradcheck(g, (x, style))


def test_gradients_match_reference():
    x = torch.randn(4, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    style = torch.randn(1, 3, 9, 9, dtype=torch.float64, requires_grad=True)
    w = torch.randn(4, 3, 6, 6, dtype=torch.float64)
    got = torch.autograd.grad((ops.adain(x, style) * w).sum(), (x, style))
    want = torch.autograd.grad((ops.adain_reference(x, style) * w).sum(), (x, style))
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b)


def test_torch_compile_fullgraph():
    @torch.compile(fullgraph=True, dynamic=False)
    def f(c, s):
        return ops.adain(c, s).square().mean()

    c = torch.randn(2, 3, 8, 8, requires_grad=True)
    s = torch.randn(1, 3, 6, 6, requires_grad=True)
    loss = f(c, s)
    got = torch.autograd.grad(loss, (c, s))
    want = torch.autograd.grad(ops.adain_reference(c, s).square().mean(), (c, s))
    torch.testing.assert_close(loss, ops.adain_reference(c, s).square().mean())
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)


# ---- errors --------------------------------------------------------------------------------


def test_bad_arguments_name_the_argument():
    x = torch.randn(2, 3, 4, 4)
    with pytest.raises(ValueError, match="x must be 4-D"):
        ops.calc_mean_std(torch.randn(3, 4))
    with pytest.raises(TypeError, match="x must be a floating-point"):
        ops.calc_mean_std(torch.ones(2, 3, 4, 4, dtype=torch.int64))
    with pytest.raises(TypeError, match="content must be a floating-point"):
        ops.adain(torch.ones(2, 3, 4, 4, dtype=torch.int32), x)
    with pytest.raises(ValueError, match="content must be 4-D"):
        ops.adain(torch.randn(2, 3, 4, 4, 4), x)
    with pytest.raises(ValueError, match="style has 4 channels but content has 3"):
        ops.adain(x, torch.randn(2, 4, 4, 4))
    with pytest.raises(ValueError, match="style has batch 3"):
        ops.adain(x, torch.randn(3, 3, 4, 4))
    with pytest.raises(ValueError, match="style_mean must hold one value per"):
        ops.adain(x, torch.randn(2, 4, 1, 1), torch.rand(2, 3, 1, 1))
    with pytest.raises(ValueError, match="style_std must hold one value per"):
        ops.adain(x, torch.randn(2, 3, 1, 1), torch.rand(2, 3, 2, 1))
    with pytest.raises(ValueError, match="style_mean is on meta but content is on cpu"):
        ops.adain(x, torch.empty(2, 3, 1, 1, device="meta"), torch.rand(2, 3, 1, 1))
    with pytest.raises(ValueError, match="eps must be >= 0"):
        ops.calc_mean_std(x, eps=-1.0)
    with pytest.raises(ValueError, match="empty planes"):
        ops.calc_mean_std(torch.randn(2, 3, 0, 4))
    # The C++ operators check too, naming the argument.
    with pytest.raises(RuntimeError, match="adain: style_std must hold one value per"):
        OPS.adain(x, torch.randn(2, 3, 1, 1), torch.rand(2, 5, 1, 1), 1e-5)
    with pytest.raises(RuntimeError, match="calc_mean_std: x must be 4-D"):
        OPS.calc_mean_std(torch.randn(2, 3), 1e-5, True)
    with pytest.raises(RuntimeError, match="style_mean has dtype Double but content has Float"):
        OPS.adain(x, torch.randn(2, 3, 1, 1, dtype=torch.float64), torch.rand(2, 3, 1, 1), 1e-5)


# ---- CUDA ----------------------------------------------------------------------------------


@pytest.mark.cuda
@requires_cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last"])
@pytest.mark.parametrize("shape", [(2, 3, 37, 29), (4, 64, 128, 128), (1, 2, 1, 1), (1, 3, 700, 700)])
def test_cuda_matches_cpu(dtype, layout, shape):
    x = torch.randn(shape, dtype=torch.float64) * 2 + 1
    style = torch.randn((1,) + shape[1:], dtype=torch.float64)
    g = torch.randn(shape, dtype=torch.float64)
    fmt = torch.channels_last if layout == "channels_last" else torch.contiguous_format
    xd = x.to("cuda", dtype).contiguous(memory_format=fmt).requires_grad_()
    sd = style.to("cuda", dtype).requires_grad_()
    out = ops.adain(xd, sd)
    ref = oracle_adain(xd.detach().cpu(), *oracle_mean_std(sd.detach().cpu()))
    t = tol(dtype) if dtype in (torch.float32, torch.float64) else dict(rtol=2e-2, atol=5e-2)
    torch.testing.assert_close(out.double().cpu(), ref, **t)
    gx, gs = torch.autograd.grad(out, (xd, sd), g.to("cuda", dtype))
    xc = xd.detach().cpu().double().requires_grad_()
    sc = sd.detach().cpu().double().requires_grad_()
    rx, rs = torch.autograd.grad(ops.adain(xc, sc), (xc, sc), g)
    tg = t if dtype in (torch.float32, torch.float64) else dict(rtol=5e-2, atol=2e-1)
    torch.testing.assert_close(gx.double().cpu(), rx, **tg)
    torch.testing.assert_close(gs.double().cpu(), rs, rtol=tg["rtol"], atol=tg["atol"] * max(1, shape[2] * shape[3] / 100))



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
