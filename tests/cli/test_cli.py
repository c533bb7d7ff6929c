"""The command line, run the way users run it (a subprocess), plus quick in-process checks."""

import json
import shutil

import pytest
from PIL import Image

from harness.helpers import PHOTOS, run_cli, run_in_process, stderr_lines
from harness.plugins import fake_plugin
from spokenstyle.cli import main


def test_stylize_one_photo_with_json(tmp_path):
    out = tmp_path / "out.png"
    proc = run_cli("stylize", str(PHOTOS["coffee"]), "-p", "暖一点，对比度高一点", "-o", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["input"] == str(PHOTOS["coffee"]) and record["output"] == str(out)
    assert record["backend"] == "grade"
    assert 0 < record["seconds"] < 10
    assert record["intent"]["attributes"]["warmth"] > 0 and record["intent"]["attributes"]["contrast"] > 0
    im = Image.open(out)
    assert im.format == "PNG" and im.size == (256, 171)
    assert stderr_lines(proc) == []


def test_batch_of_files_and_a_folder_into_an_output_folder(tmp_path):
    photos = tmp_path / "in"
    photos.mkdir()
    for name in ("coffee", "chelsea"):
        shutil.copy(PHOTOS[name], photos / f"{name}.jpg")
    (photos / "notes.txt").write_text("not a photo")  # ignored: not an image extension
    outdir = tmp_path / "graded"
    proc = run_cli("stylize", str(photos), str(PHOTOS["astronaut"]), "-p", "vintage film, no grain", "-o", str(outdir), "--json")
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(l) for l in proc.stdout.strip().splitlines()]
    assert [r["output"] for r in records] == [str(outdir / n) for n in ("chelsea.jpg", "coffee.jpg", "astronaut.jpg")]
    assert all(r["intent"]["medium"] == "vintage_film" and r["intent"]["attributes"]["grain"] == 0 for r in records)
    assert sorted(p.name for p in outdir.iterdir()) == ["astronaut.jpg", "chelsea.jpg", "coffee.jpg"]
    assert all(Image.open(outdir / n).format == "JPEG" for n in ("astronaut.jpg", "chelsea.jpg", "coffee.jpg"))


def test_human_output_explains_the_prompt(tmp_path):
    proc = run_cli("stylize", str(PHOTOS["chelsea"]), "-p", "moody but not too dark", "-o", str(tmp_path / "m.jpg"))
    assert proc.returncode == 0, proc.stderr
    assert "look moody" in proc.stdout and "not too dark" in proc.stdout
    assert f"wrote {tmp_path / 'm.jpg'}" in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["stylize", "{missing}", "-p", "warm", "-o", "{out}"], "does not exist"),
        (["stylize", "{notimage}", "-p", "warm", "-o", "{out}"], "not an image"),
        (["stylize", "{photo}", "-p", "warm", "--backend", "grad", "-o", "{out}"], "did you mean 'grade'"),
        (["stylize", "{photo}", "-p", "warm", "-o", "{tmp}/nowhere/out.png"], "does not exist"),
        (["stylize", "{photo}", "-p", "warm", "-o", "{notimage}/out.png"], "is not a folder|does not exist"),
        (["stylize", "{photo}", "-p", "warm", "--strength", "2", "-o", "{out}"], "between 0 and 1"),
        (["stylize", "{photo}", "-p", "warm", "--text-encoder", "no-such-encoder", "-o", "{out}"], "unknown text encoder"),
        (["stylize", "{photo}", "-p", "warm", "--max-pixels", "1000", "-o", "{out}"], "above the limit"),
        (["stylize", "-p", "warm"], "required: INPUT|arguments are required"),
        (["stylize", "{photo}", "--strength", "lots"], "invalid float value"),
        (["stylize", "{photo}", "--style", "{missing}", "-o", "{out}"], "--style '.*missing.jpg' does not exist"),
        (["stylize", "{photo}", "-p", "oil painting", "--backend", "adain,grade", "-O", "alpha=3", "-o", "{out}"], "alpha=3 must be a number between 0 and 1"),
        (["stylize", "{photo}", "-p", "oil painting", "-O", "steps=3", "-o", "{out}"], "option 'steps' is not taken"),
    ],
)
def test_mistakes_are_one_line_exit_2_and_leave_no_file(tmp_path, args, message):
    notimage = tmp_path / "notimage.jpg"
    notimage.write_text("hello")
    fill = {"missing": tmp_path / "missing.jpg", "notimage": notimage, "photo": PHOTOS["coffee"], "out": tmp_path / "out.png", "tmp": tmp_path}
    argv = [a.format(**{k: str(v) for k, v in fill.items()}) for a in args]
    code, _out, err = run_in_process(argv)
    assert code == 2
    assert len(err) == 1, err
    import re

    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "out.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notimage.jpg"]


