"""spokenstyle.image.tiling: boxes, blending weights, stitching, and the seam measurement."""

import pytest
import torch
import torch.nn.functional as F

from harness.helpers import photo
from spokenstyle.image.tiling import TileAccumulator, TileGrid, map_tiles, seam_energy_ratio

GEOMETRIES = [  # (height, width, tile, overlap, multiple)
    (171, 256, 64, 16, 8),
    (192, 192, 96, 24, 16),
    (300, 517, 128, 32, 8),
    (100, 1000, 128, 100, 1),  # overlap close to tile: boxes two apart overlap too
    (37, 500, 64, 0, 1),  # tiles that just meet
    (50, 40, 64, 16, 8),  # smaller than a tile: one box
]


def _canvas(grid, dtype=torch.float64):
    """Sum of all box weights, and how many boxes cover each pixel."""
    total = torch.zeros(grid.height, grid.width, dtype=dtype)
    count = torch.zeros(grid.height, grid.width, dtype=torch.int64)
    for box in grid:
        total[box.index] += grid.weight(box, dtype=dtype)
        count[box.index] += 1
    return total, count


@pytest.mark.parametrize("h, w, tile, overlap, multiple", GEOMETRIES)
def test_boxes_cover_the_image_with_the_promised_geometry(h, w, tile, overlap, multiple):
    grid = TileGrid(h, w, tile, overlap, multiple)
    _total, count = _canvas(grid)
    assert bool((count >= 1).all())
    for box in grid:
        assert 0 < box.height <= tile and 0 < box.width <= tile
        assert box.top % multiple == 0 and box.left % multiple == 0
        # sizes are multiples too, except where a box stops at the image border
        assert box.height % multiple == 0 or box.bottom == h
        assert box.width % multiple == 0 or box.right == w
    for segments in (grid.rows, grid.cols):
        for (a0, a1), (b0, b1) in zip(segments, segments[1:]):
            assert a1 - b0 >= overlap and b0 > a0 and b1 > a1
    if h <= tile and w <= tile:
        assert len(grid) == 1 and grid.boxes[0].slices == (slice(0, h), slice(0, w))


@pytest.mark.parametrize("h, w, tile, overlap, multiple", GEOMETRIES)
def test_weights_sum_to_one_and_ramp_only_between_neighbours(h, w, tile, overlap, multiple):
    grid = TileGrid(h, w, tile, overlap, multiple)
    total, count = _canvas(grid)
    assert torch.allclose(total, torch.ones_like(total), rtol=0, atol=1e-12)
    for box in grid:
        wt = grid.weight(box, dtype=torch.float64)
        assert bool((wt >= 0).all()) and bool((wt <= 1).all())
        # where no other box reaches (this includes every image border pixel of a lone
        # box), the weight is exactly 1: no ramp at the image border
        alone = count[box.index] == 1
        assert bool((wt[alone] == 1).all())
    # float32 weights still sum to 1 to round-off
    total32, _ = _canvas(grid, torch.float32)
    assert float((total32 - 1).abs().max()) < 1e-6


@pytest.mark.parametrize("name, tile, overlap, multiple", [("coffee", 64, 16, 8), ("astronaut", 80, 20, 16), ("chelsea", 100, 0, 1)])
def test_identity_round_trips_and_channels_may_change(name, tile, overlap, multiple):
    x = photo(name)
    out = map_tiles(lambda t: t, x, tile=tile, overlap=overlap, multiple=multiple)
    assert out.shape == x.shape and float((out - x).abs().max()) <= 1e-6
    # a tile function may return features with another channel count (same height and width)
    feats = map_tiles(lambda t: torch.cat([t, t.mean(1, keepdim=True) * 2], 1), x, tile=tile, overlap=overlap, multiple=multiple)
    want = torch.cat([x, x.mean(1, keepdim=True) * 2], 1)
    assert feats.shape == (1, 4) + x.shape[-2:] and float((feats - want).abs().max()) <= 1e-6


def test_a_constant_per_tile_becomes_a_smooth_blend():
    h, w, overlap = 171, 256, 20
    grid = TileGrid(h, w, 64, overlap, 8)
    values = torch.linspace(0.0, 1.0, len(grid))[torch.randperm(len(grid))]
    acc = TileAccumulator(grid)
    for box, v in zip(grid, values):
        acc.add(box, torch.full((1, 1, box.height, box.width), float(v)))
    out = acc.result()[0, 0].double()
    jump = max(float((values[None] - values[:, None]).abs().max()), 1e-9)
    # smoothstep's steepest slope is 1.5 / zone width; every zone is at least `overlap` wide
    allowed = jump * 1.5 / overlap + 1e-6
    steps = max(float(out.diff(dim=0).abs().max()), float(out.diff(dim=1).abs().max()))
    assert steps <= allowed
    assert float(out.min()) >= float(values.min()) - 1e-6 and float(out.max()) <= float(values.max()) + 1e-6
    # tiles that just meet jump by the full difference: the bound is one that can fail
    hard = TileGrid(h, w, 64, 0, 8)
    acc = TileAccumulator(hard)
    for box in hard:  # a checkerboard of 0 and 1
        acc.add(box, torch.full((1, 1, box.height, box.width), float((box.row + box.col) % 2)))
    hard_out = acc.result()[0, 0]
    assert float(hard_out.diff(dim=1).abs().max()) == 1.0 > 5 * 1.5 / overlap


