"""Neural-network modules built on spokenstyle's operators."""

from .discriminator import DiscriminatorBlock, PatchDiscriminator
from .layers import (AdaIN, Blur, Downsample, EqualConv2d, EqualLinear, FusedLeakyReLU, MinibatchStd,
                     ModulatedConv2d, Upsample)
from .transform import TransformConfig, TransformNet

__all__ = [
    "AdaIN",
    "Blur",
    "DiscriminatorBlock",
    "Downsample",
    "EqualConv2d",
    "EqualLinear",
    "FusedLeakyReLU",
    "MinibatchStd",
    "ModulatedConv2d",
    "PatchDiscriminator",
    "TransformConfig",
    "TransformNet",
    "Upsample",
]
