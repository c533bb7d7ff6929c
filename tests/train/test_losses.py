"""The transform GAN's losses: each agrees with a plain-PyTorch computation, and lazy R1's
gradient (a double backward through bias_act, bias_act_residual, upfirdn2d and
minibatch_stddev) matches the pure-PyTorch reference ops and float64 finite differences."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from spokenstyle import ops
from spokenstyle.nn import PatchDiscriminator
from spokenstyle.train import losses

from harness.helpers import photo


def _reference_ops(monkeypatch):
    """Route every spokenstyle op through its pure-PyTorch composite (autograd's own derivatives)."""
    import importlib

    for name in ("adain", "bias_act", "gram", "minibatch_stddev", "upfirdn2d"):
        monkeypatch.setattr(importlib.import_module(f"spokenstyle.ops.{name}"), "use_kernel", lambda t: False)


def test_style_loss_is_the_per_sample_gram_distance():
    torch.manual_seed(1)
    out = {"a": torch.randn(3, 8, 10, 12, dtype=torch.float64), "b": torch.randn(3, 16, 5, 6, dtype=torch.float64)}
    style = {"a": torch.randn(3, 8, 7, 9, dtype=torch.float64), "b": torch.randn(3, 16, 4, 4, dtype=torch.float64)}
    scales = {"a": 2.0, "b": 0.5}
    # Gram matrices normalised by the positions only (ops.gram times C): unit-sized entries
    targets = {k: ops.gram_reference(v / scales[k]) * v.shape[1] for k, v in style.items()}
    got = losses.style_loss(out, targets, scales)
    assert got.shape == (3,)
    for i in range(3):
        want = sum(float(ops.style_loss_reference(out[k][i : i + 1] / scales[k] * math.sqrt(out[k].shape[1]), targets[k][i : i + 1]))
                   for k in out)
        assert math.isclose(float(got[i]), want, rel_tol=1e-10)
    same = {k: ops.gram_reference(v / scales[k]) * v.shape[1] for k, v in out.items()}
    assert float(losses.style_loss(out, same, scales).abs().max()) < 1e-12


def test_style_loss_gradient_matches_autograd_through_the_reference():
    torch.manual_seed(2)
    x = torch.randn(2, 6, 7, 5, dtype=torch.float64, requires_grad=True)
    target = 6 * ops.gram_reference(torch.randn(2, 6, 4, 4, dtype=torch.float64))
    (g,) = torch.autograd.grad(losses.style_loss({"l": x}, {"l": target}).sum(), x)
    (want,) = torch.autograd.grad(((6 * ops.gram_reference(x) - target) ** 2).mean(dim=(1, 2)).sum(), x)
    assert torch.allclose(g, want, rtol=1e-9, atol=1e-12)


def test_style_loss_needs_a_layer():
    with pytest.raises(ValueError, match="targets is empty"):
        losses.style_loss({"l": torch.zeros(1, 2, 3, 3)}, {})


def test_gram_targets_come_from_the_encoder_features():
    from spokenstyle import encoders

    enc = encoders.load("random")
    x = F.interpolate(photo(), size=(32, 32), mode="bilinear", align_corners=False)
    t = losses.gram_targets(enc, x, ("relu1_1", "relu2_1"), {"relu1_1": 2.0})
    f = enc(x, ("relu1_1", "relu2_1"))
    assert torch.allclose(t["relu1_1"], 64 * ops.gram_reference(f["relu1_1"] / 2.0), rtol=1e-5, atol=1e-6)
    assert torch.allclose(t["relu2_1"], 128 * ops.gram_reference(f["relu2_1"]), rtol=1e-5, atol=1e-6)


def test_content_loss_and_total_variation():
    a, b = torch.zeros(2, 3, 4, 4), torch.full((2, 3, 4, 4), 2.0)
    assert torch.equal(losses.content_loss(a, b, scale=2.0), torch.ones(2))
    assert torch.equal(losses.total_variation(torch.full((1, 3, 5, 5), 0.7)), torch.zeros(1))
    stripes = torch.zeros(1, 1, 4, 4)
    stripes[..., ::2] = 1.0  # vertical stripes: every horizontal neighbour differs by 1, no vertical one
    assert float(losses.total_variation(stripes)) == 1.0
    smooth = photo()[..., :64, :64]
    noisy = (smooth + 0.2 * torch.randn_like(smooth)).clamp(0, 1)
    assert float(losses.total_variation(noisy)) > 2 * float(losses.total_variation(smooth))


def test_logistic_losses():
    real, fake = torch.tensor([3.0, -1.0]), torch.tensor([-3.0, 2.0])
    assert torch.allclose(losses.d_logistic(real, fake), F.softplus(fake) + F.softplus(-real))
    assert torch.allclose(losses.g_nonsaturating(fake), torch.log1p(torch.exp(-fake)))
    # the discriminator's loss is small when it tells real from fake, the generator's when it fools it
    assert float(losses.d_logistic(real[:1], fake[:1])) < 0.1 < float(losses.d_logistic(real[1:], fake[1:]))
    assert float(losses.g_nonsaturating(torch.tensor(5.0))) < 0.01


def _tiny_discriminator():
    torch.manual_seed(4)
    d = PatchDiscriminator(channels=(4, 6), num_heads=2, mbstd_group=2).double()
    with torch.no_grad():  # non-zero biases, so every bias_act term is exercised
        for name, p in d.named_parameters():
            if name.endswith("bias"):
                p.normal_(0, 0.3)
    return d


def _r1_grads(d, real):
    penalty = losses.r1_penalty(d.score, real)
    assert penalty.shape == (real.shape[0],) and bool((penalty > 0).all())
    # The heads' output biases do not change the gradient in x, so R1 does not reach them.
    grads = torch.autograd.grad(penalty.mean(), list(d.parameters()), allow_unused=True)
    unused = [n for (n, _), g in zip(d.named_parameters(), grads) if g is None]
    assert all(n.startswith("heads.") and n.endswith("out.bias") for n in unused), unused
    return penalty.detach(), [torch.zeros((), dtype=real.dtype) if g is None else g for g in grads]


def test_r1_gradient_matches_the_pure_pytorch_reference(monkeypatch):
    torch.manual_seed(5)
    real = torch.rand(2, 3, 16, 16, dtype=torch.float64)
    d = _tiny_discriminator()
    assert ops.has_kernel("cpu")
    penalty, grads = _r1_grads(d, real)
    with monkeypatch.context() as m:
        _reference_ops(m)
        ref_penalty, ref_grads = _r1_grads(d, real)
    assert torch.allclose(penalty, ref_penalty, rtol=1e-10, atol=0)
    for (name, _), g, r in zip(d.named_parameters(), grads, ref_grads):
        assert torch.allclose(g, r, rtol=1e-8, atol=1e-12), name
    assert any(float(g.abs().max()) > 0 for g in grads)


def test_r1_gradient_matches_finite_differences():
    # R1 as a function of a few discriminator parameters, differentiated by gradcheck against
    # central differences in float64: the double backward through the fused ops is exact.
    from torch.func import functional_call

    torch.manual_seed(6)
    real = torch.rand(2, 3, 16, 16, dtype=torch.float64)
    d = _tiny_discriminator()
    names = ["blocks.0.conv0.weight", "blocks.0.conv0.bias", "blocks.1.bias", "heads.0.conv.weight"]
    params = dict(d.named_parameters())
    inputs = tuple(params[n].detach().clone().requires_grad_(True) for n in names)

    def r1_of(*values):
        def score(x):  # d.score(x) with the given parameter values
            maps = functional_call(d, dict(zip(names, values)), (x,))
            return torch.stack([m.mean(dim=(1, 2, 3)) for m in maps]).mean(0)

        return losses.r1_penalty(score, real).sum()

    assert torch.autograd.gradcheck(r1_of, inputs, eps=1e-6, atol=1e-7, rtol=1e-5, fast_mode=True)
