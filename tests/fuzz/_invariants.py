"""What every hunted case must satisfy, shared by the fuzz tests and the fixed corpus."""

from __future__ import annotations

import math
from pathlib import Path

import torch
from PIL import Image

from harness.helpers import run_in_process
from spokenstyle.errors import UsageError
from spokenstyle.image import imageio


#: ``spokenstyle.cli.main(argv)`` in-process: (exit code, stdout, non-empty stderr lines).
run_cli = run_in_process


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def check_cli_outcome(code: int, err: list[str], output: Path | None, *, argv: list[str]) -> None:
    """exit 0 and a valid image, or exit 2 and one line, never a traceback nor an internal error."""
    assert code in (0, 2), (code, argv, err)
    assert not any("Traceback" in l for l in err), (argv, err)
    errors = [l for l in err if "error:" in l]
    if code == 2:
        assert len(errors) == 1, (argv, err)
        assert "internal error" not in errors[0], (argv, errors[0])
        if output is not None:
            assert not output.exists(), (argv, "an output was written although the command failed")
    elif output is not None and output.suffix.lower() in imageio.OUTPUT_FORMATS:
        with Image.open(output) as im:
            im.load()
            assert im.width >= 1 and im.height >= 1
    if output is not None:
        assert not list(output.parent.glob(".*.part")), "a partial output was left behind"


def check_photo(photo: imageio.Photo) -> None:
    t = photo.pixels
    assert t.dtype == torch.float32 and t.dim() == 3 and t.shape[0] == 3 and t.shape[1] >= 1 and t.shape[2] >= 1
    assert bool(torch.isfinite(t).all())
    assert float(t.min()) >= 0.0 and float(t.max()) <= 1.0
    if photo.alpha is not None:
        assert photo.alpha.size == photo.size and photo.alpha.mode == "L"


def load_or_usage_error(path: Path, **kwargs) -> imageio.Photo | None:
    """A file is a valid photo or one UsageError; any other exception is a bug."""
    before = path.read_bytes()
    try:
        photos = imageio.load(path, **kwargs)
    except UsageError as exc:
        assert str(exc) and "\n" not in str(exc)
        photos = None
    assert path.read_bytes() == before, "reading a photo changed it"
    if photos is None:
        return None
    assert len(photos) == 1
    check_photo(photos[0])
    return photos[0]


def check_result(result, n: int) -> None:
    assert len(result.tensors) == n
    for t in result.tensors:
        assert bool(torch.isfinite(t).all()) and float(t.min()) >= 0.0 and float(t.max()) <= 1.0
        assert not math.isnan(float(t.mean()))
