"""Hunting with image files: random bytes, truncations and mutations of real photos, every
Pillow mode and bit depth in every format that stores it, extreme sizes. Each file is a valid
photo (finite, in [0, 1], the right size) or one UsageError; the file is never changed."""

import io

import numpy as np
import pytest
from hypothesis import given, strategies as st
from PIL import Image

from harness.helpers import PHOTOS
from fuzz._invariants import check_photo, load_or_usage_error
from spokenstyle.image import imageio

EXTENSIONS = list(imageio.INPUT_EXTENSIONS) + [".txt", ""]


def _small_real(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.open(PHOTOS["chelsea"]).resize((48, 32)).save(buf, format=fmt)
    return buf.getvalue()


REAL = {fmt: _small_real(fmt) for fmt in ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF")}


@given(data=st.binary(max_size=3000), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes(tmp_path_factory, data, ext):
    path = tmp_path_factory.mktemp("bytes") / f"x{ext}"
    path.write_bytes(data)
    load_or_usage_error(path)


@given(
    fmt=st.sampled_from(sorted(REAL)),
    cut=st.floats(0.0, 1.0),
    flips=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=6),
    prefix=st.sampled_from([b"", b"%!PS-Adobe-3.0\n", b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"]),
)
def test_truncated_and_mutated_real_photos(tmp_path_factory, fmt, cut, flips, prefix):
    data = bytearray(REAL[fmt])
    for where, value in flips:
        data[min(len(data) - 1, int(where * len(data)))] = value
    data = prefix + bytes(data[: max(1, int(cut * len(data)))])
    path = tmp_path_factory.mktemp("mut") / f"m.{fmt.lower()}"
    path.write_bytes(data)
    load_or_usage_error(path)


MODES = ["1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBa", "La", "CMYK", "YCbCr", "LAB", "HSV", "I", "I;16", "I;16B", "F"]
FORMATS = {"PNG": ".png", "TIFF": ".tif", "BMP": ".bmp", "GIF": ".gif", "WEBP": ".webp", "JPEG": ".jpg"}


@given(
    mode=st.sampled_from(MODES),
    fmt=st.sampled_from(sorted(FORMATS)),
    width=st.integers(1, 40),
    height=st.integers(1, 40),
    seed=st.integers(0, 2**32 - 1),
    as_pil=st.booleans(),
)
def test_every_mode_and_bit_depth(tmp_path_factory, mode, fmt, width, height, seed, as_pil):
    rng = np.random.default_rng(seed)
    base = Image.fromarray(rng.integers(0, 256, (height, width, 4), dtype=np.uint8), "RGBA")
    if mode in ("I", "I;16", "I;16B", "F"):
        top = {"I": 2**31 - 1, "I;16": 65535, "I;16B": 65535, "F": 1e6}[mode]
        arr = rng.uniform(-top if mode in ("I", "F") else 0, top, (height, width))
        im = Image.fromarray(arr.astype(np.float32), "F").convert(mode) if mode != "F" else Image.fromarray(arr.astype(np.float32), "F")
    else:
        try:
            im = base.convert(mode)
        except ValueError:
            im = base.convert("RGB").convert(mode)
    if as_pil:
        photos = imageio.load(im)
        check_photo(photos[0])
        assert photos[0].size == (width, height)
        return
    path = tmp_path_factory.mktemp("modes") / f"m{FORMATS[fmt]}"
    try:
        im.save(path, format=fmt)
    except (OSError, ValueError, KeyError, TypeError):
        return  # Pillow cannot store this mode in this format: nothing to read
    photo = load_or_usage_error(path)
    if photo is not None:
        assert photo.size == (width, height)


@pytest.mark.parametrize("size", [(1, 1), (1, 4000), (4000, 1), (2, 3000), (4096, 3)])
def test_extreme_sizes_load_and_shrink(tmp_path, size):
    path = tmp_path / "thin.png"
    Image.new("RGB", size, (120, 60, 30)).save(path)
    photo = load_or_usage_error(path, max_size=128)
    assert photo is not None and max(photo.size) <= 128 and min(photo.size) >= 1
