"""Helpers for the benchmarks: fused-vs-composite timing and device copy bandwidth."""

from __future__ import annotations

import torch


def run_fwd_bwd(fn, inputs, grad):
    """One forward+backward of fn(*inputs) with a fixed upstream gradient."""
    for t in inputs:
        if isinstance(t, torch.Tensor):
            t.grad = None
    out = fn(*inputs)
    out.backward(grad)
    return out


def compiled(fn):
    torch._dynamo.reset()
    return torch.compile(fn, fullgraph=True)


def copy_bandwidth_gbs(numel: int, device: str = "cuda", dtype=torch.float32, iters: int = 50) -> float:
    """Measured device-to-device copy bandwidth (read + write bytes per second) in GB/s."""
    src = torch.empty(numel, dtype=dtype, device=device).normal_()
    dst = torch.empty_like(src)
    for _ in range(3):
        dst.copy_(src)
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        dst.copy_(src)
    end.record()
    torch.cuda.synchronize()
    seconds = start.elapsed_time(end) / 1e3 / iters
    return 2 * src.numel() * src.element_size() / seconds / 1e9
