"""bias_act semantics: the compiled kernels against the pure-PyTorch reference over every
activation, shape and clamp, the R1 double backward, layouts, vector tails and edge values; and
bias_act_residual, the same with a discriminator block's residual merge. (opcheck, gradcheck,
compile, dtypes and bad input: the conformance harness, _opspecs.BIAS_ACT and BIAS_ACT_RESIDUAL.)"""

import math

import pytest
import torch

import spokenstyle.ops as ops
from spokenstyle.ops import ACTIVATIONS, bias_act, bias_act_reference

from harness.opharness import DEVICES, tol as _tol

pytestmark = pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C was not built")

ACTS = list(ACTIVATIONS)


def _inputs(shape, dim, dtype=torch.float64, device="cpu", requires_grad=False):
    x = torch.randn(shape, dtype=dtype, device=device)
    b = torch.randn(shape[dim], dtype=dtype, device=device)
    return x.requires_grad_(requires_grad), b.requires_grad_(requires_grad)


def test_operator_is_registered_on_import():
    import spokenstyle  # noqa: F401

    assert hasattr(torch.ops.spokenstyle, "bias_act")
    assert hasattr(torch.ops.spokenstyle, "bias_act_backward")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("act", ACTS)
@pytest.mark.parametrize("clamp", [None, 0.7])
@pytest.mark.parametrize(
    "shape,dim",
    [((2, 5, 7, 3), 1), ((1,), 0), ((37,), 0), ((3, 17), -1), ((2, 3, 1, 9), 2), ((4, 1, 3), 1)],
)
def test_forward_and_backward_match_reference(device, act, clamp, shape, dim):
    x, b = _inputs(shape, dim, device=device, requires_grad=True)
    y = bias_act(x, b, dim, act, clamp=clamp)
    xr, br = x.detach().clone().requires_grad_(), b.detach().clone().requires_grad_()
    yr = bias_act_reference(xr, br, dim, act, clamp=clamp)
    torch.testing.assert_close(y, yr, **_tol(torch.float64))
    g = torch.randn_like(y)
    gx, gb = torch.autograd.grad(y, (x, b), g)
    gxr, gbr = torch.autograd.grad(yr, (xr, br), g)
    torch.testing.assert_close(gx, gxr, **_tol(torch.float64))
    torch.testing.assert_close(gb, gbr, **_tol(torch.float64))


def test_third_derivative_is_a_clear_error():
    x, b = _inputs((4, 3), 1, requires_grad=True)
    y = bias_act(x, b, 1, "tanh").sum()
    (gx,) = torch.autograd.grad(y, x, create_graph=True)
    (ggx,) = torch.autograd.grad(gx.sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="second"):
        torch.autograd.grad(ggx.sum(), x)


def test_r1_penalty_double_backward_matches_reference():
    """The use that needs second derivatives: the R1 gradient penalty of a discriminator."""
    w = torch.randn(8, 6, dtype=torch.float64, requires_grad=True)
    b = torch.randn(8, dtype=torch.float64, requires_grad=True)
    real = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)

    def r1(fn):
        score = fn(real @ w.t(), b, 1, "lrelu").sum()
        (g,) = torch.autograd.grad(score, real, create_graph=True)
        return torch.autograd.grad(g.square().sum(), (w, b))

    for got, want in zip(r1(bias_act), r1(bias_act_reference)):
        torch.testing.assert_close(got, want, **_tol(torch.float64))


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("layout", ["channels_last", "transposed", "sliced", "expanded_grad"])
def test_layouts_are_kept_and_correct(device, layout):
    x, b = _inputs((3, 8, 5, 6), 1, dtype=torch.float32, device=device)
    if layout == "channels_last":
        x = x.to(memory_format=torch.channels_last)
    elif layout == "transposed":
        x = x.transpose(1, 3).contiguous().transpose(1, 3)  # dense, permuted
    elif layout == "sliced":
        x = torch.randn(3, 8, 5, 12, device=device)[..., ::2]  # not dense
    x.requires_grad_()
    y = bias_act(x, b, 1, "lrelu")
    torch.testing.assert_close(y, bias_act_reference(x, b, 1, "lrelu"), **_tol(torch.float32))
    if layout != "sliced":
        assert y.stride() == x.stride(), "output must keep the input's memory layout"
    g = torch.randn(()).to(device).expand_as(y) if layout == "expanded_grad" else torch.randn_like(y)
    (gx,) = torch.autograd.grad(y, x, g)
    (gxr,) = torch.autograd.grad(bias_act_reference(x, b, 1, "lrelu"), x, g)
    torch.testing.assert_close(gx, gxr, **_tol(torch.float32))


