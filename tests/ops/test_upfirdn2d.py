"""upfirdn2d semantics: the kernels against a float64 oracle written from DESIGN.md's definition
(zero insertion, pad/crop, true convolution, decimation), odd sizes, negative padding, up/down 2,
separable and non-separable filters; gradients against the reference; the StyleGAN2 uses
(blur-downsample halves, upsample doubles, a constant stays constant); R1's double backward.
(opcheck, gradcheck, compile, dtypes, bad input, CUDA: the conformance harness, _opspecs.UPFIRDN2D.)"""

from __future__ import annotations

import itertools

import pytest
import torch

import spokenstyle.ops as ops
from harness.opharness import DEVICES, needs_extension, tol

pytestmark = needs_extension()

F64 = torch.float64


def _xy(v):
    return v if isinstance(v, tuple) else (v, v)


def oracle(x, f, up=1, down=1, padding=(0, 0, 0, 0)):
    """Step by step in float64, no convolution routine: u = zero-inserted, padded/cropped x;
    y[oy, ox] = sum_k f[fh-1-ky, fw-1-kx] u[oy*down + ky, ox*down + kx]."""
    x, f = x.detach().double().cpu(), f.detach().double().cpu()
    if f.dim() == 1:
        f = torch.outer(f, f)
    (upx, upy), (dx, dy) = _xy(up), _xy(down)
    px0, px1, py0, py1 = padding
    n, c, h, w = x.shape
    z = torch.zeros(n, c, h * upy, w * upx, dtype=F64)
    z[:, :, ::upy, ::upx] = x
    hp, wp = h * upy + py0 + py1, w * upx + px0 + px1
    fh, fw = f.shape
    if hp < fh or wp < fw:
        return None  # no valid output position
    u = torch.zeros(n, c, hp, wp, dtype=F64)
    for i in range(hp):
        si = i - py0
        if not 0 <= si < h * upy:
            continue
        for j in range(wp):
            sj = j - px0
            if 0 <= sj < w * upx:
                u[:, :, i, j] = z[:, :, si, sj]
    oh, ow = (hp - fh) // dy + 1, (wp - fw) // dx + 1
    y = torch.zeros(n, c, oh, ow, dtype=F64)
    for ky, kx in itertools.product(range(fh), range(fw)):
        y += f[fh - 1 - ky, fw - 1 - kx] * u[:, :, ky: ky + (oh - 1) * dy + 1: dy, kx: kx + (ow - 1) * dx + 1: dx]
    return y


SEPARABLE = [1.0, 3.0, 3.0, 1.0]
NON_SEPARABLE = [[0.5, -1.0], [2.0, 0.25], [1.0, 0.75]]  # 3x2, rank 2
CONFIGS = [
    (1, 1, (0, 0, 0, 0)),
    (1, 1, (1, 2, 2, 1)),
    (2, 1, (2, 1, 2, 1)),
    (1, 2, (1, 1, 1, 1)),
    (2, 2, (0, 1, -1, 2)),
    (1, 1, (-2, -1, 1, -1)),
    ((2, 1), (1, 2), (-1, 0, 1, 1)),
    (3, 2, (1, 1, 0, 2)),
]


def _filter(kind, dtype=F64, device="cpu"):
    if kind == "separable":
        return torch.tensor(SEPARABLE, dtype=dtype, device=device)  # 1-D taps: outer(taps, taps)
    if kind == "non_separable":
        return torch.tensor(NON_SEPARABLE, dtype=dtype, device=device)
    return torch.tensor([[1.5]], dtype=dtype, device=device)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", [torch.float32, F64])
@pytest.mark.parametrize("kind", ["separable", "non_separable", "1x1"])
@pytest.mark.parametrize("up,down,padding", CONFIGS)
@pytest.mark.parametrize("shape", [(2, 3, 7, 9), (1, 2, 5, 1), (1, 1, 17, 12)])
def test_matches_float64_oracle(device, dtype, kind, up, down, padding, shape):
    x = torch.randn(shape, dtype=dtype, device=device)
    f = _filter(kind, dtype, device)
    want = oracle(x, f, up, down, padding)
    if want is None:
        with pytest.raises(ValueError, match="would be empty"):
            ops.upfirdn2d(x, f, up, down, padding)
        return
    got = ops.upfirdn2d(x, f, up, down, padding)
    assert got.shape == want.shape and got.dtype == dtype and got.device.type == device
    torch.testing.assert_close(got.double().cpu(), want, **tol(dtype))
    torch.testing.assert_close(got, ops.upfirdn2d_reference(x, f, up, down, padding), **tol(dtype))


