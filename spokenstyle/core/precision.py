"""Reduced-precision compute for the convolutional networks: where bfloat16 pays, and the one
context manager that turns it on.

Perceptual networks (VGG-19, the AdaIN decoder) are convolution stacks whose float32 cost is
almost all GEMM. On CPUs with AMX or AVX512-BF16 oneDNN runs those convolutions in bfloat16
several times faster (measured: VGG-19 to relu4_1 at 512², one core, 1.17 s float32 against
0.24–0.35 s under ``torch.autocast``; benchmarks/RESULTS.md). Elsewhere bfloat16 is emulated
and slower, so ``"auto"`` only chooses it where the hardware has it.

Only the networks run under autocast; losses, statistics and the images themselves stay in
float32 (callers cast features back with ``.float()``), so an optimiser or a histogram never
sees bfloat16's 8-bit mantissa.
"""

from __future__ import annotations

import contextlib
import os

import torch

from ..errors import UsageError

PRECISIONS = ("auto", "float32", "bfloat16")

#: oneDNN's ``ONEDNN_MAX_CPU_ISA`` values that leave out native bfloat16 (AMX, AVX512-BF16 and
#: AVX512-FP16, which includes BF16): capped there, oneDNN emulates bfloat16, slower than float32.
_ISA_WITHOUT_BF16 = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI")


def cpu_has_fast_bf16() -> bool:
    """True when this CPU runs bfloat16 convolutions natively (AMX or AVX512-BF16) and oneDNN
    is not capped below them by ``ONEDNN_MAX_CPU_ISA``."""
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", os.environ.get("DNNL_MAX_CPU_ISA", "")).strip().upper()
    if cap in _ISA_WITHOUT_BF16:
        return False
    if not torch.backends.mkldnn.is_available():
        return False
    cpu = getattr(torch, "cpu", None)
    probes = [getattr(cpu, name, None) for name in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")]
    return any(bool(p()) for p in probes if callable(p))


def check(precision: object, name: str = "precision") -> str:
    """The precision, normalised; a UsageError naming ``name`` and the choices otherwise."""
    value = str(precision).strip().lower() if isinstance(precision, str) else precision
    aliases = {"fp32": "float32", "bf16": "bfloat16"}
    value = aliases.get(value, value)
    if value not in PRECISIONS:
        raise UsageError(f"{name}={precision!r} is unknown; use one of {', '.join(PRECISIONS)}")
    return value


def compute_dtype(precision: str, device: torch.device | str) -> torch.dtype:
    """The dtype the networks run in on ``device``: float32, or bfloat16 when asked for, or when
    ``"auto"`` and the device runs it natively (a CPU with AMX/AVX512-BF16, a CUDA GPU with
    bfloat16 support)."""
    precision = check(precision)
    if precision != "auto":
        return torch.bfloat16 if precision == "bfloat16" else torch.float32
    device = torch.device(device)
    if device.type == "cpu":
        return torch.bfloat16 if cpu_has_fast_bf16() else torch.float32
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float32
    return torch.float32


def autocast(precision: str, device: torch.device | str):
    """``torch.autocast`` in bfloat16 where :func:`compute_dtype` chooses it, else a no-op."""
    device = torch.device(device)
    if compute_dtype(precision, device) is not torch.bfloat16 or device.type not in ("cpu", "cuda"):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def at_precision(fn, precision: str):
    """``fn`` called under :func:`autocast` on its first tensor argument's device, its output (a
    tensor or a dict of them) cast back to float32: the one way the backends and the trainer run
    a network at ``precision`` while everything after it stays float32."""
    def run(*args, **kwargs):
        device = next(a.device for a in args if isinstance(a, torch.Tensor))
        with autocast(precision, device):
            out = fn(*args, **kwargs)
        return {k: v.float() for k, v in out.items()} if isinstance(out, dict) else out.float()

    return run


def describe() -> str:
    """One line for ``spokenstyle doctor``: what ``precision="auto"`` picks on this machine's CPU."""
    if cpu_has_fast_bf16():
        return "bfloat16 autocast for the networks (this CPU has AMX/AVX512-BF16)"
    return "float32 (no native bfloat16 on this CPU, or ONEDNN_MAX_CPU_ISA caps it)"
