"""Processing large images in overlapping tiles, stitched with feathered seams.

Texture backends run networks whose memory grows with the image; tiling bounds it. Tiles
overlap, and in each overlap the two tiles' outputs are cross-faded with a smooth ramp, so a
tile function that is consistent across tiles (style statistics computed once for the whole
image, not per tile) leaves no visible seam::

    from spokenstyle.image.tiling import map_tiles
    out = map_tiles(lambda t: net(t), image, tile=512, overlap=64, multiple=8, progress=True)

Pure PyTorch, no engine dependency. Pieces, for backends that need more control:

* :class:`TileGrid`: the boxes (origins and sizes multiples of ``multiple`` where the image
  allows: encoders downsample by 8 or 16) and each box's blending weight.
* :class:`TileAccumulator`: adds weighted tile outputs into the full output; the outputs may
  have another channel count than the input (features).
* :func:`seam_energy_ratio`: gradient energy across the seams relative to the rest, the
  measurement tests use to show that there are no visible seams (about 1 means none).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Callable, Iterator

import torch

__all__ = ["Box", "TileGrid", "TileAccumulator", "map_tiles", "seam_energy_ratio"]


@dataclass(frozen=True)
class Box:
    """A tile: rows ``top:bottom`` and columns ``left:right`` of the image (end exclusive)."""

    top: int
    left: int
    bottom: int
    right: int
    row: int = 0  # index of the tile row in the grid
    col: int = 0  # index of the tile column

    @property
    def height(self) -> int:
        return self.bottom - self.top

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def slices(self) -> tuple[slice, slice]:
        """``image[..., box.slices[0], box.slices[1]]`` is the tile (or ``image[box.index]``)."""
        return slice(self.top, self.bottom), slice(self.left, self.right)

    @property
    def index(self) -> tuple:
        return (Ellipsis, slice(self.top, self.bottom), slice(self.left, self.right))


def _check_int(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            if isinstance(value, bool) or int(value) != value:  # type: ignore[arg-type]
                raise TypeError
            value = int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValueError(f"{name}={value!r} must be an integer") from None
    if value < minimum:
        word = "positive" if minimum == 1 else f"at least {minimum}"
        raise ValueError(f"{name}={value} must be {word}")
    return value


def _segments(length: int, tile: int, overlap: int, multiple: int) -> list[tuple[int, int]]:
    """1-D tiling of ``[0, length)``: (start, end) pairs, each at most ``tile`` long, starts
    multiples of ``multiple``, consecutive ones overlapping by at least ``overlap``."""
    if length <= tile:
        return [(0, length)]
    size = tile  # already a multiple of `multiple` (TileGrid floors it)
    last = -(-(length - size) // multiple) * multiple  # smallest aligned start covering the end
    stride = size - overlap
    n = max(2, math.ceil(last / stride) + 1)
    while True:
        starts = [round(i * last / (n - 1) / multiple) * multiple for i in range(n - 1)] + [last]
        if all(0 < b - a <= stride for a, b in zip(starts, starts[1:])):
            return [(s, min(s + size, length)) for s in starts]
        n += 1


class TileGrid:
    """Boxes covering a ``height`` x ``width`` image, and their blending weights.

    tile:     the longest side a box may have (floored to a multiple of ``multiple``).
    overlap:  the least overlap between neighbouring boxes; the cross-fade spans the whole
              overlap, so a wider overlap hides tile-border effects (padding) better.
    multiple: box origins are multiples of it, and so are box sizes except where a box ends
              at the image border (an image side shorter than ``tile`` is one box of that side).

    Boxes are in row-major order. The weights of all boxes sum to 1 at every pixel; a box's
    weight ramps (smoothstep) only across an overlap with a neighbour, never at the image border.
    """

    def __init__(self, height: int, width: int, tile: int, overlap: int = 0, multiple: int = 1) -> None:
        self.height = _check_int("height", height, 1)
        self.width = _check_int("width", width, 1)
        tile = _check_int("tile", tile, 1)
        self.overlap = _check_int("overlap", overlap, 0)
        self.multiple = _check_int("multiple", multiple, 1)
        if tile < self.multiple:
            raise ValueError(f"tile={tile} is smaller than multiple={self.multiple}; use tile >= multiple")
        self.tile = tile // self.multiple * self.multiple
        if self.tile <= self.overlap:
            raise ValueError(
                f"tile={tile} must be larger than overlap={self.overlap}"
                + (f" (tile is floored to a multiple of {self.multiple}: {self.tile})" if self.tile != tile else "")
                + "; use a larger tile or a smaller overlap"
            )
        if max(self.height, self.width) > self.tile and self.tile - self.overlap < self.multiple:
            raise ValueError(
                f"tile - overlap = {self.tile - self.overlap} is smaller than multiple={self.multiple}, so aligned "
                "tiles cannot advance; use a smaller overlap or a larger tile"
            )
        self.rows = _segments(self.height, self.tile, self.overlap, self.multiple)
        self.cols = _segments(self.width, self.tile, self.overlap, self.multiple)
        self.boxes = [
            Box(t, l, b, r, i, j) for i, (t, b) in enumerate(self.rows) for j, (l, r) in enumerate(self.cols)
        ]
        self._row_w = _partition(self.rows, self.height)
        self._col_w = _partition(self.cols, self.width)

    def __len__(self) -> int:
        return len(self.boxes)

    def __iter__(self) -> Iterator[Box]:
        return iter(self.boxes)

    def __repr__(self) -> str:
        return (
            f"TileGrid({self.height}x{self.width}, tile={self.tile}, overlap={self.overlap}, "
            f"multiple={self.multiple}: {len(self.rows)}x{len(self.cols)} boxes)"
        )

    def seams(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """Where neighbouring boxes overlap or meet: ([row bands], [column bands]), each band a
        half-open (start, end) range of rows or columns (``start == end``: they just meet)."""
        return _bands(self.rows), _bands(self.cols)

    def weight(self, box: Box | int, *, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """The (height, width) blending weight of a box (or box index)."""
        if isinstance(box, int):
            box = self.boxes[box]
        wy = self._row_w[box.row][box.top : box.bottom]
        wx = self._col_w[box.col][box.left : box.right]
        return torch.outer(wy, wx).to(device=device, dtype=dtype)


def _bands(segments: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(b[0], a[1]) for a, b in zip(segments, segments[1:])]


def _partition(segments: list[tuple[int, int]], length: int) -> list[torch.Tensor]:
    """1-D weights, one float64 vector of ``length`` per segment, summing to 1 everywhere.

    ``R[k]`` is the share of the segments from ``k`` on: 1 after the fade from segment k-1 to
    k, 0 before it; segment k's weight is ``R[k] - R[k+1]``. The fades are kept disjoint (a fade
    ends before the next begins), so every weight lies in [0, 1] and vanishes outside its segment.
    """
    zones = [[b[0], a[1]] for a, b in zip(segments, segments[1:])]
    for z, nxt in zip(zones, zones[1:]):  # tiles k and k+2 overlap: split the contested range
        if nxt[0] < z[1]:
            cut = (nxt[0] + z[1]) // 2
            z[1], nxt[0] = cut, cut
    x = torch.arange(length, dtype=torch.float64) + 0.5
    ramps = [torch.ones(length, dtype=torch.float64)]
    for lo, hi in zones:
        if hi <= lo:
            ramps.append((x >= lo).double())
        else:
            u = ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
            ramps.append(u * u * (3.0 - 2.0 * u))  # smoothstep: zero slope at both ends
    ramps.append(torch.zeros(length, dtype=torch.float64))
    return [ramps[k] - ramps[k + 1] for k in range(len(segments))]


class TileAccumulator:
    """Stitches tile outputs into one (N, C, H, W) tensor.

    ``add(box, out)`` adds ``out * weight(box)``; ``result()`` divides by the weight added at
    each pixel (1 up to round-off, so the identity round-trips) and refuses to return an image
    with pixels no tile covered. ``C`` is taken from the first output, so a tile function may
    change the channel count (features); it must keep the tile's height and width.
    """

    def __init__(self, grid: TileGrid, *, device: torch.device | str | None = None, dtype: torch.dtype | None = None) -> None:
        self.grid = grid
        self.device = device
        self.dtype = dtype
        self._sum: torch.Tensor | None = None
        self._weight = torch.zeros(grid.height, grid.width, dtype=torch.float64)

    def add(self, box: Box, out: torch.Tensor) -> None:
        if not isinstance(out, torch.Tensor) or out.dim() != 4 or tuple(out.shape[-2:]) != (box.height, box.width):
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"a tile output must be (N, C, {box.height}, {box.width}) for the box at "
                f"({box.top}, {box.left}), got {shape}; the tile function must keep the tile's size"
            )
        if self._sum is None:
            dtype = self.dtype or (out.dtype if out.is_floating_point() else torch.float32)
            device = self.device if self.device is not None else out.device
            n, c = out.shape[:2]
            self._sum = torch.zeros(n, c, self.grid.height, self.grid.width, dtype=dtype, device=device)
        elif out.shape[:2] != self._sum.shape[:2]:
            raise ValueError(
                f"tile outputs disagree: (N, C) = {tuple(out.shape[:2])} here, {tuple(self._sum.shape[:2])} before"
            )
        w = self.grid.weight(box, device=self._sum.device, dtype=self._sum.dtype)
        region = self._sum[box.index]
        region += out.to(self._sum.dtype) * w
        self._weight[box.index] += self.grid.weight(box, dtype=torch.float64)

    def result(self) -> torch.Tensor:
        if self._sum is None or bool((self._weight <= 0).any()):
            raise ValueError("not every pixel is covered: add the output of every box of the grid first")
        return self._sum / self._weight.to(device=self._sum.device, dtype=self._sum.dtype)


def map_tiles(
    fn: Callable[[torch.Tensor], torch.Tensor],
    image: torch.Tensor,
    *,
    tile: int = 512,
    overlap: int = 64,
    multiple: int = 1,
    progress: bool = False,
) -> torch.Tensor:
    """``fn`` applied to overlapping tiles of ``image`` (N, C, H, W), stitched with feathered seams.

    ``fn`` gets (N, C, h, w) tiles and returns (N, C', h, w). Anything global (style statistics,
    a colour transform) must be computed once outside ``fn``, or every tile will differ.
    ``progress=True`` shows a tqdm bar on stderr (quiet by default).
    """
    if not isinstance(image, torch.Tensor) or image.dim() != 4:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"image must be an (N, C, H, W) tensor, got {shape}")
    grid = TileGrid(int(image.shape[-2]), int(image.shape[-1]), tile, overlap, multiple)
    if len(grid) == 1:
        return fn(image)
    acc = TileAccumulator(grid)
    from tqdm import tqdm

    for box in tqdm(grid.boxes, desc="tiles", unit="tile", file=sys.stderr, disable=not progress, leave=False):
        acc.add(box, fn(image[box.index]))
    return acc.result()


def seam_energy_ratio(image: torch.Tensor, grid: TileGrid) -> float:
    """Mean squared gradient across the grid's seams divided by that of the rest of the image.

    Seams: the column bands where boxes overlap or meet (horizontal differences there, with the
    pixel on each side, so a jump at a band's edge counts) and likewise the row bands (vertical
    differences). About 1 means the seams are indistinguishable from the image; a visible seam
    (a step or a change of texture) pushes it well above 1. On a photo the ratio also depends
    on what happens to cross the bands (an edge along a band), so compare a tiled output with
    the same function applied untiled: their ratios should agree. Needs at least one seam.
    """
    if image.dim() == 3:
        image = image.unsqueeze(0)
    if image.dim() != 4 or tuple(image.shape[-2:]) != (grid.height, grid.width):
        raise ValueError(
            f"image {tuple(image.shape)} does not match the grid ({grid.height}x{grid.width}); pass the grid it was tiled with"
        )
    row_bands, col_bands = grid.seams()
    if not row_bands and not col_bands:
        raise ValueError("the grid is one box: there is no seam to measure; use a smaller tile")
    x = image.detach().double()
    gx = (x[..., :, 1:] - x[..., :, :-1]).pow(2)  # pair c: columns c, c+1
    gy = (x[..., 1:, :] - x[..., :-1, :]).pow(2)
    seam_c = torch.zeros(grid.width - 1, dtype=torch.bool, device=x.device)
    for lo, hi in col_bands:
        seam_c[max(lo - 1, 0) : hi] = True
    seam_r = torch.zeros(grid.height - 1, dtype=torch.bool, device=x.device)
    for lo, hi in row_bands:
        seam_r[max(lo - 1, 0) : hi] = True
    seam = gx[..., seam_c].sum() + gy[..., seam_r, :].sum()
    n_seam = gx[..., seam_c].numel() + gy[..., seam_r, :].numel()
    rest = gx[..., ~seam_c].sum() + gy[..., ~seam_r, :].sum()
    n_rest = gx[..., ~seam_c].numel() + gy[..., ~seam_r, :].numel()
    if n_rest == 0:
        raise ValueError("the seam bands cover the whole image; use a larger tile or a smaller overlap")
    inner = float(rest) / n_rest
    return float(seam) / n_seam / inner if inner > 0 else (1.0 if float(seam) == 0 else math.inf)
