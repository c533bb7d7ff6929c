"""PatchDiscriminator: patch-logit maps per scale for 128-512 px, R1 (the double backward
through bias_act, bias_act_residual and upfirdn2d) equal to the same network on the pure-PyTorch
reference ops, that a few steps teach it to tell two textures apart whatever their layout, and
clear errors for sizes it cannot take."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import spokenstyle.ops as ops
from spokenstyle.nn import PatchDiscriminator
from harness.opharness import needs_extension

pytestmark = needs_extension()


@pytest.mark.parametrize("size", [128, 256])
def test_patch_maps_per_scale(size):
    d = PatchDiscriminator(channels=(8, 16, 16, 16), num_heads=3)
    x = torch.randn(4, 3, size, size)
    maps = d(x)
    assert [tuple(m.shape) for m in maps] == [(4, 1, size // 2**k, size // 2**k) for k in (2, 3, 4)]
    assert d.score(x).shape == (4,)
    assert all(torch.isfinite(m).all() for m in maps)


def test_512_px_and_the_default_widths():
    with torch.no_grad():
        maps = PatchDiscriminator(channels=(4, 8, 8, 8))(torch.randn(2, 3, 512, 512))
        assert [m.shape[-1] for m in maps] == [128, 64, 32]
        maps = PatchDiscriminator()(torch.randn(2, 3, 128, 128))  # (64, 128, 256, 256)
        assert [m.shape[-1] for m in maps] == [32, 16, 8]


def _use_reference_ops(monkeypatch):
    monkeypatch.setattr(ops, "bias_act", ops.bias_act_reference)
    monkeypatch.setattr(ops, "bias_act_residual", ops.bias_act_residual_reference)
    monkeypatch.setattr(ops, "upfirdn2d", ops.upfirdn2d_reference)
    monkeypatch.setattr(ops, "minibatch_stddev", ops.minibatch_stddev_reference)


def test_r1_matches_the_pure_pytorch_reference(monkeypatch):
    torch.manual_seed(0)
    d = PatchDiscriminator(channels=(4, 8, 8, 8), num_heads=2).double()
    with torch.no_grad():  # non-zero biases, so every bias path is exercised
        for name, p in d.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.3)
    real = torch.randn(4, 3, 64, 64, dtype=torch.float64, requires_grad=True)

    def r1():
        (g,) = torch.autograd.grad(d.score(real).sum(), real, create_graph=True)
        penalty = g.square().sum(dim=(1, 2, 3)).mean()
        # a head's output bias shifts the score by a constant (None); its conv bias moves only a
        # lrelu kink, whose second derivative is 0 (zero gradient): every other parameter gets R1
        grads = torch.autograd.grad(penalty, list(d.parameters()), allow_unused=True)
        return [penalty] + [torch.zeros_like(p) if g is None else g for g, p in zip(grads, d.parameters())]

    got = r1()
    with monkeypatch.context() as m:
        _use_reference_ops(m)
        want = r1()
    assert float(want[0]) > 0
    assert sum(int(g.abs().sum() > 0) for g in want[1:]) == len(want) - 1 - 2 * d.num_heads
    for a, b in zip(got, want):
        torch.testing.assert_close(a, b, rtol=1e-8, atol=1e-10)


def _stripes(n, size):
    """Oriented stripes at random angle and phase: one texture, any layout."""
    yy, xx = torch.meshgrid(torch.arange(size, dtype=torch.float32), torch.arange(size, dtype=torch.float32),
                            indexing="ij")
    theta, phase = torch.rand(n, 1, 1) * math.pi, torch.rand(n, 1, 1) * 2 * math.pi
    s = torch.sin((xx * torch.cos(theta) + yy * torch.sin(theta)) * 0.8 + phase)
    return s.unsqueeze(1).expand(n, 3, size, size).contiguous()


def _blobs(n, size):
    """Smooth noise of the same range: another texture."""
    z = F.avg_pool2d(torch.randn(n, 3, size, size), 5, 1, 2) * 3
    return z.clamp(-1, 1)


def test_learns_to_tell_textures_apart():
    torch.manual_seed(0)
    d = PatchDiscriminator(channels=(4, 8, 8), num_heads=2)  # three blocks: 32 px inputs, to keep it quick
    opt = torch.optim.Adam(d.parameters(), lr=5e-3, betas=(0.0, 0.99))
    for _ in range(10):
        loss = F.softplus(-d.score(_stripes(4, 32))).mean() + F.softplus(d.score(_blobs(4, 32))).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        real, fake = d.score(_stripes(16, 32)), d.score(_blobs(16, 32))
    assert float(real.min()) > float(fake.max()), "unseen stripes must all score above unseen blobs"


def test_sizes_it_cannot_take_are_clear_errors():
    d = PatchDiscriminator(channels=(4, 4, 4, 4))
    with pytest.raises(ValueError, match="multiples of 16 and at least 64"):
        d(torch.randn(2, 3, 100, 100))
    with pytest.raises(ValueError, match=r"x must be \(N, 3, H, W\)"):
        d(torch.randn(2, 1, 64, 64))
    with pytest.raises(ValueError, match="num_heads must be between 1 and"):
        PatchDiscriminator(channels=(4, 4), num_heads=3)
