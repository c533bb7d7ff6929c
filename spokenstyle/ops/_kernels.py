"""Whether a tensor's device has a compiled spokenstyle kernel, decided once at import.

A plain boolean lookup (no call into spokenstyle._C) so torch.compile traces the wrappers without
a graph break.
"""

from __future__ import annotations

import torch

from . import _extension

_CPU = _extension.has_kernel("cpu")
_CUDA = _extension.has_kernel("cuda")

# Dtypes the CPU kernels compute natively; the wrappers compute others in float32.
CPU_DTYPES = (torch.float32, torch.float64)


def use_kernel(t: torch.Tensor) -> bool:
    kind = t.device.type
    return (kind == "cpu" and _CPU) or (kind == "cuda" and _CUDA)


def compute_dtype(t: torch.Tensor) -> torch.dtype:
    """The dtype the kernel runs in for t: float16/bfloat16 on the CPU run in float32."""
    if t.device.type == "cpu" and t.dtype not in CPU_DTYPES:
        return torch.float32
    return t.dtype
