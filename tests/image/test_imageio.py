"""Pillow I/O edge cases: orientation, alpha, grayscale, 16-bit, palette; output formats;
pixel limit; atomic writes."""

import os

import numpy as np
import pytest
import torch
from PIL import Image

from harness.helpers import PHOTOS
from spokenstyle import Engine, UsageError
from spokenstyle.image import imageio


@pytest.fixture(scope="module")
def engine():
    return Engine(device="cpu")


def test_exif_orientation_is_applied(tmp_path):
    im = Image.new("RGB", (40, 20), (0, 0, 255))
    im.paste((255, 0, 0), (0, 0, 10, 20))  # red stripe on the left
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    path = tmp_path / "rotated.jpg"
    im.save(path, exif=exif, quality=95)
    photo = imageio.load(path)[0]
    assert photo.size == (20, 40)  # width and height swapped
    top = photo.pixels[:, :5, :].mean(dim=(1, 2))
    assert top[0] > 0.8 and top[2] < 0.2  # the left stripe is now on top


def test_rgba_keeps_alpha_in_png_and_flattens_on_white_in_jpeg(tmp_path, engine):
    im = Image.open(PHOTOS["coffee"]).convert("RGBA")
    alpha = Image.new("L", im.size, 0)
    alpha.paste(255, (0, 0, im.width // 2, im.height))
    im.putalpha(alpha)
    src = tmp_path / "a.png"
    im.save(src)
    result = engine.stylize(src, "warmer")
    png = Image.open(result.save(tmp_path / "out.png"))
    assert png.mode == "RGBA"
    assert np.array_equal(np.asarray(png.getchannel("A")), np.asarray(alpha))
    jpg = Image.open(result.save(tmp_path / "out.jpg"))
    assert jpg.mode == "RGB"
    right = np.asarray(jpg)[:, -10:, :]
    assert right.min() > 240  # transparent half became white


def test_grayscale_l_and_la(tmp_path, engine):
    Image.open(PHOTOS["chelsea"]).convert("L").save(tmp_path / "g.png")
    photo = imageio.load(tmp_path / "g.png")[0]
    assert torch.equal(photo.pixels[0], photo.pixels[1]) and torch.equal(photo.pixels[1], photo.pixels[2])
    result = engine.stylize(tmp_path / "g.png", "warmer")
    r, _, b = result.tensor[0]
    assert r.mean() > b.mean()  # a grey photo can be warmed: output is RGB
    Image.open(PHOTOS["chelsea"]).convert("LA").save(tmp_path / "la.png")
    assert imageio.load(tmp_path / "la.png")[0].alpha is not None


def test_16_bit_grayscale_keeps_its_precision(tmp_path):
    ramp = (np.linspace(0, 65535, 256, dtype=np.float64).round().astype(np.uint16)[None, :].repeat(8, 0))
    im = Image.fromarray(ramp)  # mode I;16
    assert im.mode.startswith("I;16")
    im.save(tmp_path / "deep.png")
    photo = imageio.load(tmp_path / "deep.png")[0]
    assert photo.pixels.shape == (3, 8, 256)
    assert torch.allclose(photo.pixels[0, 0].double(), torch.from_numpy(ramp[0] / 65535.0), atol=1e-6)
    assert torch.unique(photo.pixels[0]).numel() == 256  # more than 8 bits survive


def test_palette_images_with_and_without_transparency(tmp_path):
    p = Image.open(PHOTOS["coffee"]).convert("P", palette=Image.ADAPTIVE, colors=32)
    p.save(tmp_path / "p.png")
    photo = imageio.load(tmp_path / "p.png")[0]
    assert photo.alpha is None and photo.pixels.shape[0] == 3
    p.info["transparency"] = 0
    p.save(tmp_path / "pt.png", transparency=0)
    assert imageio.load(tmp_path / "pt.png")[0].alpha is not None


@pytest.mark.parametrize("ext, fmt", [(".png", "PNG"), (".jpg", "JPEG"), (".jpeg", "JPEG"), (".webp", "WEBP"), (".PNG", "PNG")])
def test_output_format_follows_the_extension(tmp_path, engine, ext, fmt):
    result = engine.stylize(PHOTOS["chelsea"], "cooler")
    out = result.save(tmp_path / f"out{ext}")
    assert Image.open(out).format == fmt


def test_unsupported_extension_is_a_clear_error(tmp_path, engine):
    result = engine.stylize(PHOTOS["chelsea"], "cooler")
    with pytest.raises(UsageError, match=r"unsupported extension '\.gif'; use \.png, \.jpg or \.webp"):
        result.save(tmp_path / "out.gif")
    with pytest.raises(UsageError, match="does not exist"):
        result.save(tmp_path / "no" / "such" / "out.png")
    assert list(tmp_path.iterdir()) == []


def test_pixel_limit_is_a_clear_error_before_decoding(tmp_path):
    Image.new("RGB", (300, 200)).save(tmp_path / "big.png")
    with pytest.raises(UsageError, match=r"300x200 = 60,000 pixels, above the limit of 50,000.*max_size"):
        imageio.load(tmp_path / "big.png", max_pixels=50_000)
    with pytest.raises(UsageError, match="above the limit"):
        Engine(max_pixels=1000).stylize(torch.rand(3, 100, 100), "warm")
    assert imageio.load(tmp_path / "big.png", max_pixels=60_000)[0].size == (300, 200)


def test_jpeg_draft_lets_max_size_get_under_the_limit():
    # the 256x171 JPEG is over a 20k-pixel limit, but decoding at a reduced scale is not
    with pytest.raises(UsageError):
        imageio.load(PHOTOS["coffee"], max_pixels=20_000)
    photo = imageio.load(PHOTOS["coffee"], max_pixels=20_000, max_size=100)[0]
    assert max(photo.size) == 100


def test_not_an_image_and_truncated_image(tmp_path):
    (tmp_path / "text.jpg").write_text("hello")
    with pytest.raises(UsageError, match="not an image"):
        imageio.load(tmp_path / "text.jpg")
    data = PHOTOS["coffee"].read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 3])
    with pytest.raises(UsageError, match="truncated or corrupt"):
        imageio.load(tmp_path / "cut.jpg")


def test_writes_are_atomic(tmp_path, monkeypatch):
    im = Image.open(PHOTOS["coffee"])
    target = tmp_path / "out.png"
    target.write_bytes(b"previous")

    def explode(self, fp, *args, **kwargs):
        fp.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", explode)
    with pytest.raises(UsageError, match="No space left"):
        imageio.save(im, target)
    assert target.read_bytes() == b"previous"  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]  # no temp file left


def test_saved_files_get_normal_permissions(tmp_path):
    out = imageio.save(Image.new("RGB", (4, 4)), tmp_path / "x.png")
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_tensor_inputs(engine):
    u8 = (torch.rand(3, 32, 48) * 255).to(torch.uint8)
    photo = imageio.load(u8)[0]
    assert torch.allclose(photo.pixels, u8.float() / 255)
    grey = imageio.load(torch.rand(1, 1, 8, 8))[0]
    assert grey.pixels.shape == (3, 8, 8)
    with pytest.raises(UsageError, match="dtype"):
        imageio.load(torch.zeros(3, 4, 4, dtype=torch.int32))
