"""spokenstyle.quality.metrics / spokenstyle.quality.evaluation / ``spokenstyle eval``: the quality figures move
the way their definitions say, on real photos, with the fast ``random`` encoder at 64-128 px."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

from harness.helpers import PHOTOS, REPO, photo, run_cli, stderr_lines
from spokenstyle import cli
from spokenstyle.quality import metrics
from spokenstyle.encoders import load as load_encoder
from spokenstyle.quality.evaluation import Evaluation, evaluate, match_triples
from spokenstyle.image.imageio import save, tensor_to_pil
from spokenstyle.plugins.manager import get_plugin_manager


@pytest.fixture(scope="module")
def enc():
    return load_encoder("random", plugins=get_plugin_manager())


def sized(name: str, size: int = 64) -> torch.Tensor:
    x = photo(name)
    h, w = x.shape[-2:]
    s = size / max(h, w)
    return F.interpolate(x, size=(round(h * s), round(w * s)), mode="bilinear", antialias=True).clamp(0, 1)


def noisy(x: torch.Tensor, sigma: float, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (x + sigma * torch.randn(x.shape, generator=g)).clamp(0, 1)


def blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    r = max(1, int(3 * sigma))
    t = torch.arange(-r, r + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = x.shape[1]
    x = F.conv2d(F.pad(x, (r, r, 0, 0), mode="reflect"), k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), groups=c)
    return F.conv2d(F.pad(x, (0, 0, r, r), mode="reflect"), k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), groups=c)


def adain_pixels(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """An AdaIN-ish blend: the photo with the style's per-channel statistics, half mixed with the
    style itself (resized to the photo), as a stylization that has moved part of the way."""
    cm, cs = content.mean((2, 3), keepdim=True), content.std((2, 3), keepdim=True)
    sm, ss = style.mean((2, 3), keepdim=True), style.std((2, 3), keepdim=True)
    moved = ((content - cm) / cs * ss + sm).clamp(0, 1)
    return 0.5 * moved + 0.5 * F.interpolate(style, size=content.shape[-2:], mode="bilinear", antialias=True)


# ----------------------------------------------------------------------------- style distance
def test_style_distance_is_zero_for_the_style_and_orders_outputs(enc):
    content, style = sized("coffee"), sized("chelsea")
    same = metrics.style_distance(style, style, enc)
    assert same.gram < 1e-6 and same.mean_std < 1e-6
    assert set(same.gram_layers) == set(metrics.STYLE_LAYERS) == set(same.mean_std_layers)
    far = metrics.style_distance(style, content, enc)
    blend = metrics.style_distance(style, adain_pixels(content, style), enc)
    assert far.gram > blend.gram > 1e-3, (far.gram, blend.gram)
    assert far.mean_std > blend.mean_std > 1e-3, (far.mean_std, blend.mean_std)
    # The average is the mean of the per-layer figures.
    assert far.gram == pytest.approx(sum(far.gram_layers.values()) / 5)


def test_style_distance_matches_its_definition(enc):
    content, style = sized("astronaut", 64), sized("chelsea", 80)  # different sizes compare
    got = metrics.style_distance(style, content, enc)
    fs, fo = enc(style, ["relu3_1"]), enc(content, ["relu3_1"])
    s, o = fs["relu3_1"].double(), fo["relu3_1"].double()

    def gram(x):
        f = x.reshape(x.shape[1], -1)
        return f @ f.T / f.numel()

    gs, go = gram(s), gram(o)
    expected = float((go - gs).square().mean() / gs.square().mean())
    assert got.gram_layers["relu3_1"] == pytest.approx(expected, rel=1e-4)
    ms, ss = s.mean((2, 3)), s.std((2, 3))
    mo, so = o.mean((2, 3)), o.std((2, 3))
    expected = float(((mo - ms).square().mean() + (so - ss).square().mean()) / (ms.square().mean() + ss.square().mean()))
    assert got.mean_std_layers["relu3_1"] == pytest.approx(expected, rel=1e-3)


# ----------------------------------------------------------------------------- content distance
def test_content_distance_is_zero_for_the_photo_and_grows_with_noise(enc):
    content = sized("coffee")
    zero = metrics.content_distance(content, content, enc)
    assert zero.distance == 0.0 and zero.relative == 0.0
    assert set(zero.layers) == {"relu4_1", "relu4_2"}  # the random encoder offers both
    figures = [metrics.content_distance(content, noisy(content, s), enc) for s in (0.03, 0.1, 0.3)]
    assert figures[0].distance > 0
    assert [f.distance for f in figures] == sorted(f.distance for f in figures)
    assert figures[0].distance < figures[1].distance < figures[2].distance
    assert figures[0].relative < figures[1].relative < figures[2].relative
    # Relative to a blank canvas of the photo's mean colour: that canvas scores exactly 1.
    blank = metrics.content_distance(content, metrics.blank_like(content), enc)
    assert blank.relative == pytest.approx(1.0, abs=1e-6)
    assert figures[0].relative < 1.0


def test_content_distance_is_per_feature_so_sizes_compare(enc):
    """Twice the side is four times the features; a sum would grow 4x, the mean must not."""
    small = metrics.content_distance(sized("chelsea", 64), noisy(sized("chelsea", 64), 0.1), enc).distance
    large = metrics.content_distance(sized("chelsea", 128), noisy(sized("chelsea", 128), 0.1), enc).distance
    assert 0.5 < large / small < 2.0, (small, large)


def test_content_distance_needs_one_size(enc):
    with pytest.raises(ValueError, match="one size"):
        metrics.content_distance(sized("coffee", 80), sized("coffee", 64), enc)


# ----------------------------------------------------------------------------- SSIM
def test_ssim_is_one_for_the_same_image_and_falls_with_blur():
    x = sized("astronaut", 128)
    assert metrics.ssim_lightness(x, x) == 1.0
    values = [metrics.ssim_lightness(x, blur(x, s)) for s in (0.7, 1.5, 3.0)]
    assert 1.0 > values[0] > values[1] > values[2] > 0.0, values
    assert metrics.ssim_lightness(x, x.flip(-1)) < values[2]  # a different structure entirely


def test_ssim_matches_the_textbook_formula_on_one_window():
    """A 7x7 pair is one window: SSIM = (2μxμy+C1)(2σxy+C2) / ((μx²+μy²+C1)(σx²+σy²+C2)),
    sample (co)variances, as scikit-image's structural_similarity(data_range=1)."""
    g = torch.Generator().manual_seed(3)
    x = torch.rand(1, 1, 7, 7, generator=g, dtype=torch.float64)
    y = (0.6 * x + 0.4 * torch.rand(1, 1, 7, 7, generator=g, dtype=torch.float64)) * 0.8
    a, b = x.flatten(), y.flatten()
    mx, my = a.mean(), b.mean()
    vx, vy = a.var(unbiased=True), b.var(unbiased=True)
    cxy = ((a - mx) * (b - my)).sum() / (a.numel() - 1)
    c1, c2 = 0.01**2, 0.03**2
    expected = float((2 * mx * my + c1) * (2 * cxy + c2) / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    assert metrics.ssim(x, y) == pytest.approx(expected, rel=1e-12)


def test_ssim_errors_name_the_problem():
    x = sized("coffee", 64)
    with pytest.raises(ValueError, match="one size"):
        metrics.ssim_lightness(x, x[..., :-1])
    with pytest.raises(ValueError, match="at least 7x7"):
        metrics.ssim(x[..., :5, :5], x[..., :5, :5])
    with pytest.raises(ValueError, match="odd integer"):
        metrics.ssim(x, x, window=4)


def test_test_helpers_use_the_package_ssim():
    from harness import helpers as _helpers

    assert _helpers.ssim is metrics.ssim


# ----------------------------------------------------------------------------- evaluate
def _write(path, x):
    save(tensor_to_pil(x[0]), path)
    return path


@pytest.fixture()
def folders(tmp_path):
    """content/ with two photos, out/ with an unchanged copy of one and a mirrored copy of the other."""
    cdir, odir = tmp_path / "content", tmp_path / "out"
    cdir.mkdir()
    odir.mkdir()
    for name in ("coffee", "chelsea"):
        shutil.copy(PHOTOS[name], cdir / f"{name}.jpg")
    _write(odir / "coffee.png", photo("coffee"))  # the decoded photo, losslessly
    _write(odir / "chelsea.png", photo("chelsea").flip(-1))  # mirrored: other content, same style
    return cdir, odir


def test_evaluate_matches_folders_by_stem(folders, enc):
    cdir, odir = folders
    result = evaluate(cdir, PHOTOS["astronaut"], odir, encoder=enc, size=64)
    assert isinstance(result, Evaluation)
    names = [(t.content.name, t.output.name) for t, _ in result.triples]
    assert names == [("chelsea.jpg", "chelsea.png"), ("coffee.jpg", "coffee.png")]
    chelsea, coffee = (f for _, f in result.triples)
    assert coffee.content.distance < 1e-3 and coffee.ssim_lightness > 0.99  # its own photo (resized alike)
    assert chelsea.content.distance > 100 * max(coffee.content.distance, 1e-6)
    assert chelsea.ssim_lightness < 0.8
    assert result.mean.ssim_lightness == pytest.approx((chelsea.ssim_lightness + coffee.ssim_lightness) / 2)
    assert result.mean.style.gram_layers["relu2_1"] == pytest.approx(
        (chelsea.style.gram_layers["relu2_1"] + coffee.style.gram_layers["relu2_1"]) / 2
    )


def test_style_folder_is_matched_by_stem_too(folders, tmp_path, enc):
    cdir, odir = folders
    sdir = tmp_path / "styles"
    sdir.mkdir()
    shutil.copy(PHOTOS["chelsea"], sdir / "chelsea.jpg")  # chelsea's output is judged against itself...
    shutil.copy(PHOTOS["astronaut"], sdir / "coffee.jpg")  # ...coffee's against the astronaut
    triples = match_triples(cdir, sdir, odir)
    assert [(t.style.name, t.output.stem) for t in triples] == [("chelsea.jpg", "chelsea"), ("coffee.jpg", "coffee")]
    result = evaluate(cdir, sdir, odir, encoder=enc, size=64)
    chelsea, coffee = (f for _, f in result.triples)
    # chelsea's output is its photo mirrored (the same statistics), so its style is far nearer
    # its own photo's than coffee's photo is to the astronaut's.
    assert chelsea.style.mean_std < coffee.style.mean_std


def test_output_equal_to_style_scores_zero_through_evaluate(enc):
    r = evaluate(PHOTOS["coffee"], PHOTOS["chelsea"], PHOTOS["chelsea"], encoder=enc, size=64)
    (_, f), = r.triples
    assert f.style.gram < 1e-6 and f.style.mean_std < 1e-6


# ----------------------------------------------------------------------------- the command
def test_cli_json_schema(folders, capsys):
    cdir, odir = folders
    code = cli.main(["eval", str(cdir), str(PHOTOS["astronaut"]), str(odir), "--encoder", "random", "--size", "64",
                     "--device", "cpu", "--json"])
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"encoder", "fingerprint", "size", "content_layers", "style_layers", "triples", "mean"}
    assert data["encoder"] == "random" and data["size"] == 64
    assert data["fingerprint"] == load_encoder("random", plugins=get_plugin_manager()).fingerprint()
    assert data["content_layers"] == ["relu4_1", "relu4_2"]
    assert data["style_layers"] == list(metrics.STYLE_LAYERS)
    assert [t["output"] for t in data["triples"]] == [str(odir / "chelsea.png"), str(odir / "coffee.png")]
    for fig in [t["figures"] for t in data["triples"]] + [data["mean"]]:
        assert set(fig) == {"content", "style", "ssim_lightness", "lattice"}
        assert 0.0 <= fig["lattice"] < 0.01  # the outputs are photos: no grid
        assert set(fig["content"]) == {"distance", "relative", "layers"}
        assert set(fig["content"]["layers"]) == {"relu4_1", "relu4_2"}
        assert set(fig["content"]["layers"]["relu4_1"]) == {"distance", "relative"}
        assert set(fig["style"]) == {"gram", "mean_std", "layers"}
        assert set(fig["style"]["layers"]) == set(metrics.STYLE_LAYERS)
        assert all(isinstance(v, float) for v in fig["style"]["layers"]["relu5_1"].values())
    means = [t["figures"]["content"]["relative"] for t in data["triples"]]
    assert data["mean"]["content"]["relative"] == pytest.approx(sum(means) / 2)