def test_error_in_a_subprocess_has_no_traceback(tmp_path):
    # built-ins only: the message lists every backend, and installed plugins (plugins/*) add theirs
    proc = run_cli("stylize", str(PHOTOS["coffee"]), "-p", "warm", "--backend", "grad", "-o", str(tmp_path / "o.png"),
                   env={"SPOKENSTYLE_LOAD_PLUGINS": ""})
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert lines == ["spokenstyle stylize: error: unknown style backend 'grad'; did you mean 'grade'? (available: adain, gatys, grade, magenta, magenta26, render, transform)"]
    assert proc.stdout == ""
    assert not (tmp_path / "o.png").exists()


def test_truncated_image_in_a_batch_fails_cleanly_and_the_batch_goes_on(tmp_path):
    data = PHOTOS["coffee"].read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "b_cut.jpg").write_bytes(data[: len(data) // 3])
    shutil.copy(PHOTOS["chelsea"], tmp_path / "in" / "a_ok.jpg")
    shutil.copy(PHOTOS["astronaut"], tmp_path / "in" / "c_ok.jpg")
    code, _out, err = run_in_process(["stylize", str(tmp_path / "in"), "-p", "warm", "-o", str(tmp_path / "out"), "-q"])
    # one line for the broken photo, one summary line; exit 1 because something failed
    assert code == 1 and len(err) == 2, err
    assert "b_cut.jpg" in err[0] and "truncated or corrupt" in err[0]
    assert "2 written, 0 skipped, 1 failed, of 3 photos" in err[1] and "b_cut.jpg" in err[1]
    # the good photos before and after it were written completely; nothing partial for the broken one
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_ok.jpg", "c_ok.jpg"]
    for name in ("a_ok.jpg", "c_ok.jpg"):
        Image.open(tmp_path / "out" / name).load()


def test_default_output_name_and_quiet(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["stylize", str(PHOTOS["chelsea"]), "-p", "cooler", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "chelsea-stylized.jpg").exists()


def test_output_into_an_existing_folder(tmp_path, capsys):
    assert main(["stylize", str(PHOTOS["chelsea"]), "-p", "cooler", "-o", str(tmp_path), "-q"]) == 0
    assert (tmp_path / "chelsea.jpg").exists()


def test_preserve_color_and_strength_flags(tmp_path, capsys):
    assert main(["stylize", str(PHOTOS["coffee"]), "-p", "black and white", "--preserve-color", "--strength", "0.5",
                 "-o", str(tmp_path / "p.png"), "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["intent"]["preserve_color"] is True and record["intent"]["strength"] == 0.5


def test_explain_text_and_json(capsys):
    assert main(["explain", "来点复古胶片感，别太暗"]) == 0
    text = capsys.readouterr().out
    assert "medium: vintage film" in text and "别太暗" in text and "backends: grade" in text
    assert main(["explain", "make", "it", "warmr", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["intent"]["attributes"]["warmth"] > 0
    assert any("read as 'warmer'" in n for n in data["intent"]["notes"])
    assert data["plan"]["backends"] == ["grade"]


def test_plugins_command_lists_builtins_with_all(capsys):
    assert main(["plugins", "--all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    builtin = next(p for p in data["plugins"] if p["name"] == "builtins")
    assert {"kind": "style_backend", "name": "grade"} in builtin["components"]
    assert main(["plugins"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("built-in:"))
    for part in ("lexicon (text encoder)", "grade (style backend)", "adain (style backend)",
                 "exemplar (generator)", "random (feature encoder)", "vgg19 (feature encoder)"):
        assert part in line


def test_help_is_untouched_by_the_one_line_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stylize", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--preserve-color" in out and "usage: spokenstyle stylize" in out


# ----------------------------------------------------------------------------- masks, colour modes, options
def _half_mask(path, size=(256, 171)):
    import numpy as np

    arr = np.zeros((size[1], size[0]), np.uint8)
    arr[:, size[0] // 2 :] = 255
    Image.fromarray(arr).save(path)
    return path


def test_mask_flag_keeps_the_black_half_and_records_the_mode(tmp_path, capsys):
    import numpy as np

    mask = _half_mask(tmp_path / "half.png")
    out = tmp_path / "o.png"
    argv = ["stylize", str(PHOTOS["coffee"]), "-p", "way warmer", "--mask", str(mask), "--mask-feather", "4",
            "--preserve-color", "statistics", "-o", str(out), "--json"]
    assert main(argv) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["preserve_color"] == "statistics" and record["mask"] == str(mask)
    assert any("feather 4 px" in n for n in record["notes"])
    got = np.asarray(Image.open(out).convert("RGB")).astype(int)
    original = np.asarray(Image.open(PHOTOS["coffee"]).convert("RGB")).astype(int)
    assert np.array_equal(got[:, :128], original[:, :128])
    assert np.abs(got[:, 140:] - original[:, 140:]).mean() > 1.0  # the white half changed


def test_bare_preserve_color_is_luminance_even_before_the_photo(tmp_path, capsys):
    assert main(["stylize", "--preserve-color", str(PHOTOS["chelsea"]), "-p", "warm", "-o", str(tmp_path / "a.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preserve_color"] == "luminance"
    assert main(["stylize", str(PHOTOS["chelsea"]), "-p", "warm", "-o", str(tmp_path / "b.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["preserve_color"] is None


def test_option_flag_reaches_the_backend(tmp_path, capsys):
    import spokenstyle
    from spokenstyle.plugins.testing import isolated_plugins

    seen = []

    class Knobs:
        options = {"steps": "optimisation steps", "mode": "a word", "fast": "a switch"}

        def stylize(self, content, intent, *, steps=200, mode="a", fast=False, **kw):
            seen.append((steps, mode, fast))
            return content

    plugin = fake_plugin(style_backends={"knobs": Knobs})

    with isolated_plugins(plugin):
        argv = ["stylize", str(PHOTOS["chelsea"]), "--backend", "knobs", "-O", "steps=3", "-O", "mode=soft",
                "--option", "fast=true", "-o", str(tmp_path / "k.png"), "--json"]
        assert main(argv) == 0
        assert seen == [(3, "soft", True)]  # JSON scalars typed, other text kept as text
        assert json.loads(capsys.readouterr().out)["options"] == {"knobs": {"steps": 3, "mode": "soft", "fast": True}}
        code, _out, err = run_in_process(["stylize", str(PHOTOS["chelsea"]), "--backend", "knobs", "-O", "step=3", "-o", str(tmp_path / "x.png")])
        assert code == 2 and len(err) == 1 and "did you mean 'steps'" in err[0] and "'knobs' takes steps, mode, fast" in err[0]
    assert not (tmp_path / "x.png").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--mask", "{tmp}/missing.png"], "mask '.*missing.png' does not exist"),
        (["--mask", "{small}"], r"--mask '.*small.png' is 256x100 but .* is 256x171; the mask \(--mask\) must have the photo's size"),
        (["--mask", "{notimage}"], "--mask .* is not an image"),
        (["--mask", "{mask}", "--mask-feather", "-2"], "--mask-feather -2 is negative"),
        (["--preserve-color", "statistcs"], "not a mode; use luminance or statistics \\(did you mean 'statistics'\\?\\)"),
        (["-O", "steps"], "'steps' is not KEY=VALUE"),
        (["-O", "=3"], "is not KEY=VALUE"),
        (["-O", "two words=3"], "is not a name"),
        (["-O", "steps=3"], "'steps' is not taken by the backends that run \\(grade\\)"),
    ],
)
def test_new_flag_mistakes_are_one_line_exit_2_and_write_nothing(tmp_path, extra, message):
    import re

    (tmp_path / "in").mkdir()
    fill = {
        "tmp": tmp_path / "in",
        "small": _half_mask(tmp_path / "in" / "small.png", (256, 100)),
        "mask": _half_mask(tmp_path / "in" / "mask.png"),
        "notimage": tmp_path / "in" / "notimage.png",
    }
    fill["notimage"].write_text("hello")
    argv = ["stylize", str(PHOTOS["coffee"]), "-p", "warm", "-o", str(tmp_path / "out" / "o.png")]
    (tmp_path / "out").mkdir()
    code, _out, err = run_in_process(argv + [a.format(**fill) for a in extra])
    assert code == 2 and len(err) == 1, err
    assert re.search(message, err[0]), err[0]
    assert list((tmp_path / "out").iterdir()) == []


def test_a_mask_that_fits_only_some_photos_of_a_batch_fails_before_writing(tmp_path):
    mask = _half_mask(tmp_path / "m.png")  # coffee's size, not chelsea's
    code, _out, err = run_in_process(["stylize", str(PHOTOS["coffee"]), str(PHOTOS["chelsea"]), "-p", "warm", "--mask", str(mask),
                                 "-o", str(tmp_path / "out"), "-q"])
    assert code == 2 and len(err) == 1 and "chelsea.jpg' is 256x170" in err[0]
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_explain_json_lists_backend_options(capsys):
    assert main(["explain", "warmer", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["options"] == {"grade": {}}
