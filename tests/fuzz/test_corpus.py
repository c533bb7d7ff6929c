"""The fixed corpus: every bad input the hunt found or the hardening issue reported, run as a
plain test on every CI run (files in tests/data/hardening, see its README)."""

from pathlib import Path

import pytest
import torch
from PIL import Image

import spokenstyle
from harness.helpers import PHOTOS
from fuzz._invariants import check_cli_outcome, load_or_usage_error, run_cli, snapshot
from spokenstyle.errors import UsageError

CORPUS = Path(__file__).resolve().parent.parent / "data" / "hardening"

FILES = [
    ("postscript_named.jpg", "is not an image spokenstyle reads"),
    ("float_nan.tif", "NaN or infinite pixel value"),
    ("float_inf.tif", "NaN or infinite pixel value"),
    ("truncated.jpg", "truncated or corrupt"),
    ("png_signature_garbage.png", "cannot read|not an image|truncated or corrupt"),
    ("thin_4000x1.png", None),
    ("grey16.png", None),
    ("palette.gif", None),
]


@pytest.mark.parametrize("name, refused", FILES)
def test_corpus_files(name, refused, tmp_path):
    path = CORPUS / name
    photo = load_or_usage_error(path, max_size=128)
    assert (photo is None) == (refused is not None)
    before = snapshot(CORPUS)
    out = tmp_path / "o.png"
    argv = ["stylize", str(path), "-p", "warmer", "--max-size", "128", "-q", "-o", str(out)]
    code, _stdout, err = run_cli(argv)
    check_cli_outcome(code, err, out, argv=argv)
    assert (code == 2) == (refused is not None)
    if refused:
        import re

        assert re.search(refused, err[0]), err
    assert snapshot(CORPUS) == before


ARGV = [  # (extra flags, message of the one error line, or None for success)
    (["--quality", "101", "-o", "{tmp}/x.webp"], "--quality 101 is out of range"),
    (["--quality", "0"], "--quality 0 is out of range"),
    (["--seed", "99999999999999999999999"], "--seed 99999999999999999999999 is out of range"),
    (["--mask-feather", "inf"], "--mask-feather inf is not a finite number"),
    (["--device", "meta"], "--device 'meta' is not supported"),
    (["--backend", ""], "--backend '' has an empty"),
    (["--backend", "grade,grade"], "lists 'grade' twice"),
    (["--backend=,"], "has an empty"),
    (["-p", "\x1b[31m暖一点 😀"], None),
    (["--max-size", "1"], None),
]


@pytest.mark.parametrize("extra, message", ARGV)
def test_corpus_argv(extra, message, tmp_path):
    extra = [e.replace("{tmp}", str(tmp_path)) for e in extra]
    out = Path(extra[extra.index("-o") + 1]) if "-o" in extra else tmp_path / "o.jpg"
    argv = ["stylize", str(PHOTOS["chelsea"]), "-q", *extra] + ([] if "-o" in extra else ["-o", str(out)])
    code, _stdout, err = run_cli(argv)
    check_cli_outcome(code, err, out, argv=argv)
    assert (code == 0) == (message is None), err
    if message:
        assert message in err[0]


def test_corpus_api():
    engine = spokenstyle.Engine(device="cpu")
    la = Image.new("LA", (6, 4), (100, 200)).convert("La")  # found: premultiplied La crashed the loader
    assert engine.stylize(la, "warmer").tensors[0].shape == (3, 4, 6)
    for bad in (torch.tensor(0.5), torch.zeros(5), torch.zeros(0, 3, 4, 4), torch.zeros(3, 4, 0)):  # found: 0-d IndexError
        with pytest.raises(UsageError):
            engine.stylize(bad, "warmer")
