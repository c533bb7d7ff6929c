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
