"""`spokenstyle sheet`: every cell is the prompt's own stylize, placed and labelled."""

import json

import numpy as np
import pytest
import torch
from PIL import Image

from harness.helpers import PHOTOS, run_cli, stderr_lines
from spokenstyle import Engine
from spokenstyle.errors import UsageError
from spokenstyle.core.intent import MEDIA
from spokenstyle.quality.sheet import DRAWN_MEDIA, LOOK_PROMPTS, MEDIA_PROMPTS, make_sheet


def test_every_medium_prompt_names_its_medium():
    engine = Engine(device="cpu")
    assert [engine.encode(p).medium for p in MEDIA_PROMPTS] == list(MEDIA) + list(DRAWN_MEDIA)
    assert all(engine.encode(p).medium in (None, "vintage_film") for p in LOOK_PROMPTS)


@pytest.fixture(scope="module")
def small_sheet():
    engine = Engine(device="cpu")
    sheet = make_sheet(PHOTOS["chelsea"], engine=engine, media=["pencil sketch"],
                       looks=["make it warmer", "black and white", "cooler"], cell=96, columns=3, progress=False)
    return engine, sheet


def _cell(sheet, r, c):
    w = sheet.image.width // 3
    h = sheet.image.height // 2  # two rows of (cell + label strip)
    pw, ph = Image.open(PHOTOS["chelsea"]).size
    strip = h - round(96 * ph / pw)  # each row: the cell, then its label strip
    a = np.asarray(sheet.image, dtype=np.float64) / 255
    return a[r * h : r * h + h - strip, c * w : c * w + w], a[r * h + h - strip : (r + 1) * h, c * w : c * w + w]


def test_cells_are_the_prompts_own_results_in_place(small_sheet):
    engine, sheet = small_sheet
    assert [c["prompt"] for c in sheet.cells] == ["original", "pencil sketch", "make it warmer", "black and white", "cooler"]
    assert [(c["row"], c["column"]) for c in sheet.cells] == [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]  # looks start a row
    assert sheet.cells[1]["medium"] == "pencil_sketch" and sheet.cells[1]["backends"][-1] == "grade"
    original, _ = _cell(sheet, 0, 0)
    direct = engine.stylize(PHOTOS["chelsea"], "", strength=0.0, max_size=96).tensors[0].permute(1, 2, 0).numpy()
    assert abs(original - direct).max() < 1.5 / 255  # the original is the photo at the cell's size
    warm, _ = _cell(sheet, 1, 0)
    bw, _ = _cell(sheet, 1, 1)
    cool, _ = _cell(sheet, 1, 2)
    warmth = lambda a: a[..., 0].mean() - a[..., 2].mean()  # noqa: E731
    assert warmth(warm) > warmth(original) + 0.01 > warmth(cool) + 0.02
    assert np.abs(bw - bw.mean(axis=2, keepdims=True)).max() < 0.02  # grey
    sketch, _ = _cell(sheet, 0, 1)
    assert np.abs(sketch - original).mean() > 0.05  # the medium changed the picture
    empty, _ = _cell(sheet, 0, 2)
    assert empty.min() == 1.0  # no cell there: white


def test_each_cell_is_labelled(small_sheet):
    _, sheet = small_sheet
    for r, c in [(0, 0), (0, 1), (1, 0), (1, 1), (1, 2)]:
        _, label = _cell(sheet, r, c)
        assert label.min() < 0.3 and label.mean() > 0.8  # dark text on white
    _, blank = _cell(sheet, 0, 2)
    assert blank.min() == 1.0


def test_bad_arguments_are_usage_errors():
    for kwargs, message in [({"cell": 10}, "cell=10"), ({"columns": 0}, "columns=0"), ({"looks": "warm"}, "not one string"),
                            ({"media": (), "looks": ()}, "both empty"), ({"looks": ["warm", "warm"]}, "distinct"),
                            ({"seed": -1}, "seed=-1"), ({"font": "nope.ttf"}, "font='nope.ttf'")]:
        with pytest.raises(UsageError, match=message.replace("(", r"\(")):
            make_sheet(torch.rand(3, 64, 64), **{"media": (), "looks": ["warm"], "progress": False, **kwargs})


def test_cli_writes_the_sheet_and_json(tmp_path):
    out = tmp_path / "s.png"
    proc = run_cli("sheet", str(PHOTOS["coffee"]), "-o", str(out), "--no-media", "-p", "warmer", "-p", "moody",
                   "--cell", "64", "--json")
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout)
    assert [c["prompt"] for c in record["cells"]] == ["original", "warmer", "moody"]
    assert Image.open(out).size == (record["width"], record["height"]) == (6 * 64, record["height"])


@pytest.mark.parametrize("argv, flag", [
    (["--cell", "9"], "--cell 9"), (["-o", "x.gif2"], "x.gif2"), (["--font", "nope.ttf"], "--font"),
    (["--backend", "nope"], "nope"), (["-p", " "], "-p"),
])
def test_cli_mistakes_are_one_line_exit_2(tmp_path, argv, flag):
    proc = run_cli("sheet", str(PHOTOS["coffee"]), "--no-media", "--cell", "64", "-o", str(tmp_path / "s.jpg"), *argv, cwd=tmp_path)
    lines = stderr_lines(proc)
    assert proc.returncode == 2 and len(lines) == 1 and flag in lines[0], proc.stderr
    assert not (tmp_path / "s.jpg").exists()


def test_backend_applies_to_the_media_cells_only():
    sheet = make_sheet(torch.rand(3, 48, 64), media=["watercolor"], looks=["warmer"], backend="grade", cell=64,
                       progress=False, engine=Engine(device="cpu"))
    assert [c["backends"] for c in sheet.cells] == [["grade"], ["grade"], ["grade"]]  # watercolor without adain
    with pytest.raises(UsageError, match="unknown style backend"):
        make_sheet(torch.rand(3, 48, 64), media=["watercolor"], looks=["warmer"], backend="nope", cell=64, progress=False)


def test_a_grade_medium_is_planned_as_usual_under_a_texture_backend(tmp_path, monkeypatch):
    """--backend transform paints the texture media; vintage film, a grade, is graded (the
    generator refuses a medium it was not trained for)."""
    from spokenstyle.nn import transform as T

    torch.manual_seed(0)
    net = T.TransformNet(T.TransformConfig(widths=(4, 8), blocks=1, w_dim=8, media="watercolor"))
    monkeypatch.setenv(T.WEIGHTS_ENV, str(T.save(net, tmp_path / "t.safetensors")))
    sheet = make_sheet(torch.rand(3, 48, 64), media=["watercolor", "vintage film"], looks=["warmer"],
                       backend="transform", cell=64, progress=False, engine=Engine(device="cpu"))
    assert [c["backends"] for c in sheet.cells] == [["grade"], ["transform"], ["grade"], ["grade"]]
