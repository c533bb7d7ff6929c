"""The losses of the ``transform`` GAN, each per sample ((N,) tensors) so a trainer can weight
samples (by their strength) before it averages.

* perceptual (Johnson et al.): the style loss is the squared distance between Gram matrices
  (:func:`gram`: ``ops.gram``, the fused GEMM with its one-GEMM backward, normalised by the
  positions only) of the output's and the style target's encoder features at several layers; the content loss the squared distance of the
  features at one layer. Features are divided by each layer's typical size
  (:func:`spokenstyle.train.adain.feature_scales`) so the weights mean the same on every encoder;
* total variation of the output (a smoothness prior against high-frequency artefacts);
* adversarial (Goodfellow et al.; StyleGAN2): the non-saturating logistic loss, softplus(-D(G))
  for the generator and softplus(D(G)) + softplus(-D(real)) for the discriminator;
* R1 (Mescheder et al.): ||∇ₓ D(x)||² on real images, applied lazily (every k steps, scaled by
  k). Its gradient is a double backward through the discriminator's ``bias_act``,
  ``bias_act_residual``, ``upfirdn2d`` and ``minibatch_stddev`` operators.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

import torch
import torch.nn.functional as F

from .. import ops

__all__ = [
    "content_loss",
    "d_logistic",
    "g_nonsaturating",
    "gram",
    "gram_targets",
    "grams",
    "r1_penalty",
    "style_loss",
    "total_variation",
]


def _scaled(features: Mapping[str, torch.Tensor], scales: Mapping[str, float] | None) -> dict[str, torch.Tensor]:
    scales = scales or {}
    return {name: f / scales.get(name, 1.0) for name, f in features.items()}


@torch.no_grad()
def gram_targets(encoder, style: torch.Tensor, layers: Sequence[str],
                 scales: Mapping[str, float] | None = None) -> dict[str, torch.Tensor]:
    """Per-sample Gram matrices (N, C, C) of ``style``'s scaled features at ``layers``."""
    return grams(encoder(style, tuple(layers)), layers, scales)


def grams(features: Mapping[str, torch.Tensor], layers: Sequence[str],
          scales: Mapping[str, float] | None = None) -> dict[str, torch.Tensor]:
    """:func:`gram_targets` of features already computed (raw encoder features)."""
    feats = _scaled({name: features[name] for name in layers}, scales)
    return {name: gram(feats[name]) for name in layers}


def gram(features: torch.Tensor) -> torch.Tensor:
    """``ops.gram`` times the channel count: F Fᵀ / (H·W), the channels' mean products, so a
    layer's entries are of unit size (on RMS-scaled features) whatever its width."""
    return ops.gram(features) * features.shape[1]


def style_loss(features: Mapping[str, torch.Tensor], targets: Mapping[str, torch.Tensor],
               scales: Mapping[str, float] | None = None) -> torch.Tensor:
    """Sum over layers of the mean squared Gram difference, per sample: (N,).

    ``features``: the output's raw encoder features; ``targets``: :func:`gram_targets` (batch N,
    or 1 for one style shared by the batch)."""
    feats = _scaled({k: features[k] for k in targets}, scales)
    total = None
    for name, target in targets.items():
        g = gram(feats[name])
        term = (g - target.to(g.dtype)).square().mean(dim=(1, 2))
        total = term if total is None else total + term
    if total is None:
        raise ValueError("style_loss: targets is empty; give the Gram matrices of at least one layer")
    return total


def content_loss(features: torch.Tensor, target: torch.Tensor, scale: float = 1.0) -> torch.Tensor:
    """Mean squared difference of one layer's features (both divided by ``scale``): (N,)."""
    return ((features - target) / scale).square().mean(dim=(1, 2, 3))


def total_variation(x: torch.Tensor) -> torch.Tensor:
    """Mean absolute difference of neighbouring pixels, per sample: (N,)."""
    dy = (x[..., 1:, :] - x[..., :-1, :]).abs().mean(dim=(1, 2, 3))
    dx = (x[..., 1:] - x[..., :-1]).abs().mean(dim=(1, 2, 3))
    return dx + dy


def g_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    """The generator's non-saturating logistic loss softplus(-D(G(z))), per sample."""
    return F.softplus(-fake_logits)


def d_logistic(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """The discriminator's logistic loss softplus(D(fake)) + softplus(-D(real)), per sample."""
    return F.softplus(fake_logits) + F.softplus(-real_logits)


def r1_penalty(score: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor) -> torch.Tensor:
    """||∇ₓ score(x)||² at the real images, per sample: (N,); differentiable (create_graph), so
    its backward reaches the discriminator's parameters through the double backward."""
    real = real.detach().requires_grad_(True)
    scores = score(real)
    (grad,) = torch.autograd.grad(scores.sum(), real, create_graph=True)
    return grad.square().sum(dim=tuple(range(1, grad.dim())))
