"""Helpers shared by the operator tests (not a conftest: plain imports, no fixtures)."""

from __future__ import annotations

import pytest
import torch

CUDA = torch.cuda.is_available()

# Marks for a CUDA-only test: the `cuda` marker (declared in pyproject.toml) and a skip without a GPU,
# so the test skips cleanly with or without the repository conftest.
requires_cuda = pytest.mark.skipif(not CUDA, reason="no CUDA GPU available")
cuda_only = [pytest.mark.cuda, requires_cuda]

DEVICES = ["cpu", pytest.param("cuda", marks=cuda_only)]


def needs_extension():
    import spokenstyle.ops as ops

    return pytest.mark.skipif(not ops.AVAILABLE, reason=f"spokenstyle._C not built: {ops.LOAD_ERROR}")


def tol(dtype: torch.dtype) -> dict:
    return {
        torch.float64: dict(rtol=1e-10, atol=1e-10),
        torch.float32: dict(rtol=2e-5, atol=2e-5),
        torch.float16: dict(rtol=2e-3, atol=2e-3),
        torch.bfloat16: dict(rtol=2e-2, atol=2e-2),
    }[dtype]


def cuda_free_bytes() -> int:
    if not CUDA:
        return 0
    free, _ = torch.cuda.mem_get_info()
    return free


def count_ops(fn, names: tuple[str, ...]) -> int:
    """How many times any aten op in `names` runs inside fn (nested calls included)."""
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        fn()
    return sum(1 for e in prof.events() if e.name in names)
