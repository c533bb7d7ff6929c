"""Hunting with the command line (in-process ``main``): random flags and values, any Unicode
prompt, output names. Invariants: exit 0 with a valid image, or exit 2 with one line and no
traceback; the input never changes; no partial output."""

import shutil

import pytest
from hypothesis import given, strategies as st
from PIL import Image

from harness.helpers import PHOTOS
from fuzz._invariants import check_cli_outcome, run_cli, snapshot

NUMBERS = st.one_of(
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "1", "-1", "100", "101", "nan", "inf", "-inf", "1e309", "abc", "", "0x10", "１２"]),
)
FLAGS = st.one_of(
    st.tuples(st.sampled_from(["--strength", "--quality", "--seed", "--max-size", "--max-pixels", "--mask-feather"]), NUMBERS),
    st.tuples(st.just("--backend"), st.sampled_from(["auto", "grade", "", ",", "grade,grade", "nosuch", "GRADE", " grade "])),
    st.tuples(st.just("--preserve-color"), st.sampled_from(["luminance", "statistics", "bogus", ""])),
    st.tuples(st.just("--device"), st.sampled_from(["cpu", "auto", "mps", "xpu", "meta", "cuda:7", "", "cpu:0"])),
    st.tuples(st.just("-O"), st.sampled_from(["steps=5", "alpha=0.5", "x", "=", "bad key=1", "alpha=nan"])),
    st.tuples(st.just("--text-encoder"), st.sampled_from(["lexicon", "nosuch", ""])),
)
PROMPTS = st.text(max_size=60) | st.sampled_from(["warmer", "暖一点，对比度高一点", "别太暗", "not too dark 😀", "\x1b[31mred", "vintage film"])


@pytest.fixture(scope="module")
def photo_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli_in")
    Image.open(PHOTOS["coffee"]).resize((40, 27)).save(folder / "p.jpg", quality=90)
    return folder


@given(prompt=PROMPTS, flags=st.lists(FLAGS, max_size=3), ext=st.sampled_from([".png", ".jpg", ".webp", ".gif", ""]))
def test_cli_flags_and_prompts(photo_dir, tmp_path_factory, prompt, flags, ext):
    before = snapshot(photo_dir)
    out = tmp_path_factory.mktemp("cli_out") / f"o{ext}"
    argv = ["stylize", str(photo_dir / "p.jpg"), "-p", prompt, "-o", str(out), "-q"]
    for flag, value in flags:
        argv += [f"{flag}={value}"]  # '=' so a value starting with '-' stays a value
    code, _stdout, err = run_cli(argv)
    check_cli_outcome(code, err, out, argv=argv)
    assert snapshot(photo_dir) == before


@given(text=st.text(min_size=1, max_size=80))
def test_explain_any_unicode(text):
    code, stdout, err = run_cli(["explain", "--", text])
    assert code == 0, (text, err)
    assert not any(ord(c) < 32 and c not in "\n\t" for c in stdout), "a control character reached the terminal"
    assert not any("Traceback" in l for l in err)


@given(junk=st.lists(st.text(max_size=12), max_size=4))
def test_arbitrary_argv_never_tracebacks(photo_dir, junk):
    code, _stdout, err = run_cli(["stylize", *junk])
    assert code in (0, 2) and not any("Traceback" in l for l in err)
