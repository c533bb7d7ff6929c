"""Argument checks shared by the operator wrappers: each error names the argument and the fix."""

from __future__ import annotations

import torch


def check_tensor(name: str, t) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")


def check_floating(name: str, t) -> None:
    check_tensor(name, t)
    if not t.is_floating_point():
        raise TypeError(
            f"{name} must be a floating-point tensor (float16, bfloat16, float32 or float64), got {t.dtype}; "
            f"convert it with {name}.float()"
        )


def check_same_device(name: str, t: torch.Tensor, other_name: str, other: torch.Tensor) -> None:
    if t.device != other.device:
        raise ValueError(
            f"{name} is on {t.device} but {other_name} is on {other.device}; move them to the same device"
        )


def check_ndim(name: str, t: torch.Tensor, allowed: tuple[int, ...], what: str = "") -> None:
    if t.dim() not in allowed:
        dims = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be {dims}{' ' + what if what else ''}, got shape {tuple(t.shape)}")


def check_planes(name: str, t) -> None:
    """A batch of feature planes: a floating-point (N, C, H, W) or (N, C, L) tensor."""
    check_floating(name, t)
    check_ndim(name, t, (4, 3), "(N, C, H, W) or (N, C, L)")


def check_channels(name: str, t: torch.Tensor, other_name: str, other: torch.Tensor) -> None:
    if t.shape[1] != other.shape[1]:
        raise ValueError(
            f"{name} has {t.shape[1]} channels but {other_name} has {other.shape[1]}; they must match"
        )


def check_batch(name: str, t: torch.Tensor, other_name: str, other: torch.Tensor) -> None:
    """t's batch must equal other's or be 1 (broadcast)."""
    if t.shape[0] not in (1, other.shape[0]):
        raise ValueError(
            f"{name} has batch {t.shape[0]} but {other_name} has batch {other.shape[0]}; "
            f"use the same batch size or a batch of 1 (broadcast)"
        )
