"""The smoothed structure tensor: where a picture's edges run and how strongly.

``structure_tensor(x, sigma=2.0)`` on x (N, C, H, W) returns (N, 3, H, W) = (Exx, Exy, Eyy):
Sobel gradients gx, gy of each channel (divided by 8, so a ramp of slope s gives s; border
replicated), the products gx², gx·gy, gy² summed over the channels, each then smoothed by a
separable Gaussian of standard deviation ``sigma`` (radius ceil(3·sigma), border replicated;
sigma = 0 leaves them unsmoothed). Its eigenvectors give the gradient and tangent directions that
anisotropic_kuwahara and flow_dog follow. Differentiable (to any order).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from ._filters import check_image, compute, gaussian_taps, real

__all__ = ["structure_tensor", "structure_tensor_reference"]

_OP = "structure_tensor"


def _resolve(x, sigma):
    check_image(_OP, "x", x)
    if x.shape[1] < 1:
        raise ValueError(f"{_OP}: x must have at least one channel, got shape {tuple(x.shape)}")
    sigma = real(_OP, "sigma", sigma, 0.0, high=64.0)
    return sigma, math.ceil(3.0 * sigma)


def _sobel(x):
    h, w = x.shape[2:]
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    dx = p[:, :, :, 2:] - p[:, :, :, :w]
    gx = (dx[:, :, :h] + 2.0 * dx[:, :, 1:h + 1] + dx[:, :, 2:]) / 8.0
    dy = p[:, :, 2:, :] - p[:, :, :h, :]
    gy = (dy[..., :w] + 2.0 * dy[..., 1:w + 1] + dy[..., 2:]) / 8.0
    return gx, gy


def smooth(e: torch.Tensor, sigma: float, radius: int) -> torch.Tensor:
    """Separable Gaussian of each channel, border replicated."""
    if radius == 0:
        return e
    c = e.shape[1]
    g = gaussian_taps(sigma, radius, e.dtype, e.device)
    e = F.conv2d(F.pad(e, (radius, radius, 0, 0), mode="replicate"), g.reshape(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    return F.conv2d(F.pad(e, (0, 0, radius, radius), mode="replicate"), g.reshape(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)


def structure_tensor_reference(x: torch.Tensor, sigma: float = 2.0) -> torch.Tensor:
    """Pure-PyTorch structure tensor: the test oracle and the fallback."""
    sigma, radius = _resolve(x, sigma)
    xc = compute(x)
    gx, gy = _sobel(xc)
    e = torch.stack([(gx * gx).sum(1), (gx * gy).sum(1), (gy * gy).sum(1)], dim=1)
    return smooth(e, sigma, radius).to(x.dtype)


def structure_tensor(x: torch.Tensor, sigma: float = 2.0) -> torch.Tensor:
    """(Exx, Exy, Eyy) per pixel, (N, 3, H, W), from the Sobel gradients of x summed over its
    channels, Gaussian-smoothed with std ``sigma``; see the module doc."""
    return structure_tensor_reference(x, sigma)
