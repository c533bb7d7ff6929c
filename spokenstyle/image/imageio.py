"""Reading and writing photos with Pillow, and converting them to and from tensors.

In: JPEG, PNG, WebP, TIFF, BMP and GIF files, recognised by their content
(:data:`INPUT_FORMATS`; no other Pillow plugin is ever asked), in any mode Pillow reads (RGB,
RGBA, L, LA, P with or without transparency, CMYK, 1, I;16, I, F, ...); NaN or infinite values
(float TIFFs, float tensors) are refused, not turned into black; EXIF orientation is applied; 16-bit greyscale keeps its precision; an alpha
channel is kept aside and put back on output (formats without alpha get it flattened on
white). A pixel limit (:data:`DEFAULT_MAX_PIXELS`) turns an oversized photo into a clear
error before it is decoded, instead of running out of memory.

Out: the format comes from the extension (.png, .jpg/.jpeg, .webp). Writes are atomic: the
image goes to a temporary file in the same folder, then ``os.replace`` moves it into place,
so a failure never leaves a partial file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from struct import error as struct_error
from typing import Any, Union

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import UsageError

#: 40 megapixels: a full-frame camera photo; raise it with ``max_pixels=``.
DEFAULT_MAX_PIXELS = 40_000_000

_UMASK = os.umask(0)
os.umask(_UMASK)

OUTPUT_FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".webp": "WEBP"}
#: The formats a photo file may be, recognised by content (not by extension); nothing else is
#: handed to Pillow (so a PostScript file named .jpg never reaches Ghostscript). "JPEG" also
#: opens the multi-picture JPEGs (MPO) many phones and cameras write.
INPUT_FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF")
_FORMAT_WORDS = "a JPEG, PNG, WebP, TIFF, BMP or GIF file"
#: Extensions treated as images when a folder is given.
INPUT_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif")

ImageLike = Union[str, os.PathLike, Image.Image, torch.Tensor]


@dataclass
class Photo:
    """A decoded photo: ``pixels`` (3, H, W) float32 sRGB in [0, 1], plus what output needs."""

    pixels: torch.Tensor
    alpha: Image.Image | None = None  # mode "L", same size
    source: str = "<image>"
    icc_profile: bytes | None = None
    #: (width, height) as given, before ``max_size`` shrank it (a mask must have this size).
    full_size: tuple[int, int] | None = None

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.pixels.shape[-1]), int(self.pixels.shape[-2])


def _check_pixels(width: int, height: int, max_pixels: int | None, source: str, *, jpeg: bool = False) -> None:
    if width < 1 or height < 1:
        raise UsageError(f"{source} is {width}x{height}: it has no pixels; pass a photo at least 1x1")
    if max_pixels is not None and width * height > max_pixels:
        # The limit guards decoding; shrinking happens after it, except for a JPEG, which
        # max_size= decodes at 1/2, 1/4 or 1/8 scale.
        fix = (
            "pass max_size= (CLI: --max-size; a JPEG is then decoded at a reduced scale) or raise max_pixels= (CLI: --max-pixels)"
            if jpeg else
            "raise max_pixels= (CLI: --max-pixels) if the memory is there (about 16 bytes a pixel), "
            "or shrink the file first; max_size= cannot help, it shrinks after decoding"
        )
        raise UsageError(
            f"{source} is {width}x{height} = {width * height:,} pixels, above the limit of {max_pixels:,}; {fix}"
        )


def open_image(path: str | os.PathLike, *, max_pixels: int | None = DEFAULT_MAX_PIXELS, what: str = "input") -> Image.Image:
    """Open (lazily) and validate a photo file; the pixel limit is checked before decoding.
    Only :data:`INPUT_FORMATS` are recognised, by content. ``what`` names the file in errors
    ("input", "--style", "mask=", ...)."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{what} '{p}' does not exist; check the path")
    if p.is_dir():
        raise UsageError(f"{what} '{p}' is a folder; pass image files" + (" (the CLI accepts folders)" if what == "input" else ""))
    try:
        with _no_bomb_warning():
            im = Image.open(p, formats=INPUT_FORMATS)
    except UnidentifiedImageError:
        raise UsageError(f"'{p}' is not an image spokenstyle reads; pass {_FORMAT_WORDS}") from None
    except Image.DecompressionBombError as exc:
        raise UsageError(
            f"'{p}' is too large to decode safely ({exc}); shrink the file with an image editor first"
        ) from None
    except OSError as exc:
        raise UsageError(f"cannot read '{p}': {exc.strerror or exc}") from None
    except (SyntaxError, ValueError, EOFError, struct_error, IndexError, KeyError, TypeError) as exc:  # a broken header
        raise UsageError(f"cannot read '{p}': a broken {what} file ({type(exc).__name__}: {exc}); {_FORMAT_WORDS} is expected") from None
    _check_pixels(im.width, im.height, max_pixels, f"'{p}'", jpeg=im.format in ("JPEG", "MPO"))
    return im


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(width, height) of a photo file as displayed (EXIF rotation applied), from its header."""
    with open_image(path, max_pixels=None) as im:
        width, height = im.size
        try:
            orientation = im.getexif().get(0x0112, 1)
        except Exception:  # a broken EXIF block: Pillow's exif_transpose ignores it too
            orientation = 1
    return (height, width) if orientation in (5, 6, 7, 8) else (width, height)


class _no_bomb_warning:
    """Context manager: Pillow's decompression-bomb *warning* is silenced, because every decode
    goes through our own, configurable limit (max_pixels) first; its hard error still stands."""

    def __enter__(self):
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _positive_int(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise UsageError(f"{name}={value!r} must be a whole number of pixels >= 1 (or None)")
    if value < 1:
        raise UsageError(f"{name}={value} must be a positive number of pixels")
    return int(value)


def load(
    source: ImageLike,
    *,
    max_pixels: int | None = DEFAULT_MAX_PIXELS,
    max_size: int | None = None,
) -> list[Photo]:
    """Photos from a path, a PIL image or a tensor ((3, H, W) or (N, 3, H, W); floats in [0, 1]
    or uint8). ``max_size`` shrinks the long side (never enlarges). A list for batched tensors."""
    max_size = _positive_int(max_size, "max_size")
    if max_pixels is not None:
        max_pixels = _positive_int(max_pixels, "max_pixels")
    if isinstance(source, torch.Tensor):
        pixels = _tensor_photos(source, max_pixels, max_size)  # checks the shape first
        full = (int(source.shape[-1]), int(source.shape[-2]))
        return [Photo(p, source="<tensor>", full_size=full) for p in pixels]
    if isinstance(source, Image.Image):
        try:
            return [_from_pil(source, "<PIL image>", max_pixels, max_size)]
        except UsageError:
            raise
        except (OSError, ValueError) as exc:  # a mode Pillow cannot convert, a lazy image that fails to decode
            raise UsageError(f"cannot read the PIL image (mode {source.mode}): {exc}; convert it to RGB first") from None
    if isinstance(source, (str, os.PathLike)):
        im = open_image(source, max_pixels=None)
        full = im.size
        if max_size is not None and im.format == "JPEG":
            scale = int(max_size) / max(im.size)
            if scale < 1:  # decode at a reduced scale (1/2, 1/4, 1/8), cheaply
                im.draft("RGB", (max(1, int(im.width * scale)), max(1, int(im.height * scale))))
        try:
            return [_from_pil(im, str(source), max_pixels, max_size, full)]
        except UsageError:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, struct_error, IndexError, KeyError, TypeError, ZeroDivisionError) as exc:
            # what Pillow's decoders raise on damaged data
            raise UsageError(f"cannot decode '{source}': {type(exc).__name__}: {exc}; the file may be truncated or corrupt") from None
        finally:
            im.close()
    raise UsageError(
        f"cannot use {type(source).__name__} as an image; pass a file path, a PIL.Image or a (3, H, W) tensor"
    )


def _from_pil(
    im: Image.Image, source: str, max_pixels: int | None, max_size: int | None, full: tuple[int, int] | None = None
) -> Photo:
    where = source if source.startswith("<") else f"'{source}'"
    _check_pixels(im.width, im.height, max_pixels, where, jpeg=im.format in ("JPEG", "MPO"))
    icc = im.info.get("icc_profile")
    full = full or im.size  # before a JPEG draft reduced it
    im.load()
    before = im.size
    im = ImageOps.exif_transpose(im)
    if im.size != before:  # rotated by 90 degrees
        full = (full[1], full[0])
    alpha = None
    mode = im.mode
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        if mode in ("RGBa", "La"):  # premultiplied alpha; Pillow converts La only to LA
            im = im.convert("RGBA" if mode == "RGBa" else "LA")
            mode = im.mode
        alpha = im.getchannel("A")
        im = im.convert("RGB") if mode != "LA" else im.convert("L")
        mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float32)
        scale = 65535.0 if mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        grey = torch.from_numpy(np.clip(arr / scale, 0.0, 1.0))
        pixels = grey.unsqueeze(0).expand(3, -1, -1).contiguous()
    elif mode == "F":
        arr = np.asarray(im, dtype=np.float32)
        if not np.isfinite(arr).all():
            bad = int((~np.isfinite(arr)).sum())
            raise UsageError(
                f"{where} has {bad:,} NaN or infinite pixel value(s) (a float image); replace them with "
                "finite values (0..1 or 0..255) first"
            )
        arr = arr / 255.0 if arr.max(initial=0) > 1.0 else arr
        pixels = torch.from_numpy(np.clip(arr, 0.0, 1.0)).unsqueeze(0).expand(3, -1, -1).contiguous()
    else:
        if mode not in ("RGB", "L"):
            im = im.convert("RGB")
        pixels = pil_to_tensor(im)
    photo = Photo(pixels, alpha, source, icc, full)
    if max_size is not None:
        photo = _shrink(photo, int(max_size))
    return photo


def pil_to_tensor(im: Image.Image) -> torch.Tensor:
    """8-bit RGB or L PIL image -> (3, H, W) float32 in [0, 1]."""
    arr = np.asarray(im)
    t = torch.from_numpy(arr.copy())
    if t.dim() == 2:
        t = t.unsqueeze(-1).expand(-1, -1, 3)
    return t.permute(2, 0, 1).contiguous().float().div_(255.0)


def tensor_to_pil(t: torch.Tensor, alpha: Image.Image | None = None) -> Image.Image:
    """(3, H, W) float in [0, 1] -> 8-bit RGB (RGBA when ``alpha`` is given) PIL image."""
    if t.dim() == 4 and t.shape[0] == 1:
        t = t[0]
    if t.dim() != 3 or t.shape[0] != 3:
        raise UsageError(f"expected a (3, H, W) tensor, got {tuple(t.shape)}")
    arr = t.detach().float().clamp(0, 1).mul(255.0).round_().to(torch.uint8).permute(1, 2, 0).cpu().numpy()
    im = Image.fromarray(np.ascontiguousarray(arr), "RGB")
    if alpha is not None:
        if alpha.size != im.size:
            alpha = alpha.resize(im.size, Image.LANCZOS)
        im.putalpha(alpha)
    return im


def _tensor_photos(t: torch.Tensor, max_pixels: int | None, max_size: int | None) -> list[torch.Tensor]:
    if t.device.type == "meta" or t.layout != torch.strided:
        raise UsageError(
            f"the image tensor is a {t.device.type if t.device.type == 'meta' else t.layout} tensor, which holds no "
            "pixels to read; pass a dense CPU or CUDA tensor"
        )
    if t.dim() == 3:
        t = t.unsqueeze(0)
    if t.dim() != 4 or t.shape[1] not in (1, 3):
        raise UsageError(
            f"image tensor has shape {tuple(t.shape)}; pass (3, H, W) or (N, 3, H, W) (channels first)"
        )
    if t.shape[0] == 0:
        raise UsageError(f"image tensor has shape {tuple(t.shape)}: a batch of no images; pass at least one")
    _check_pixels(int(t.shape[-1]), int(t.shape[-2]), max_pixels, f"the image tensor {tuple(t.shape)}")
    if t.dtype == torch.uint8:
        t = t.float() / 255.0
    elif not t.is_floating_point():
        raise UsageError(f"image tensor has dtype {t.dtype}; pass float in [0, 1] or uint8")
    else:
        if not bool(torch.isfinite(t).all()):
            bad = int((~torch.isfinite(t)).sum())
            raise UsageError(
                f"the image tensor has {bad:,} NaN or infinite value(s); pass finite values in [0, 1] "
                "(e.g. torch.nan_to_num(x).clamp(0, 1))"
            )
        t = t.float().clamp(0.0, 1.0)
    if t.shape[1] == 1:
        t = t.expand(-1, 3, -1, -1)
    out = []
    for img in t:
        h, w = img.shape[-2:]
        if max_size is not None and max(h, w) > max_size:
            scale = max_size / max(h, w)
            size = (max(1, round(h * scale)), max(1, round(w * scale)))
            img = torch.nn.functional.interpolate(img[None], size=size, mode="bilinear", antialias=True, align_corners=False)[0]
            img = img.clamp(0.0, 1.0)
        out.append(img.contiguous())
    return out


def _shrink(photo: Photo, max_size: int) -> Photo:
    w, h = photo.size
    if max(w, h) <= max_size:
        return photo
    scale = max_size / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    pixels = photo.pixels
    # Resample in 8 bits with Lanczos when that loses nothing, else antialiased bilinear.
    im = tensor_to_pil(pixels).resize(size, Image.LANCZOS)
    alpha = photo.alpha.resize(size, Image.LANCZOS) if photo.alpha is not None else None
    return Photo(pil_to_tensor(im), alpha, photo.source, photo.icc_profile, photo.full_size)


def output_format(path: str | os.PathLike) -> str:
    ext = Path(path).suffix.lower()
    if ext not in OUTPUT_FORMATS:
        raise UsageError(
            f"cannot write '{path}': unsupported extension '{ext or '(none)'}'; use .png, .jpg or .webp"
        )
    return OUTPUT_FORMATS[ext]


def save(image: Image.Image, path: str | os.PathLike, *, quality: int = 95, icc_profile: bytes | None = None) -> Path:
    """Write ``image`` atomically; the format comes from the extension. Returns the path."""
    path = Path(path)
    fmt = output_format(path)
    if isinstance(quality, bool) or not isinstance(quality, (int, np.integer)) or not 1 <= quality <= 100:
        raise UsageError(f"quality={quality!r} is out of range; use a whole number from 1 to 100 (JPEG/WebP; 95 = default)")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise UsageError(f"cannot write '{path}': folder '{parent}' does not exist; create it first")
    if not parent.is_dir():
        raise UsageError(f"cannot write '{path}': '{parent}' is not a folder")
    if path.is_dir():
        raise UsageError(f"cannot write '{path}': it is a folder; give a file name such as '{path / 'out.png'}'")
    params: dict[str, Any] = {}
    if fmt == "JPEG":
        if image.mode in ("RGBA", "LA"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            background.paste(image, mask=image.getchannel("A"))
            image = background
        params.update(quality=quality, optimize=True)
    elif fmt == "WEBP":
        params.update(quality=quality, method=4)
    elif fmt == "PNG":
        params.update(compress_level=6)
    if icc_profile:
        params["icc_profile"] = icc_profile
    def write(fh) -> None:
        image.save(fh, format=fmt, **params)

    return write_atomically(path, write)


def write_atomically(path: str | os.PathLike, write) -> Path:
    """Write a file so that it is either complete or absent: ``write(fh)`` fills a temporary
    file (opened "wb") in the same folder, which is synced, given the usual permissions and
    moved into place; on any failure it is removed, and an OSError becomes a UsageError."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from None
        raise
    return path