@pytest.mark.parametrize("kind", ["separable", "non_separable"])
@pytest.mark.parametrize("up,down,padding", CONFIGS)
def test_gradient_matches_reference(kind, up, down, padding):
    """The backward (upfirdn2d with the flipped filter, up/down swapped) against autograd
    through the pure-PyTorch composite."""
    x = torch.randn(2, 3, 9, 8, dtype=F64, requires_grad=True)
    f = _filter(kind)
    y = ops.upfirdn2d(x, f, up, down, padding)
    g = torch.randn_like(y)
    (got,) = torch.autograd.grad(y, x, g)
    (want,) = torch.autograd.grad(ops.upfirdn2d_reference(x, f, up, down, padding), x, g)
    torch.testing.assert_close(got, want, **tol(F64))


def test_separable_taps_equal_their_outer_product():
    x = torch.randn(2, 3, 10, 11, dtype=F64)
    taps = torch.tensor(SEPARABLE, dtype=F64)
    torch.testing.assert_close(ops.upfirdn2d(x, taps, 1, 2, 1), ops.upfirdn2d(x, torch.outer(taps, taps), 1, 2, 1))


@pytest.mark.parametrize("device", DEVICES)
def test_stylegan2_resampling_uses(device):
    """Blur-downsample halves the size, upsample (gain up^2) doubles it, and a constant image
    stays the same constant away from the zero padding, with a normalised filter."""
    f = ops.fir_filter([1, 3, 3, 1], device=device)
    x = torch.full((2, 3, 16, 16), 0.75, device=device)
    down = ops.upfirdn2d(x, f, down=2, padding=1)
    assert down.shape == (2, 3, 8, 8)
    torch.testing.assert_close(down[:, :, 1:-1, 1:-1], torch.full_like(down[:, :, 1:-1, 1:-1], 0.75))
    up = ops.upfirdn2d(x, f * 4, up=2, padding=(2, 1, 2, 1))
    assert up.shape == (2, 3, 32, 32)
    torch.testing.assert_close(up[:, :, 2:-2, 2:-2], torch.full_like(up[:, :, 2:-2, 2:-2], 0.75))
    blur = ops.upfirdn2d(x, f, padding=(2, 1, 2, 1))
    assert blur.shape == x.shape
    torch.testing.assert_close(blur[:, :, 2:-2, 2:-2], x[:, :, 2:-2, 2:-2])


def test_layouts_and_views_give_the_same_result():
    x = torch.randn(2, 5, 12, 10, dtype=F64)
    f = _filter("non_separable")
    want = ops.upfirdn2d(x, f, 2, 2, (1, 0, 0, 1))
    cl = x.contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(ops.upfirdn2d(cl, f, 2, 2, (1, 0, 0, 1)), want)
    big = torch.randn(2, 10, 12, 13, dtype=F64)
    view = big[:, ::2, :, 2:12]
    view.copy_(x)
    torch.testing.assert_close(ops.upfirdn2d(view, f, 2, 2, (1, 0, 0, 1)), want)


def test_r1_double_backward_matches_reference():
    """R1 needs d/dθ of |d D / d x|²: a double backward through upfirdn2d."""
    real = torch.randn(3, 2, 12, 12, dtype=F64, requires_grad=True)
    w = torch.randn(2, 2, 3, 3, dtype=F64, requires_grad=True)
    f = ops.fir_filter([1, 3, 3, 1], dtype=F64)

    def r1(fir):
        h = torch.nn.functional.conv2d(real, w, padding=1)
        h = fir(torch.tanh(h), f, 1, 2, 1)  # blur-downsample
        score = (fir(h, f * 4, 2, 1, (2, 1, 2, 1)) ** 2).sum()
        (g,) = torch.autograd.grad(score, real, create_graph=True)
        return torch.autograd.grad(g.square().sum(), w)[0]

    torch.testing.assert_close(r1(ops.upfirdn2d), r1(ops.upfirdn2d_reference), **tol(F64))


def test_filter_gets_no_gradient_and_says_so():
    x = torch.randn(1, 1, 6, 6, requires_grad=True)
    f = ops.fir_filter([1, 2, 1])
    y = ops.upfirdn2d(x, f, 1, 2, 1)
    y.sum().backward()
    assert x.grad is not None and f.grad is None
    with torch.no_grad():  # a filter that requires grad is fine where no graph is built
        ops.upfirdn2d(x, f.clone().requires_grad_(), 1, 2, 1)


def test_empty_batch():
    f = ops.fir_filter([1, 3, 3, 1])
    assert ops.upfirdn2d(torch.randn(0, 3, 8, 8), f, 1, 2, 1).shape == (0, 3, 4, 4)
    assert ops.upfirdn2d(torch.randn(2, 0, 8, 8), f, 2, 1, (2, 1, 2, 1)).shape == (2, 0, 16, 16)


def test_fir_filter():
    f = ops.fir_filter([1, 3, 3, 1])
    assert f.shape == (4, 4) and abs(float(f.sum()) - 1) < 1e-6
    torch.testing.assert_close(f, torch.outer(torch.tensor([1.0, 3, 3, 1]), torch.tensor([1.0, 3, 3, 1])) / 64)
    with pytest.raises(ValueError, match="sum to 0"):
        ops.fir_filter([1, -1])
