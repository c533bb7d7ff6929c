"""The CLI never destroys a photo, never reports a wrong result as success, and answers every
mistake with one line and exit 2 (issue: hardening)."""

import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image

from harness.helpers import PHOTOS, run_cli, run_in_process, stderr_lines
from harness.plugins import fake_plugin
from spokenstyle.cli import main
from spokenstyle.plugins.testing import isolated_plugins


@pytest.fixture
def small(tmp_path):
    """A 64x43 real photo (JPEG) in its own folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    path = folder / "small.jpg"
    Image.open(PHOTOS["coffee"]).resize((64, 43)).save(path, quality=92)
    return path


# ------------------------------------------------------------------ output never replaces input
def test_output_equal_to_input_is_refused_unless_overwrite(small, capsys):
    before = small.read_bytes()
    code, _out, err = run_in_process(["stylize", str(small), "-p", "warmer", "-o", str(small), "-q"])
    assert code == 2 and len(err) == 1 and "would replace the input" in err[0] and "--overwrite" in err[0]
    assert small.read_bytes() == before
    # the same file through another spelling of the path (./, ..) and through a symlink
    link = small.parent.parent / "link.jpg"
    link.symlink_to(small)
    for other in (small.parent / ".." / "in" / "small.jpg", link):
        code, _out, err = run_in_process(["stylize", str(small), "-p", "warmer", "-o", str(other), "-q"])
        assert code == 2 and "would replace the input" in err[0]
    assert small.read_bytes() == before
    assert run_in_process(["stylize", str(small), "-p", "warmer", "-o", str(small), "-q", "--overwrite"])[0] == 0
    assert small.read_bytes() != before
    Image.open(small).load()


def test_folder_onto_itself_is_refused(small, capsys):
    shutil.copy(small, small.parent / "two.jpg")
    before = {p.name: p.read_bytes() for p in small.parent.iterdir()}
    code, _out, err = run_in_process(["stylize", str(small.parent), "-p", "warmer", "-o", str(small.parent), "-q"])
    assert code == 2 and len(err) == 1 and "would replace the input" in err[0] and "(and 1 more)" in err[0]
    assert {p.name: p.read_bytes() for p in small.parent.iterdir()} == before


def test_hard_link_to_the_input_is_refused(small, tmp_path, capsys):
    out = tmp_path / "hard.jpg"
    os.link(small, out)
    code, _out, err = run_in_process(["stylize", str(small), "-p", "warmer", "-o", str(out), "-q"])
    assert code == 2 and "would replace the input" in err[0]


def test_style_image_and_mask_are_never_replaced(small, tmp_path, capsys):
    style = tmp_path / "style.jpg"
    shutil.copy(small, style)
    code, _out, err = run_in_process(["stylize", str(small), "-s", str(style), "-o", str(style), "--overwrite", "-q"])
    assert code == 2 and "would replace the --style image" in err[0]


# ------------------------------------------------------------------------------ batches
def _batch(tmp_path, small, broken: int):
    folder = tmp_path / "batch"
    folder.mkdir()
    for i in range(4):
        shutil.copy(small, folder / f"good{i}.jpg")
    for i in range(broken):
        (folder / f"broken{i}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(40))
    return folder


def test_a_batch_goes_past_broken_files_and_says_which(small, tmp_path, capsys):
    folder = _batch(tmp_path, small, broken=2)
    out = tmp_path / "out"
    code, stdout, err = run_in_process(["stylize", str(folder), "-p", "warmer", "-o", str(out), "--json"])
    assert code == 1
    records = [json.loads(l) for l in stdout.splitlines()]
    assert sorted(r["input"].rsplit("/", 1)[1] for r in records if "error" in r) == ["broken0.png", "broken1.png"]
    assert len([r for r in records if "error" not in r]) == 4
    assert sorted(p.name for p in out.iterdir()) == [f"good{i}.jpg" for i in range(4)]
    failures = [l for l in err if "error:" in l]
    assert len(failures) == 2 and all("broken" in l for l in failures)
    assert "4 written, 0 skipped, 2 failed, of 6 photos" in err[-1]


def test_skip_existing_resumes_a_batch(small, tmp_path, capsys):
    folder = _batch(tmp_path, small, broken=0)
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(small, out / "good0.jpg")
    kept = (out / "good0.jpg").read_bytes()
    code, stdout, _err = run_in_process(["stylize", str(folder), "-p", "warmer", "-o", str(out), "--skip-existing"])
    assert code == 0 and (out / "good0.jpg").read_bytes() == kept
    assert "skipped" in stdout and "3 written, 1 skipped, 0 failed, of 4 photos" in stdout
    assert sorted(p.name for p in out.iterdir()) == [f"good{i}.jpg" for i in range(4)]


# ------------------------------------------------------------------- flags: one line, exit 2
@pytest.mark.parametrize(
    "extra, message",
    [
        (["--quality", "101", "-o", "{out}.webp"], "--quality 101 is out of range; use a whole number from 1 to 100"),
        (["--quality", "0"], "--quality 0 is out of range"),
        (["--quality", "-5"], "--quality -5 is out of range"),
        (["--quality", "1000"], "--quality 1000 is out of range"),
        (["--seed", "99999999999999999999999"], "--seed 99999999999999999999999 is out of range"),
        (["--mask-feather", "inf"], "--mask-feather inf is not a finite number"),
        (["--mask-feather", "nan"], "--mask-feather nan is not a finite number"),
        (["--device", "mps"], "--device 'mps' is not supported; use 'auto', 'cpu'"),
        (["--device", "meta"], "--device 'meta' is not supported"),
        (["--device", "xpu"], "--device 'xpu' is not supported"),
        (["--backend", ""], "--backend '' has an empty or non-text name"),
        (["--backend", "grade,grade"], "lists 'grade' twice"),
        (["--strength", "nan"], "--strength nan is out of range"),
        (["--max-size", "0"], "--max-size 0 must be"),
    ],
)
def test_bad_flags_are_one_line_naming_the_flag(small, tmp_path, capsys, extra, message):
    out = tmp_path / "o"
    extra = [e.replace("{out}", str(out)) for e in extra]
    argv = ["stylize", str(small), "-p", "warmer", "-q"] + (extra if "-o" in extra else extra + ["-o", f"{out}.jpg"])
    code, _stdout, err = run_in_process(argv)
    assert code == 2 and len(err) == 1 and message in err[0], err
    assert "Traceback" not in err[0] and "_size=" not in err[0] and "seed=" not in err[0]
    assert not list(tmp_path.glob("o*"))


def test_library_messages_name_flags_not_api_arguments(small, capsys):
    code, _out, err = run_in_process(["stylize", str(small), "-p", "warmer", "--max-pixels", "100", "-q", "-o", str(small.parent / "x.jpg")])
    assert code == 2 and len(err) == 1
    assert "--max-pixels" in err[0] and "max_pixels=" not in err[0] and "max_size=" not in err[0]


def test_pixel_limit_message_does_not_offer_max_size_for_a_png(tmp_path, capsys):
    png = tmp_path / "big.png"
    Image.new("RGB", (40, 30)).save(png)
    code, _out, err = run_in_process(["stylize", str(png), "--max-pixels", "100", "--max-size", "4", "-q", "-o", str(tmp_path / "x.png")])
    assert code == 2 and "--max-size cannot help" in err[0] and "raise --max-pixels" in err[0]


def test_control_characters_in_a_prompt_are_not_echoed_raw(capsys):
    code, out, _err = run_in_process(["explain", "warmer \x1b[2J\x1b]0;pwned\x07 \u202eevil"])
    assert code == 0 and "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b" in out


def test_non_ascii_prompt_with_an_ascii_terminal(small, tmp_path):
    out = tmp_path / "zh.jpg"
    proc = run_cli("stylize", str(small), "-p", "暖一点", "-o", str(out), "--json", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout.strip().splitlines()[-1])
    assert record["intent"]["prompt"] == "暖一点" and out.exists()
    proc = run_cli("explain", "暖一点", env={"PYTHONIOENCODING": "ascii"})
    assert proc.returncode == 0 and "\\u6696" in proc.stdout


def test_float_tiff_with_a_nan_pixel_is_refused(tmp_path, capsys):
    arr = np.full((20, 30), 0.5, dtype=np.float32)
    arr[3, 4] = np.nan
    path = tmp_path / "nan.tif"
    Image.fromarray(arr, "F").save(path)
    code, _out, err = run_in_process(["stylize", str(path), "-p", "warmer", "-q", "-o", str(tmp_path / "o.png")])
    assert code == 2 and len(err) == 1 and "1 NaN or infinite pixel value" in err[0]
    assert not (tmp_path / "o.png").exists()


def test_only_documented_formats_are_opened_by_content(tmp_path, capsys):
    ps = tmp_path / "doc.jpg"
    ps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n")
    code, _out, err = run_in_process(["stylize", str(ps), "-p", "warmer", "-q", "-o", str(tmp_path / "o.png")])
    assert code == 2 and "is not an image spokenstyle reads" in err[0]
    # a real PNG named .jpg is read by its content
    png_named_jpg = tmp_path / "really_png.jpg"
    Image.new("RGB", (8, 8), (200, 100, 50)).save(png_named_jpg, format="PNG")
    assert run_in_process(["stylize", str(png_named_jpg), "-p", "warmer", "-q", "-o", str(tmp_path / "o.png")])[0] == 0


class Failing:
    def stylize(self, content, intent, **kw):
        raise RuntimeError("CUDA kernel exploded")


PLUGIN = fake_plugin(style_backends={"kaboom": Failing})


def test_a_plugin_backend_that_raises_is_one_line_naming_it(small, tmp_path, capsys):
    with isolated_plugins(PLUGIN) as _pm:
        # the isolated manager names the plugin 'Plugin' (registered in-process)
        code, _out, err = run_in_process(["stylize", str(small), "--backend", "kaboom", "-q", "-o", str(tmp_path / "o.png")])
    assert code == 2 and len(err) == 1
    assert "style backend 'kaboom' (plugin 'Plugin')" in err[0] and "RuntimeError: CUDA kernel exploded" in err[0]
    assert not (tmp_path / "o.png").exists()


def test_a_bug_is_one_line_not_a_traceback(small, tmp_path, capsys, monkeypatch):
    import spokenstyle.core.engine as engine

    monkeypatch.setattr(engine.Engine, "encode", lambda self, prompt: 1 / 0)
    code, _out, err = run_in_process(["stylize", str(small), "-p", "x", "-q", "-o", str(tmp_path / "o.png")])
    assert code == 2 and len(err) == 1 and "internal error: ZeroDivisionError" in err[0] and "SPOKENSTYLE_DEBUG=1" in err[0]
    monkeypatch.setenv("SPOKENSTYLE_DEBUG", "1")
    with pytest.raises(ZeroDivisionError):
        main(["stylize", str(small), "-p", "x", "-q", "-o", str(tmp_path / "o.png")])


def test_a_plugin_warning_is_one_line_without_raw_escapes():
    from spokenstyle.cli.output import format_warning

    text = format_warning("spokenstyle: plugin 'x' failed: boom\nsecond line \x1b[2J", UserWarning, "f.py", 1)
    assert text == "spokenstyle: warning: plugin 'x' failed: boom second line \\x1b[2J\n"