def test_cli_table_has_a_row_per_triple_and_a_mean(folders, capsys):
    cdir, odir = folders
    code = cli.main(["eval", str(cdir), str(PHOTOS["astronaut"]), str(odir), "--encoder", "random", "--size", "64", "-q"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("encoder random (fingerprint ") and "long side 64 px" in lines[0]
    assert lines[1].split() == ["output", "content", "content", "rel", "gram", "mean/std", "SSIM", "L", "grid"]
    rows = {l.split()[0]: l.split()[1:] for l in lines[2:] if l.split() and l.split()[0] != "content,"}
    assert set(rows) >= {str(odir / "chelsea.png"), str(odir / "coffee.png"), "mean"}
    assert float(rows[str(odir / "coffee.png")][-2]) > float(rows[str(odir / "chelsea.png")][-2])  # SSIM
    code = cli.main(["eval", str(PHOTOS["coffee"]), str(PHOTOS["astronaut"]), str(odir / "coffee.png"),
                     "--encoder", "random", "--size", "64", "-q"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 4 and lines[2].split()[0] == str(odir / "coffee.png")  # one triple: no mean row


def test_default_encoder_is_vgg19():
    args = cli.build_parser().parse_args(["eval", "a.jpg", "b.jpg", "c.jpg"])
    assert args.encoder == "vgg19" and args.size == 512 and args.command == "eval"


def _fails(capsys, *argv) -> str:
    code = cli.main(["eval", "--encoder", "random", "--size", "64", "-q", *map(str, argv)])
    out, err = capsys.readouterr()
    lines = [l for l in err.splitlines() if l.strip()]
    assert code == 2 and out == "" and len(lines) == 1, (code, out, err)
    assert lines[0].startswith("spokenstyle eval: error: ")
    return lines[0]


def test_cli_errors_are_one_line_exit_2(folders, tmp_path, capsys):
    cdir, odir = folders
    style = PHOTOS["astronaut"]
    assert "output 'nope.png' does not exist" in _fails(capsys, PHOTOS["coffee"], style, "nope.png")
    assert "style 'gone.jpg' does not exist" in _fails(capsys, PHOTOS["coffee"], "gone.jpg", PHOTOS["coffee"])
    bad = tmp_path / "broken.jpg"
    bad.write_text("not an image")
    assert "'" + str(bad) + "' is not an image" in _fails(capsys, PHOTOS["coffee"], style, bad)
    # counts differ: one output for two photos
    (odir / "chelsea.png").unlink()
    msg = _fails(capsys, cdir, style, odir)
    assert "(2 images)" in msg and "(1 images)" in msg and "no output for 'chelsea'" in msg
    # stems differ: the output is named otherwise
    _write(odir / "kitty.png", photo("chelsea"))
    msg = _fails(capsys, cdir, style, odir)
    assert "no output for 'chelsea'" in msg and "no content for 'kitty'" in msg
    # a folder against a file
    assert "is a folder but output" in _fails(capsys, cdir, style, PHOTOS["coffee"])
    assert "style" in _fails(capsys, PHOTOS["coffee"], cdir, PHOTOS["coffee"])
    assert "at least 32" in _fails(capsys, PHOTOS["coffee"], style, PHOTOS["coffee"], "--size", "8")


def test_cli_registration_imports_nothing_heavy():
    code = (
        "import sys; from spokenstyle import cli; p = cli.build_parser(); "
        "p.parse_args(['eval', 'a', 'b', 'c']); "
        "print(sorted(m for m in ('spokenstyle.quality.metrics', 'spokenstyle.quality.evaluation') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_cli_end_to_end_in_a_subprocess(tmp_path):
    out = _write(tmp_path / "out.png", noisy(photo("coffee"), 0.1))
    proc = run_cli("eval", str(PHOTOS["coffee"]), str(PHOTOS["chelsea"]), str(out), "--encoder", "random",
                   "--size", "64", "--json")
    assert proc.returncode == 0, proc.stderr
    assert stderr_lines(proc) == []  # --json is quiet
    data = json.loads(proc.stdout)
    assert len(data["triples"]) == 1 and 0 < data["mean"]["ssim_lightness"] < 1


def test_docs_name_every_json_field_and_column(folders, enc):
    """docs/eval.md explains each figure: every key of the --json object and every table column."""
    from spokenstyle.cli.eval import format_table

    text = (REPO / "docs" / "eval.md").read_text(encoding="utf-8")
    cdir, odir = folders
    result = evaluate(cdir, PHOTOS["astronaut"], odir, encoder=enc, size=64)
    data = result.to_dict()
    keys = set(data) | set(data["triples"][0]) | set(data["mean"]) | set(data["mean"]["content"]) | set(data["mean"]["style"])
    for key in keys:
        assert f"`{key}`" in text, key
    for column in ("content", "content rel", "gram", "mean/std", "SSIM L"):
        assert f"| `{column}` |" in text, column
        assert column in format_table(result).splitlines()[1]


def test_an_output_of_another_shape_is_stretched_with_a_warning(tmp_path, enc):
    square = _write(tmp_path / "square.png", F.interpolate(photo("coffee"), size=(96, 96), mode="bilinear", antialias=True))
    with pytest.warns(UserWarning, match="another aspect ratio"):
        r = evaluate(PHOTOS["coffee"], PHOTOS["chelsea"], square, encoder=enc, size=64)
    (_, f), = r.triples
    assert 0.5 < f.ssim_lightness < 1.0  # the same photo, squeezed and stretched back


# ----------------------------------------------------------------------------- lattice
def grid_pattern(h: int, w: int, period: int = 8) -> torch.Tensor:
    """A mark in every period x period cell: a bright dot and a dark tail, as a decoder paints."""
    cell = torch.zeros(period, period)
    cell[1:3, 1:3] = 1.0
    cell[4:6, 3:7] = -0.6
    return cell.repeat(h // period + 1, w // period + 1)[:h, :w].expand(3, h, w)


def test_lattice_is_near_zero_for_photos_and_one_for_a_pure_grid():
    for name in ("coffee", "chelsea", "astronaut"):
        x = sized(name, 256)
        assert metrics.lattice(x) < 0.003, name  # measured: 0.0010-0.0022 at 256 px
    grid = 0.5 + 0.2 * grid_pattern(200, 264)
    assert metrics.lattice(grid) == pytest.approx(1.0, abs=0.002)  # measured 0.9991 (the blur's edges)


def test_lattice_grows_with_the_grids_strength_and_needs_its_period():
    x = sized("coffee", 256)
    grid = grid_pattern(*x.shape[-2:])
    values = [metrics.lattice((x + a * grid).clamp(0, 1)) for a in (0.0, 0.02, 0.05, 0.1)]
    assert values == sorted(values) and values[-1] > 20 * values[0], values
    # a grid of another period is not this one
    assert metrics.lattice((x + 0.1 * grid_pattern(*x.shape[-2:], period=6)).clamp(0, 1)) < 0.1 * values[-1]
    assert metrics.lattice((x + 0.1 * grid_pattern(*x.shape[-2:], period=6)).clamp(0, 1), period=6) > 0.5 * values[-1]


def test_lattice_errors_name_the_argument():
    x = sized("coffee", 64)
    with pytest.raises(ValueError, match="period=1 must be an integer of at least 2"):
        metrics.lattice(x, period=1)
    with pytest.raises(ValueError, match="at least 32x32 pixels"):
        metrics.lattice(x[..., :20, :40])
    with pytest.raises(ValueError, match="image must be an RGB image"):
        metrics.lattice(torch.rand(2, 8, 8))


def block_mosaic(h: int, w: int, period: int = 8, seed: int = 0) -> torch.Tensor:
    """A different grey for every period x period cell: marks that differ from cell to cell but
    share their edges with the grid (what grid_share averages away and grid_edges sees)."""
    g = torch.Generator().manual_seed(seed)
    cells = torch.rand(1, 1, h // period + 1, w // period + 1, generator=g) - 0.5
    return F.interpolate(cells, scale_factor=period, mode="nearest")[..., :h, :w].expand(1, 3, h, w)


def test_grid_edges_sees_cell_boundaries_that_grid_share_misses():
    x = sized("coffee", 256)
    mosaic = block_mosaic(*x.shape[-2:])
    latticed = (x + 0.15 * mosaic).clamp(0, 1)
    photo_edges, mosaic_edges = float(metrics.grid_edges(x)), float(metrics.grid_edges(latticed))
    assert photo_edges < 0.1 and mosaic_edges > 3 * photo_edges, (photo_edges, mosaic_edges)  # measured 0.083 -> 0.45
    assert float(metrics.grid_share(latticed)) < 0.01  # no mark repeats: the share stays low (0.0011)
    # a mosaic of 6-px cells is not an 8-px grid
    assert float(metrics.grid_edges((x + 0.15 * block_mosaic(*x.shape[-2:], period=6)).clamp(0, 1))) < 0.5 * mosaic_edges


@pytest.mark.parametrize("figure", [metrics.grid_share, metrics.grid_edges])
def test_grid_figures_are_scale_invariant_so_a_loss_cannot_blur_them_away(figure):
    """d/dt figure(t·x) = 0: the gradient is orthogonal to the image, so gradient descent on the
    figure moves the grid, not the contrast."""
    x = (0.5 + 0.1 * block_mosaic(64, 64) + 0.05 * torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(1))).double()
    x.requires_grad_(True)
    value = figure(x).sum()
    (grad,) = torch.autograd.grad(value, x)
    assert float(value.detach()) > 0
    with torch.no_grad():
        assert abs(float((grad * x).sum())) < 1e-9 * float(grad.abs().sum() * x.abs().max())
    torch.testing.assert_close(figure(3 * x.detach()), figure(x.detach()))
