"""The command line, run the way users run it (a subprocess), plus quick in-process checks."""

import json
import shutil

import pytest
from PIL import Image

from _helpers import PHOTOS, run_cli, stderr_lines
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
        (["stylize", "{photo}", "-p", "warm", "--text-encoder", "clip", "-o", "{out}"], "unknown text encoder"),
        (["stylize", "{photo}", "-p", "warm", "--max-pixels", "1000", "-o", "{out}"], "above the limit"),
        (["stylize", "-p", "warm"], "required: INPUT|arguments are required"),
        (["stylize", "{photo}", "--strength", "lots"], "invalid float value"),
    ],
)
def test_mistakes_are_one_line_exit_2_and_leave_no_file(tmp_path, args, message):
    notimage = tmp_path / "notimage.jpg"
    notimage.write_text("hello")
    fill = {"missing": tmp_path / "missing.jpg", "notimage": notimage, "photo": PHOTOS["coffee"], "out": tmp_path / "out.png", "tmp": tmp_path}
    argv = [a.format(**{k: str(v) for k, v in fill.items()}) for a in args]
    code, err = _run_in_process(argv)
    assert code == 2
    assert len(err) == 1, err
    import re

    assert re.search(message, err[0]), err[0]
    assert not (tmp_path / "out.png").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notimage.jpg"]


def _run_in_process(argv):
    import contextlib
    import io

    err = io.StringIO()
    out = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
    return code, [l for l in err.getvalue().splitlines() if l.strip()]


def test_error_in_a_subprocess_has_no_traceback(tmp_path):
    proc = run_cli("stylize", str(PHOTOS["coffee"]), "-p", "warm", "--backend", "grad", "-o", str(tmp_path / "o.png"))
    assert proc.returncode == 2
    lines = stderr_lines(proc)
    assert lines == ["spokenstyle stylize: error: unknown style backend 'grad'; did you mean 'grade'? (available: grade)"]
    assert proc.stdout == ""
    assert not (tmp_path / "o.png").exists()


def test_truncated_image_in_a_batch_fails_cleanly(tmp_path):
    data = PHOTOS["coffee"].read_bytes()
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "b_cut.jpg").write_bytes(data[: len(data) // 3])
    shutil.copy(PHOTOS["chelsea"], tmp_path / "in" / "a_ok.jpg")
    code, err = _run_in_process(["stylize", str(tmp_path / "in"), "-p", "warm", "-o", str(tmp_path / "out"), "-q"])
    assert code == 2 and len(err) == 1 and "truncated or corrupt" in err[0]
    # the good photo before it was written completely; nothing partial for the broken one
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a_ok.jpg"]
    Image.open(tmp_path / "out" / "a_ok.jpg").load()


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
    assert "built-in: lexicon (text encoder), grade (style backend)" in capsys.readouterr().out


def test_help_is_untouched_by_the_one_line_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["stylize", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--preserve-color" in out and "usage: spokenstyle stylize" in out
