"""bias_act: the compiled kernels against the pure-PyTorch reference, opcheck, gradients to
second order, layouts, dtypes and bad input."""

import math

import pytest
import torch

import spokenstyle.ops as ops
from spokenstyle.ops import ACTIVATIONS, bias_act, bias_act_reference

from _oputils import tol as _tol

pytestmark = pytest.mark.skipif(not ops.AVAILABLE, reason="spokenstyle._C was not built")

ACTS = list(ACTIVATIONS)
DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.cuda)]


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


@pytest.mark.parametrize("act", ACTS)
def test_gradcheck_and_gradgradcheck(act):
    x, b = _inputs((2, 3, 4, 5), 1, requires_grad=True)
    # keep away from the kinks of relu/lrelu/elu, where finite differences are meaningless
    with torch.no_grad():
        x += torch.sign(x) * 0.05
        b.zero_()
    f = lambda x, b: bias_act(x, b, 1, act)  # noqa: E731
    assert torch.autograd.gradcheck(f, (x, b))
    assert torch.autograd.gradgradcheck(f, (x, b))


def test_gradgradcheck_with_clamp():
    x, b = _inputs((3, 4, 5), 1, requires_grad=True)
    with torch.no_grad():
        x.mul_(3.0)
    f = lambda x, b: bias_act(x, b, 1, "tanh", gain=3.0, clamp=2.0)  # noqa: E731
    # nudge values off the clamp boundary
    with torch.no_grad():
        y = bias_act_reference(x, b, 1, "tanh", gain=3.0)
        x[(y.abs() - 2.0).abs() < 1e-2] += 0.1
    assert torch.autograd.gradcheck(f, (x, b))
    assert torch.autograd.gradgradcheck(f, (x, b))


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
def test_opcheck(device):
    x, b = _inputs((2, 6, 5, 4), 1, dtype=torch.float32, device=device, requires_grad=True)
    cl = x.detach().to(memory_format=torch.channels_last).requires_grad_()
    for args in [
        (x, b, 1, "lrelu", 0.2, math.sqrt(2), None),
        (cl, b, 1, "swish", 0.0, 1.0, 0.5),
        (x, None, 1, "tanh", 0.0, 1.0, None),
        (x, b[:4].detach().clone().requires_grad_(), 3, "elu", 1.0, 1.0, None),
    ]:
        torch.library.opcheck(torch.ops.spokenstyle.bias_act.default, args)
    g = torch.randn_like(x).requires_grad_()
    backward = torch.ops.spokenstyle.bias_act_backward.default
    torch.library.opcheck(backward, (g, x, b, 1, "softplus", 0.0, 1.0, 3.0, 1))
    # order 2 is the highest derivative implemented, so its own backward is not checked
    torch.library.opcheck(backward, (g, x, b, 1, "softplus", 0.0, 1.0, 3.0, 2),
                          test_utils=("test_schema", "test_faketensor"))


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


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_cpu_half_precision_computes_in_float32(dtype):
    x, b = _inputs((4, 16, 9), 1, dtype=dtype)
    y = bias_act(x, b, 1, "lrelu")
    assert y.dtype == dtype
    want = bias_act_reference(x.float(), b.float(), 1, "lrelu").to(dtype)
    torch.testing.assert_close(y, want, **_tol(dtype))


@pytest.mark.cuda
@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("act", ACTS)
def test_cuda_dtypes(dtype, act):
    x, b = _inputs((4, 32, 9, 7), 1, dtype=dtype, device="cuda", requires_grad=True)
    y = bias_act(x, b, 1, act, clamp=4.0)
    want = bias_act_reference(x.detach().float(), b.detach().float(), 1, act, clamp=4.0)
    torch.testing.assert_close(y.float(), want, **_tol(dtype))
    y.sum().backward()
    assert x.grad.dtype == dtype and torch.isfinite(x.grad.float()).all()


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


def test_torch_compile_fullgraph_has_no_graph_breaks():
    x, b = _inputs((4, 8, 6, 6), 1, dtype=torch.float32, requires_grad=True)

    def layer(x, b):
        return bias_act(x * 2.0, b, 1, "lrelu", clamp=256.0).square().mean()

    torch._dynamo.reset()
    compiled = torch.compile(layer, fullgraph=True, backend="aot_eager")
    loss = compiled(x, b)
    gx, gb = torch.autograd.grad(loss, (x, b))
    want = layer(x, b)
    wx, wb = torch.autograd.grad(want, (x, b))
    torch.testing.assert_close(loss, want)
    torch.testing.assert_close(gx, wx)
    torch.testing.assert_close(gb, wb)


class TestBadInput:
    def test_bias_length(self):
        with pytest.raises(ValueError, match=r"\bb\b.*x.shape\[1\] = 4"):
            bias_act(torch.randn(2, 4, 3), torch.randn(5))

    def test_dim_out_of_range(self):
        with pytest.raises(IndexError, match="dim=3"):
            bias_act(torch.randn(2, 4, 3), torch.randn(4), dim=3)

    @pytest.mark.parametrize("dtype", [torch.int32, torch.int64, torch.complex64, torch.bool])
    def test_integer_and_complex_dtypes(self, dtype):
        x = torch.ones(2, 3, dtype=dtype)
        with pytest.raises(TypeError, match=r"^x must be a floating-point tensor"):
            bias_act(x)

    def test_integer_bias(self):
        with pytest.raises(TypeError, match=r"^b must be a floating-point"):
            bias_act(torch.randn(2, 3), torch.ones(3, dtype=torch.int64))

    def test_unknown_activation(self):
        with pytest.raises(ValueError, match="act='gelu'.*lrelu"):
            bias_act(torch.randn(2, 3), act="gelu")

    def test_negative_clamp(self):
        with pytest.raises(ValueError, match="clamp"):
            bias_act(torch.randn(2, 3), clamp=-1)

    def test_not_a_tensor(self):
        with pytest.raises(TypeError, match="^x must be a torch.Tensor"):
            bias_act([1.0, 2.0])

    @pytest.mark.cuda
    def test_different_devices(self):
        with pytest.raises(ValueError, match="b is on cpu but x is on cuda"):
            bias_act(torch.randn(2, 3, device="cuda"), torch.randn(3))

    def test_raw_operator_checks_too(self):
        """Calling torch.ops directly (no Python wrapper) still gets a clear error, never a crash."""
        with pytest.raises(RuntimeError, match="b has 5 elements but x.shape\\[1\\] is 4"):
            torch.ops.spokenstyle.bias_act(torch.randn(2, 4), torch.randn(5), 1, "lrelu", 0.2, 1.0, None)
        with pytest.raises(RuntimeError, match="unknown act 'nope'"):
            torch.ops.spokenstyle.bias_act(torch.randn(2, 4), None, 1, "nope", 0.2, 1.0, None)
        with pytest.raises(RuntimeError, match="floating-point"):
            torch.ops.spokenstyle.bias_act(torch.ones(2, 4, dtype=torch.int32), None, 1, "lrelu", 0.2, 1.0, None)
