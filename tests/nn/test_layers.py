"""spokenstyle.nn layers: measured behaviour (equalised learning rate keeps unit variance, a
blurred constant stays constant, resampling sizes and agreement with the reference ops),
torch.compile(fullgraph=True) of a stack, and extra_repr."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import spokenstyle.ops as ops
from spokenstyle.nn import (AdaIN, Blur, Downsample, EqualConv2d, EqualLinear, FusedLeakyReLU, MinibatchStd,
                            ModulatedConv2d, Upsample)
from harness.opharness import needs_extension, skip_if_inductor_cannot_build

pytestmark = needs_extension()


def test_equal_linear_unit_weights_and_variance_preserved():
    layer = EqualLinear(512, 256)
    assert abs(float(layer.weight.detach().std()) - 1.0) < 0.01  # stored N(0, 1)
    x = torch.randn(4096, 512)
    with torch.no_grad():
        y = layer(x)
    assert abs(float(y.var()) - 1.0) < 0.05, "the runtime scale 1/sqrt(fan_in) keeps unit variance"
    want = F.linear(x, layer.weight / math.sqrt(512), layer.bias)
    torch.testing.assert_close(y, want, rtol=1e-5, atol=1e-5)


def test_equal_linear_lr_mul_and_activation():
    layer = EqualLinear(64, 32, bias_init=1.0, lr_mul=0.01, activation="lrelu")
    assert abs(float(layer.weight.detach().std()) - 100.0) < 5.0  # stored N(0, 1) / lr_mul
    x = torch.randn(8, 64)
    w = layer.weight * 0.01 / math.sqrt(64)
    want = F.leaky_relu(F.linear(x, w) + layer.bias * 0.01, 0.2) * math.sqrt(2)
    torch.testing.assert_close(layer(x), want, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(layer.bias * 0.01, torch.ones(32))


def test_equal_conv_unit_variance_and_reference():
    conv = EqualConv2d(64, 64, 3, bias=False)
    x = torch.randn(8, 64, 24, 24)
    with torch.no_grad():
        y = conv(x)
    inner = y[:, :, 1:-1, 1:-1]  # away from the zero padding
    assert abs(float(inner.var()) - 1.0) < 0.05
    torch.testing.assert_close(y, F.conv2d(x, conv.weight / math.sqrt(64 * 9), padding=1), rtol=1e-4, atol=1e-4)


def test_equal_conv_down2_blurs_then_strides():
    conv = EqualConv2d(3, 5, 3, activation="lrelu", down=2)
    with torch.no_grad():
        conv.bias.normal_()
    x = torch.randn(2, 3, 16, 16)
    y = conv(x)
    assert y.shape == (2, 5, 8, 8)
    f = ops.fir_filter([1, 3, 3, 1])
    blurred = ops.upfirdn2d_reference(x, f, 1, 1, (2, 2, 2, 2))
    want = F.leaky_relu(F.conv2d(blurred, conv.weight / math.sqrt(27), conv.bias, stride=2), 0.2) * math.sqrt(2)
    torch.testing.assert_close(y, want, rtol=1e-4, atol=1e-5)


def test_fused_leaky_relu():
    act = FusedLeakyReLU(6)
    with torch.no_grad():
        act.bias.normal_()
    x = torch.randn(3, 6, 5, 5)
    torch.testing.assert_close(act(x), F.leaky_relu(x + act.bias.view(1, -1, 1, 1), 0.2) * math.sqrt(2))


def test_blur_of_a_constant_is_constant():
    x = torch.full((2, 3, 12, 12), 2.5)
    y = Blur()(x)
    assert y.shape == x.shape
    torch.testing.assert_close(y[:, :, 2:-2, 2:-2], x[:, :, 2:-2, 2:-2])
    assert float(y[0, 0, 0, 0]) < 2.5  # the zero padding shows only at the border


@pytest.mark.parametrize("factor", [2, 4])
def test_downsample_halves_and_matches_reference(factor):
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    layer = Downsample(factor=factor).double()
    y = layer(x)
    assert y.shape == (2, 3, 32 // factor, 32 // factor)
    torch.testing.assert_close(y, ops.upfirdn2d_reference(x, layer.filter, 1, factor, layer.padding))
    const = layer(torch.ones(1, 1, 32, 32, dtype=torch.float64))
    torch.testing.assert_close(const[:, :, 1:-1, 1:-1], torch.ones_like(const[:, :, 1:-1, 1:-1]))


def test_upsample_doubles_keeps_constants_and_matches_reference():
    layer = Upsample().double()
    x = torch.randn(2, 3, 8, 8, dtype=torch.float64)
    y = layer(x)
    assert y.shape == (2, 3, 16, 16)
    torch.testing.assert_close(y, ops.upfirdn2d_reference(x, layer.filter, 2, 1, layer.padding))
    const = layer(torch.ones(1, 1, 8, 8, dtype=torch.float64))
    torch.testing.assert_close(const[:, :, 2:-2, 2:-2], torch.ones_like(const[:, :, 2:-2, 2:-2]))
    # down after up is close to the identity on a smooth image (the filter's low-pass)
    smooth = torch.linspace(0, 1, 8, dtype=torch.float64).view(1, 1, 1, 8).expand(1, 1, 8, 8)
    back = Downsample().double()(layer(smooth))
    torch.testing.assert_close(back[..., 2:-2, 2:-2], smooth[..., 2:-2, 2:-2], atol=0.02, rtol=0)


def test_minibatch_std_and_adain_layers():
    x = torch.randn(8, 4, 5, 5)
    y = MinibatchStd(group_size=4)(x)
    assert y.shape == (8, 5, 5, 5)
    torch.testing.assert_close(y, ops.minibatch_stddev_reference(x, 4))
    content, style = torch.randn(2, 4, 6, 6), torch.randn(2, 4, 9, 9)
    torch.testing.assert_close(AdaIN()(content, style), ops.adain_reference(content, style))
    mean, std = ops.calc_mean_std(style)
    torch.testing.assert_close(AdaIN()(content, mean, std), ops.adain_reference(content, mean, std))


def _modconv_reference(layer, x, scale, shift):
    """Per sample: the weight scaled per input channel, each output filter renormalised, one
    convolution per image (float64)."""
    outs = []
    w = layer.weight.double() * layer.weight_gain
    for i in range(x.shape[0]):
        wi = w * scale[i].view(1, -1, 1, 1)
        wi = wi / wi.square().sum(dim=(1, 2, 3), keepdim=True).add(layer.eps).sqrt()
        y = F.conv2d(x[i : i + 1], wi, shift[i], stride=layer.stride, padding=layer.kernel_size // 2)
        outs.append(F.leaky_relu(y, 0.2) * math.sqrt(2))
    return torch.cat(outs)


@pytest.mark.parametrize("stride", [1, 2])
def test_modulated_conv_matches_a_per_sample_reference_in_both_paths(stride):
    torch.manual_seed(0)
    layer = ModulatedConv2d(5, 6, 3, stride=stride).double()
    x = torch.randn(3, 5, 9, 9, dtype=torch.float64)
    scale = torch.rand(3, 5, dtype=torch.float64) * 2 + 0.1
    shift = torch.randn(3, 6, dtype=torch.float64)
    want = _modconv_reference(layer, x, scale, shift)
    torch.testing.assert_close(layer(x, scale, shift), want)  # a batch: scale the input and the output
    for i in range(3):  # one image: the style folded into the weights
        torch.testing.assert_close(layer(x[i : i + 1], scale[i : i + 1], shift[i : i + 1]), want[i : i + 1])


def test_modulated_conv_normalises_from_the_weights_not_the_activations():
    torch.manual_seed(1)
    layer = ModulatedConv2d(16, 16, 3, activation="linear").requires_grad_(False)
    x = torch.randn(2, 16, 32, 32)
    scale = torch.rand(2, 16) + 0.5
    y = layer(x, scale)
    # demodulated: unit-variance input -> unit-variance output, whatever the style's magnitude
    assert 0.8 < float(y.std()) < 1.2
    torch.testing.assert_close(layer(x, scale * 7.0), y, rtol=1e-5, atol=1e-5)
    # ...and unlike instance norm, the output follows the input's own magnitude: a spike planted
    # in one place changes the output only near it, not the whole image's statistics
    spiked = x.clone()
    spiked[:, :, 0, 0] += 100.0
    change = (layer(spiked, scale) - y).abs()
    assert float(change[..., :2, :2].max()) > 1.0 and float(change[..., 4:, 4:].max()) < 1e-4


def test_modulated_conv_gradients_match_float64_finite_differences():
    torch.manual_seed(2)
    layer = ModulatedConv2d(3, 4, 3).double()
    x = torch.randn(2, 3, 6, 6, dtype=torch.float64, requires_grad=True)
    scale = (torch.rand(2, 3, dtype=torch.float64) + 0.5).requires_grad_()
    shift = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, s, b: layer(a, s, b), (x, scale, shift))
    assert torch.autograd.gradcheck(lambda a, s, b: layer(a[:1], s[:1], b[:1]), (x, scale, shift))
    with pytest.raises(ValueError, match=r"needs scale \(N, 3\)"):
        layer(x, scale[:, :2], shift)


def test_stack_compiles_fullgraph_with_matching_gradients():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        EqualConv2d(3, 8, 3, activation="lrelu"),
        Blur(),
        EqualConv2d(8, 8, 3, down=2),
        FusedLeakyReLU(8),
        Upsample(),
        Downsample(),
        MinibatchStd(group_size=2),
        torch.nn.Flatten(),
        EqualLinear(9 * 8 * 8, 1),
    )
    x = torch.randn(4, 3, 16, 16, requires_grad=True)
    skip_if_inductor_cannot_build()
    torch._dynamo.reset()
    compiled = torch.compile(net, fullgraph=True, dynamic=False)
    got = compiled(x).sum()
    want = net(x).sum()
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    gc = torch.autograd.grad(got, [x] + list(net.parameters()))
    gw = torch.autograd.grad(want, [x] + list(net.parameters()))
    for a, b in zip(gc, gw):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)


def test_extra_repr_and_bad_arguments():
    assert "activation=lrelu" in repr(EqualConv2d(3, 4, 3, activation="lrelu", down=2))
    assert "down=2" in repr(EqualConv2d(3, 4, 3, down=2))
    assert "lr_mul=0.01" in repr(EqualLinear(4, 4, lr_mul=0.01))
    assert "factor=2" in repr(Downsample()) and "factor=2" in repr(Upsample())
    assert "padding=(2, 1, 2, 1)" in repr(Blur())
    assert "group_size=4" in repr(MinibatchStd())
    assert "negative_slope=0.2" in repr(FusedLeakyReLU(3))
    assert "stride=2, demodulate=True" in repr(ModulatedConv2d(3, 4, 3, stride=2))
    with pytest.raises(ValueError, match="unknown activation 'gelu'"):
        EqualLinear(3, 4, activation="gelu")
    with pytest.raises(ValueError, match="factor must be an integer >= 1"):
        Downsample(factor=0)
    with pytest.raises(ValueError, match="in_channels must be an integer >= 1"):
        EqualConv2d(0, 4, 3)
