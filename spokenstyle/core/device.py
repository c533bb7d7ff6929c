"""The ``device=`` argument, checked once for every entry point (engine, eval, training).

``"auto"`` is a CUDA GPU when there is one, else the CPU; only ``cpu`` and ``cuda[:N]`` are
accepted because the kernels and the tests cover those two and nothing else.
"""

from __future__ import annotations

import torch

from ..errors import UsageError

AUTO = "auto"


def resolve_device(device: str | torch.device) -> torch.device:
    """``device=`` as a :class:`torch.device` that exists here; a UsageError names the fix."""
    if isinstance(device, str) and device.strip().lower() == AUTO:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device.strip() if isinstance(device, str) else device)
    except (RuntimeError, TypeError, ValueError) as exc:
        raise UsageError(f"device={device!r} is not a device: {exc}; use 'auto', 'cpu' or 'cuda'") from None
    if dev.type not in ("cpu", "cuda"):
        raise UsageError(f"device={device!r} is not supported; use 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise UsageError(f"device={device!r} but CUDA is not available here; use device='auto' or 'cpu'")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise UsageError(
            f"device={device!r} but this machine has {torch.cuda.device_count()} CUDA device(s); use cuda:0.."
            f"cuda:{torch.cuda.device_count() - 1}"
        )
    return dev


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work (timings); a no-op on the CPU."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