def _stylize_like(x, mean, std):
    """Normalise with the given statistics, a nonlinearity and a 5x5 blur (which pads at tile
    borders): a stand-in for a texture network."""
    z = torch.tanh(1.5 * (x - mean) / std)
    kernel = torch.full((x.shape[1], 1, 5, 5), 1 / 25)
    z = F.conv2d(F.pad(z, (2, 2, 2, 2), mode="replicate"), kernel, groups=x.shape[1])
    return (0.5 + 0.2 * z).clamp(0, 1)


@pytest.mark.parametrize("name", ["coffee", "astronaut"])
def test_global_statistics_leave_no_seam_and_per_tile_statistics_do(name):
    x = photo(name)
    mean, std = x.mean((2, 3), keepdim=True), x.std((2, 3), keepdim=True)
    reference = _stylize_like(x, mean, std)  # the whole image at once
    grid = TileGrid(x.shape[-2], x.shape[-1], 64, 16, 8)
    tiled = map_tiles(lambda t: _stylize_like(t, mean, std), x, tile=64, overlap=16, multiple=8)
    # a photo's own seam ratio depends on what crosses the bands, so compare with the untiled output
    ratio = seam_energy_ratio(tiled, grid) / seam_energy_ratio(reference, grid)
    assert abs(ratio - 1) < 0.03, ratio
    # the blur's padding differs at tile borders; the cross-fade hides it (well under 1/255)
    assert float((tiled - reference).abs().max()) < 2e-3

    def per_tile(t):
        return _stylize_like(t, t.mean((2, 3), keepdim=True), t.std((2, 3), keepdim=True))

    hard_grid = TileGrid(x.shape[-2], x.shape[-1], 64, 0, 8)
    seamed = map_tiles(per_tile, x, tile=64, overlap=0, multiple=8)
    assert seam_energy_ratio(seamed, hard_grid) / seam_energy_ratio(reference, hard_grid) > 2.5


def test_seam_ratio_of_a_stationary_texture_is_about_one():
    torch.manual_seed(0)
    noise = F.avg_pool2d(torch.rand(1, 3, 260, 300), 3, stride=1, padding=1)
    grid = TileGrid(260, 300, 64, 16, 8)
    assert abs(seam_energy_ratio(noise, grid) - 1) < 0.05
    assert abs(seam_energy_ratio(map_tiles(lambda t: t * 0.5 + 0.2, noise, tile=64, overlap=16, multiple=8), grid) - 1) < 0.05


def test_gradients_flow_through_the_tiles():
    x = photo("chelsea")[..., :100, :150].clone().requires_grad_(True)
    out = map_tiles(lambda t: t * 3.0, x, tile=48, overlap=12, multiple=8)
    out.sum().backward()
    assert torch.allclose(x.grad, torch.full_like(x, 3.0), atol=1e-5)


def test_progress_bar_only_when_asked(capsys):
    x = torch.rand(1, 3, 90, 90)
    map_tiles(lambda t: t, x, tile=32, overlap=8)
    assert capsys.readouterr().err == ""
    map_tiles(lambda t: t, x, tile=32, overlap=8, progress=True)
    err = capsys.readouterr().err
    assert "tiles:" in err and "/16" in err  # a tqdm bar over the 16 tiles, on stderr


@pytest.mark.parametrize(
    "args, message",
    [
        ((100, 100, 32, 32), "tile=32 must be larger than overlap=32"),
        ((100, 100, 16, 40), "must be larger than overlap"),
        ((0, 100, 32, 8), "height=0 must be positive"),
        ((100, -5, 32, 8), "width=-5 must be positive"),
        ((100, 100, 0, 0), "tile=0 must be positive"),
        ((100, 100, 32, -1), "overlap=-1 must be at least 0"),
        ((100, 100, 32, 8, 0), "multiple=0 must be positive"),
        ((100, 100, 4, 0, 8), "smaller than multiple"),
        ((100, 100, 32, 28, 8), "cannot advance"),
        ((100.5, 100, 32, 8), "must be an integer"),
    ],
)
def test_bad_arguments_are_clear_errors(args, message):
    with pytest.raises(ValueError, match=message):
        TileGrid(*args)


def test_a_tile_function_that_changes_the_size_is_a_clear_error():
    with pytest.raises(ValueError, match=r"must keep the tile's size"):
        map_tiles(lambda t: t[..., ::2, ::2], torch.rand(1, 3, 100, 100), tile=48, overlap=8)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        map_tiles(lambda t: t, torch.rand(3, 100, 100), tile=48, overlap=8)
    with pytest.raises(ValueError, match="no seam"):
        seam_energy_ratio(torch.rand(1, 3, 20, 20), TileGrid(20, 20, 32, 8))
    grid = TileGrid(64, 64, 32, 8)
    acc = TileAccumulator(grid)
    acc.add(grid.boxes[0], torch.zeros(1, 3, grid.boxes[0].height, grid.boxes[0].width))
    with pytest.raises(ValueError, match="not every pixel is covered"):
        acc.result()