@pytest.mark.parametrize("n", [1, 7, 8, 9, 15, 16, 17, 4097])
@pytest.mark.parametrize("channels_last", [False, True])
def test_odd_sizes_float32(n, channels_last):
    """Sizes around the vector width, so the partial tails are exercised."""
    x = torch.randn(2, n, 3, 1)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    b = torch.randn(n)
    for act in ("lrelu", "softplus", "selu"):
        torch.testing.assert_close(bias_act(x, b, 1, act), bias_act_reference(x, b, 1, act), **_tol(torch.float32))


def test_no_bias_and_default_gains():
    x = torch.randn(5, 7, dtype=torch.float64)
    for act, spec in ACTIVATIONS.items():
        torch.testing.assert_close(bias_act(x, act=act), spec.func(x, spec.alpha) * spec.gain)
    assert ACTIVATIONS["lrelu"].alpha == 0.2 and ACTIVATIONS["lrelu"].gain == pytest.approx(math.sqrt(2))


def test_extreme_inputs_stay_finite():
    x = torch.tensor([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]).reshape(1, 7)
    for act in ACTS:
        y = bias_act(x, act=act, dim=1)
        torch.testing.assert_close(y, bias_act_reference(x, act=act, dim=1), **_tol(torch.float32))
        assert torch.isfinite(y).all(), act


def test_empty_tensor():
    x = torch.randn(0, 3, 4)
    assert bias_act(x, torch.randn(3), 1).shape == (0, 3, 4)



# ---- bias_act_residual: the residual merge fused into the block's last bias_act -------------


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("act", ["lrelu", "swish", "linear"])
@pytest.mark.parametrize("layout", ["contiguous", "channels_last", "mixed"])
def test_residual_matches_reference(device, act, layout):
    x, b = _inputs((3, 8, 5, 6), 1, device=device)
    r = torch.randn_like(x)
    if layout in ("channels_last", "mixed"):
        x = x.contiguous(memory_format=torch.channels_last)
    if layout == "channels_last":
        r = r.contiguous(memory_format=torch.channels_last)
    for t in (x, b, r):
        t.requires_grad_()
    s = math.sqrt(0.5)
    y = ops.bias_act_residual(x, r, b, 1, act, clamp=2.5, scale=s)
    want = ops.bias_act_residual_reference(x, r, b, 1, act, clamp=2.5, scale=s)
    torch.testing.assert_close(y, want, **_tol(torch.float64))
    # the same as the three unfused ops
    torch.testing.assert_close(y, (bias_act(x, b, 1, act, clamp=2.5) + r) * s, **_tol(torch.float64))
    assert y.stride() == x.stride(), "output must keep x's memory layout"
    g = torch.randn_like(y)
    for got, exp in zip(torch.autograd.grad(y, (x, b, r), g), torch.autograd.grad(want, (x, b, r), g)):
        torch.testing.assert_close(got, exp, **_tol(torch.float64))


def test_residual_r1_double_backward_matches_reference():
    """A residual block's R1 term: d/dθ |d D / d real|², through the fused merge."""
    w = torch.randn(8, 6, dtype=torch.float64, requires_grad=True)
    b = torch.randn(8, dtype=torch.float64, requires_grad=True)
    skip = torch.randn(8, 6, dtype=torch.float64, requires_grad=True)
    real = torch.randn(5, 6, dtype=torch.float64, requires_grad=True)

    def r1(fn):
        score = fn(real @ w.t(), real @ skip.t(), b, 1, "lrelu", scale=math.sqrt(0.5)).sum()
        (g,) = torch.autograd.grad(score, real, create_graph=True)
        return torch.autograd.grad(g.square().sum(), (w, b, skip))

    for got, want in zip(r1(ops.bias_act_residual), r1(ops.bias_act_residual_reference)):
        torch.testing.assert_close(got, want, **_tol(torch.float64))


@pytest.mark.parametrize("n", [1, 7, 9, 17, 4097])
def test_residual_odd_sizes_float32(n):
    x, r, b = torch.randn(2, n, 3, 1), torch.randn(2, n, 3, 1), torch.randn(n)
    torch.testing.assert_close(ops.bias_act_residual(x, r, b, scale=0.7),
                               ops.bias_act_residual_reference(x, r, b, scale=0.7), **_tol(torch.float32))
