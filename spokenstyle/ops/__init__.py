"""spokenstyle's operators: compiled C++/CUDA kernels behind torch.ops.spokenstyle, each with a
pure-PyTorch reference (``*_reference``) that is the test oracle and the fallback."""

from ._extension import AVAILABLE, LOAD_ERROR, ExtensionWarning, has_kernel, info
from .adain import adain, adain_reference, calc_mean_std, calc_mean_std_reference
from .bilateral import bilateral, bilateral_reference
from .bias_act import ACTIVATIONS, bias_act, bias_act_reference, bias_act_residual, bias_act_residual_reference
from .flow_dog import flow_dog, flow_dog_reference
from .gram import gram, gram_reference, style_loss, style_loss_reference
from .kuwahara import anisotropic_kuwahara, anisotropic_kuwahara_reference
from .minibatch_stddev import minibatch_stddev, minibatch_stddev_reference
from .structure_tensor import structure_tensor, structure_tensor_reference
from .upfirdn2d import fir_filter, upfirdn2d, upfirdn2d_reference

__all__ = [
    "ACTIVATIONS",
    "AVAILABLE",
    "ExtensionWarning",
    "LOAD_ERROR",
    "adain",
    "adain_reference",
    "anisotropic_kuwahara",
    "anisotropic_kuwahara_reference",
    "bias_act",
    "bias_act_reference",
    "bias_act_residual",
    "bias_act_residual_reference",
    "bilateral",
    "bilateral_reference",
    "calc_mean_std",
    "calc_mean_std_reference",
    "fir_filter",
    "flow_dog",
    "flow_dog_reference",
    "gram",
    "gram_reference",
    "has_kernel",
    "info",
    "minibatch_stddev",
    "minibatch_stddev_reference",
    "structure_tensor",
    "structure_tensor_reference",
    "style_loss",
    "style_loss_reference",
    "upfirdn2d",
    "upfirdn2d_reference",
]
