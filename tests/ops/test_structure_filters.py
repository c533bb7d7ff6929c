"""The structure-preserving filters' references: what each one is for, measured on pictures whose
answer is known (a ramp, a step edge, noise on flat regions), and their argument errors."""

import pytest
import torch

import spokenstyle.ops as ops


def _step(h=32, w=32, low=0.2, high=0.8, noise=0.0, channels=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.full((1, channels, h, w), low, dtype=torch.float64)
    x[..., w // 2:] = high
    return x + noise * torch.randn(x.shape, generator=g, dtype=torch.float64)


def test_structure_tensor_of_a_vertical_ramp_has_only_exx():
    x = torch.arange(20, dtype=torch.float64).mul(0.05).expand(2, 3, 16, 20).clone()
    st = ops.structure_tensor(x, sigma=1.5)
    inner = st[..., 6:-6]  # the replicated border flattens the ramp's ends (Sobel 1 + Gaussian radius 5)
    assert torch.allclose(inner[:, 0], torch.full_like(inner[:, 0], 3 * 0.05 ** 2))
    assert inner[:, 1].abs().max() < 1e-12 and st[:, 2].abs().max() < 1e-12


def test_structure_tensor_is_differentiable_and_sigma_zero_is_unsmoothed():
    x = torch.rand(1, 2, 8, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: ops.structure_tensor(x, sigma=1.0), (x,))
    st0 = ops.structure_tensor(x, sigma=0.0)
    st2 = ops.structure_tensor(x, sigma=2.0)
    assert st0.std() > 1.5 * st2.std()


def test_bilateral_keeps_a_constant_and_a_step_edge_that_a_gaussian_blurs():
    c = torch.full((1, 3, 12, 12), 0.37, dtype=torch.float64)
    assert torch.allclose(ops.bilateral(c), c)
    x = _step()
    y = ops.bilateral(x, sigma_space=3.0, sigma_range=0.1)
    blurred = ops.bilateral(x, sigma_space=3.0, sigma_range=1e3)  # no range term: a Gaussian
    edge = slice(13, 19)
    assert (y - x)[..., edge].abs().max() < 1e-6
    assert (blurred - x)[..., edge].abs().max() > 0.1


def test_bilateral_guide_decides_where_the_edges_are():
    x = _step(noise=0.05)
    flat_guide = torch.zeros(1, 1, 32, 32, dtype=torch.float64)
    y = ops.bilateral(x, sigma_space=2.0, sigma_range=0.1, guide=flat_guide)
    assert (y[..., 15] - y[..., 16]).abs().mean() < 0.4  # the edge is blurred: the guide saw none
    assert (ops.bilateral(x, 2.0, 0.1)[..., 15] - ops.bilateral(x, 2.0, 0.1)[..., 16]).abs().mean() > 0.55


def test_kuwahara_flattens_noise_inside_regions_and_keeps_the_edge():
    x = _step(noise=0.04)
    st = ops.structure_tensor(x, sigma=2.0)
    y = ops.anisotropic_kuwahara(x, st, radius=4)
    left, right = y[..., 4:-4, 3:12], y[..., 4:-4, 20:29]
    assert left.std() < 0.4 * x[..., 4:-4, 3:12].std()
    assert right.std() < 0.4 * x[..., 4:-4, 20:29].std()
    jump = (y[..., 4:-4, 17] - y[..., 4:-4, 14]).mean()
    assert jump > 0.5  # the step of 0.6 survives within two pixels
    c = torch.full((1, 2, 10, 10), 0.5, dtype=torch.float64)
    assert torch.allclose(ops.anisotropic_kuwahara(c, ops.structure_tensor(c)), c)


def test_flow_dog_responds_on_edges_and_is_zero_on_flat_areas():
    x = _step(channels=1)
    d = ops.flow_dog(x, ops.structure_tensor(x, 2.0))
    assert d[..., :10].abs().max() < 1e-9 and d[..., 23:].abs().max() < 1e-9
    assert d[..., 15].max() < -0.01 and d[..., 16].min() > 0.01  # dark side negative, light side positive


def test_flow_dog_follows_a_diagonal_edge():
    yy, xx = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
    x = (xx + yy > 31).double()[None, None] * 0.6 + 0.2
    d = ops.flow_dog(x, ops.structure_tensor(x, 2.0))
    on_edge = d[0, 0][(xx + yy - 31.5).abs() < 1.5]
    far = d[0, 0][(xx + yy - 31.5).abs() > 8]
    assert on_edge.abs().mean() > 0.02 and far.abs().max() < 0.1 * on_edge.abs().mean()


def test_the_filters_have_no_gradient_and_say_so():
    x = torch.rand(1, 1, 8, 8, requires_grad=True)
    st = ops.structure_tensor(x.detach())
    for y in (ops.bilateral(x), ops.anisotropic_kuwahara(x, st, radius=2), ops.flow_dog(x, st)):
        with pytest.raises(RuntimeError, match="has no gradient"):
            y.sum().backward()


def test_half_precision_is_computed_in_float32():
    x = torch.rand(1, 3, 10, 10)
    st = ops.structure_tensor(x.half())
    assert st.dtype == torch.float16 and torch.allclose(st.float(), ops.structure_tensor(x), atol=2e-3)
    assert ops.bilateral(x.bfloat16()).dtype == torch.bfloat16


@pytest.mark.parametrize("call,match", [
    (lambda: ops.structure_tensor(torch.rand(3, 8, 8)), r"^x must be 4-D"),
    (lambda: ops.structure_tensor(torch.rand(1, 1, 8, 8), sigma=-1), "structure_tensor: sigma"),
    (lambda: ops.structure_tensor(torch.ones(1, 1, 4, 4, dtype=torch.int64)), "^x must be a floating-point"),
    (lambda: ops.bilateral(torch.rand(1, 3, 8, 8), sigma_space=0), "bilateral: sigma_space"),
    (lambda: ops.bilateral(torch.rand(1, 3, 8, 8), sigma_range=-0.1), "bilateral: sigma_range"),
    (lambda: ops.bilateral(torch.rand(1, 3, 8, 8), guide=torch.rand(1, 1, 8, 7)), "bilateral: guide must have shape"),
    (lambda: ops.anisotropic_kuwahara(torch.rand(1, 5, 8, 8), torch.rand(1, 3, 8, 8)), "1 to 4 channels"),
    (lambda: ops.anisotropic_kuwahara(torch.rand(1, 3, 8, 8), torch.rand(1, 2, 8, 8)), "tensor must have shape"),
    (lambda: ops.anisotropic_kuwahara(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), radius=0), "radius"),
    (lambda: ops.anisotropic_kuwahara(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), sectors=2), "sectors"),
    (lambda: ops.anisotropic_kuwahara(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8), alpha=0), "alpha"),
    (lambda: ops.flow_dog(torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)), "flow_dog: x must have 1 channels"),
    (lambda: ops.flow_dog(torch.rand(1, 1, 8, 8), torch.rand(1, 3, 8, 8), k=1.0), "flow_dog: k"),
])
def test_bad_arguments_name_the_argument(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
