"""The ``vgg19`` encoder: ImageNet-trained VGG19 weights in torchvision's format, from a local file.

Where the file comes from, in order: the ``weights=`` argument; ``SPOKENSTYLE_VGG19_WEIGHTS``;
torchvision's file in the torch hub cache (``<torch.hub.get_dir()>/checkpoints/vgg19-*.pth``).
Nothing is ever downloaded. ``.safetensors`` files are read with safetensors; ``.pth`` files
with ``torch.load(weights_only=True)``, which refuses arbitrary pickled objects.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from ..errors import WeightsError
from .base import VGG19_CFG, FeatureEncoder, build_vgg_features, vgg19_layer_names

ENV_VAR = "SPOKENSTYLE_VGG19_WEIGHTS"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
HOW_TO_GET = (
    f"download torchvision's VGG19 weights once, e.g. "
    f"`python -c \"import torchvision; torchvision.models.vgg19(weights='IMAGENET1K_V1')\"` (stores "
    f"{TORCHVISION_FILE} in the torch hub cache, where spokenstyle finds it) or "
    f"https://download.pytorch.org/models/{TORCHVISION_FILE}, then pass weights=PATH or set {ENV_VAR}"
)


def find_weights(weights: str | os.PathLike | None = None) -> Path:
    """The VGG19 weights file to use; a clear error saying how to get one if there is none."""
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights={str(weights)!r}: no such file; {HOW_TO_GET}")
        return path
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise WeightsError(f"{ENV_VAR}={env!r}: no such file; {HOW_TO_GET}")
        return path
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    found = sorted(checkpoints.glob("vgg19-*.pth")) if checkpoints.is_dir() else []
    if found:
        return found[0]
    raise WeightsError(f"the vgg19 encoder needs ImageNet weights and none were found; {HOW_TO_GET}")


def read_state_dict(path: Path) -> dict[str, torch.Tensor]:
    """Tensors from a .safetensors or .pth file; corrupt or unsafe files are clear errors."""
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            return load_file(str(path))
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any decoding failure means "not a weights file"
        raise WeightsError(f"cannot read weights file '{path}': {type(exc).__name__}: {exc}".rstrip()) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise WeightsError(f"weights file '{path}' does not hold a state dict of tensors")
    return state


def features_state(state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """The ``features.*`` part of a full torchvision VGG19 state dict (or a features-only one)."""
    template = build_vgg_features(VGG19_CFG).state_dict()
    picked = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    if not picked:
        picked = {k: v for k, v in state.items() if k in template}
    for key, ref in template.items():
        if key not in picked:
            raise WeightsError(
                f"weights file '{path}' is not VGG19 in torchvision's format: it has no 'features.{key}'; {HOW_TO_GET}"
            )
        if tuple(picked[key].shape) != tuple(ref.shape):
            raise WeightsError(
                f"weights file '{path}' is not VGG19: 'features.{key}' has shape {tuple(picked[key].shape)}, "
                f"VGG19 needs {tuple(ref.shape)}"
            )
    return {k: picked[k].float() for k in template}


class VGG19Encoder(FeatureEncoder):
    """torchvision's VGG19 ``features`` with ImageNet weights from a local file."""

    name = "vgg19"

    def __init__(self, weights: str | os.PathLike | None = None) -> None:
        path = find_weights(weights)
        features = build_vgg_features(VGG19_CFG)
        features.load_state_dict(features_state(read_state_dict(path), path))
        super().__init__(features, vgg19_layer_names())
        self.weights_path = str(path)

    def extra_repr(self) -> str:
        return f"weights={self.weights_path!r}"
