"""spokenstyle's operators: compiled C++/CUDA kernels behind torch.ops.spokenstyle, each with a
pure-PyTorch reference (``*_reference``) that is the test oracle and the fallback."""

from ._extension import AVAILABLE, LOAD_ERROR, ExtensionWarning, has_kernel, info
from .bias_act import ACTIVATIONS, bias_act, bias_act_reference

__all__ = [
    "ACTIVATIONS",
    "AVAILABLE",
    "ExtensionWarning",
    "LOAD_ERROR",
    "bias_act",
    "bias_act_reference",
    "has_kernel",
    "info",
]
