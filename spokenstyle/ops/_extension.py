"""Loading spokenstyle._C, once, and remembering why it failed if it did.

The package must import and work without the compiled extension: every operator then runs its
pure-PyTorch reference, and exactly one ExtensionWarning says so.
"""

from __future__ import annotations

import os
import warnings

import torch


class ExtensionWarning(RuntimeWarning):
    """The compiled operators are unavailable; the pure-PyTorch reference path is used."""


#: Every schema csrc/ops.cpp defines. A ``_C`` built from an older checkout lacks some of them;
#: it is then treated as absent (reference path, one warning), not half-used.
OPERATORS: tuple[str, ...] = (
    "adain", "adain_backward", "anisotropic_kuwahara", "bias_act", "bias_act_backward", "bias_act_residual",
    "bilateral", "calc_mean_std", "calc_mean_std_backward", "flow_dog", "gram", "gram_backward", "minibatch_stddev",
    "minibatch_stddev_backward", "style_loss", "upfirdn2d",
)


def _load():
    if os.environ.get("SPOKENSTYLE_DISABLE_EXTENSION", "").strip() in ("1", "true", "yes"):
        return None, "disabled by SPOKENSTYLE_DISABLE_EXTENSION=1"
    try:
        from spokenstyle import _C  # noqa: F401  (importing registers torch.ops.spokenstyle.*)
    except Exception as exc:  # ImportError, or an undefined symbol from a torch mismatch
        return None, f"{type(exc).__name__}: {exc}"
    missing = [name for name in OPERATORS if not _defined(name)]
    if missing:
        return None, (f"the built extension is stale: it lacks {', '.join(missing)} "
                      "(it was built from an older checkout)")
    return _C, None


def _defined(name: str) -> bool:
    try:
        getattr(torch.ops.spokenstyle, name)  # raises for a schema no loaded library defines
    except (AttributeError, RuntimeError):
        return False
    return True


_C, LOAD_ERROR = _load()
AVAILABLE = _C is not None

if not AVAILABLE:
    warnings.warn(
        "spokenstyle: the compiled operators (spokenstyle._C) are unavailable, so the slower "
        f"pure-PyTorch reference implementations are used ({LOAD_ERROR}). Reinstall with "
        "`pip install --no-build-isolation .` and run `spokenstyle doctor` for details.",
        ExtensionWarning,
        stacklevel=2,
    )


def has_kernel(device: torch.device | str) -> bool:
    """Whether a compiled kernel exists for tensors on `device`."""
    if not AVAILABLE:
        return False
    kind = torch.device(device).type
    if kind == "cpu":
        return True
    if kind == "cuda":
        return bool(_C.build_info()["cuda"])
    return False


def info() -> dict:
    """What was built and what is running: the facts `spokenstyle doctor` prints."""
    from .._version import __version__

    out = {
        "spokenstyle_version": __version__,
        "extension_loaded": AVAILABLE,
        "extension_error": LOAD_ERROR,
        "torch_running": torch.__version__,
        "torch_built": None,
        "cpu_kernels": AVAILABLE,
        "cuda_kernels": False,
        "cuda_built_version": None,
        "cuda_archs": [],
        "cuda_available": torch.cuda.is_available(),
        "gpus": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if torch.cuda.is_available()
        else [],
        "cpu_threads": torch.get_num_threads(),
        "operators": sorted(_registered_ops()),
    }
    if AVAILABLE:
        built = _C.build_info()
        out["torch_built"] = built["torch_version"]
        out["cuda_kernels"] = bool(built["cuda"])
        if built["cuda"]:
            v = int(built["cuda_version"])
            out["cuda_built_version"] = f"{v // 1000}.{(v % 1000) // 10}"
            out["cuda_archs"] = [f"sm_{int(a) // 10}" for a in built["cuda_arch_list"].split(",") if a]
    return out


def _registered_ops() -> list[str]:
    if not AVAILABLE:
        return []
    return [name for name in dir(torch.ops.spokenstyle) if not name.startswith("_") and
            isinstance(getattr(torch.ops.spokenstyle, name, None), torch._ops.OpOverloadPacket)]
