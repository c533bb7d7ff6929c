"""Regenerate the README's and the docs' pictures from the current code.

    python docs/images/make_images.py                 # the README's and the sheets
    python docs/images/make_images.py media sheets    # some of them

media:    coffee-media.jpg  - the example photo, two media prompts and --style painting.jpg (2x2)
looks:    coffee-looks.jpg  - the photo and three looks without a medium (one row)
sheets:   sheet-coffee.jpg, sheet-chelsea.jpg - `spokenstyle sheet` on the two held-out photos
styles26: magenta26-styles.jpg - the 26 learned styles of `magenta26` on a held-out landscape, named
          as -O styles= takes them (with the descriptive aliases)
painters: media-vs-PHOTO.jpg - every medium by adain, render, magenta and OpenCV on held-out, grey,
          dark, portrait and landscape photos (benchmarks/media_fidelity.py, which also measures them)
gatys:    coffee-gatys-vgg19.jpg - the example photo, examples/painting.jpg and gatys's default result;
          gatys-bf16-before-after.jpg - the held-out photos centre-cropped to 512², gatys with
          precision float32 then auto (bfloat16 on CPUs with AMX/AVX512-BF16)
adain:    adain-vgg19-before-after.jpg - adain with the random encoder's relu3_1 decoder against
          the VGG-19 relu4_1 decoder (the default), held-out photos, three media and a painting;
          only on request; VGG19_DECODER=PATH uses another VGG-19 decoder, VGG19_DECODER_BEFORE=PATH
          adds a column for an earlier one
transform: transform-heldout.jpg - adain over the transform generator (TRANSFORM_WEIGHTS=PATH, default
          the package's) on the held-out photos in every medium it was trained for, and
          sheet-transform-coffee.jpg, sheet-transform-chelsea.jpg (`spokenstyle sheet --backend
          transform`, the package's weights only)

Every picture is made with seed 0 on the CPU, so reruns give the same pictures on one machine.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw
import torch

import spokenstyle
from spokenstyle.quality.sheet import label_font, make_sheet

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
COFFEE = REPO / "examples" / "coffee.jpg"
PAINTING = REPO / "examples" / "painting.jpg"
HELDOUT = REPO / "data" / "photos" / "heldout"


def _grid(images: list[Image.Image], columns: int) -> Image.Image:
    w, h = images[0].size
    rows = (len(images) + columns - 1) // columns
    out = Image.new("RGB", (columns * w, rows * h), "white")
    for i, img in enumerate(images):
        out.paste(img.convert("RGB").resize((w, h)), ((i % columns) * w, (i // columns) * h))
    return out


def _labelled(rows: list[list[Image.Image]], labels: list[str], font_size: int, head: int) -> Image.Image:
    """The rows of cells as one picture (each cell at the first's size) under a row of column labels."""
    w, h = rows[0][0].size
    face = label_font(font_size, None, False)
    out = Image.new("RGB", (len(rows[0]) * w, len(rows) * h + head), "white")
    draw = ImageDraw.Draw(out)
    for c, label in enumerate(labels):
        draw.text((c * w + w / 2, head / 2), label, fill=(20, 20, 20), font=face, anchor="mm")
    for r, row in enumerate(rows):
        for c, img in enumerate(row):
            out.paste(img.convert("RGB").resize((w, h)), (c * w, head + r * h))
    return out


def _run(engine, photo, prompt="", **kwargs) -> Image.Image:
    t = time.perf_counter()
    result = engine.stylize(photo, prompt, seed=0, **kwargs)
    print(f"  {prompt or kwargs.get('style') or 'original'!s:40.40} {' -> '.join(result.backends):16} "
          f"{time.perf_counter() - t:6.2f} s", flush=True)
    return result.images[0]


def media(engine) -> None:
    cells = [_run(engine, COFFEE, strength=0.0, max_size=480),
             _run(engine, COFFEE, "oil painting, warm sunset colours", max_size=480),
             _run(engine, COFFEE, "水墨风，淡一点", max_size=480),
             _run(engine, COFFEE, style=str(PAINTING), max_size=480)]
    _grid(cells, 2).save(HERE / "coffee-media.jpg", quality=90)


def looks(engine) -> None:
    prompts = ["", "来点复古胶片感，别太暗", "make it warmer, more contrast", "black and white, moody"]
    cells = [_run(engine, COFFEE, p, max_size=320, **({"strength": 0.0} if not p else {})) for p in prompts]
    _grid(cells, 4).save(HERE / "coffee-looks.jpg", quality=90)


def sheets(engine) -> None:
    for name in ("coffee", "chelsea"):
        t = time.perf_counter()
        sheet = make_sheet(HELDOUT / f"{name}.jpg", engine=engine, cell=256, progress=False)
        sheet.save(HERE / f"sheet-{name}.jpg", quality=90)
        print(f"  sheet-{name}.jpg {sheet.image.size} {time.perf_counter() - t:.1f} s", flush=True)


def adain(engine) -> None:
    """Rows: held-out photos; columns: the photo, then per style the random encoder's decoder,
    the VGG-19 decoder before (VGG19_DECODER_BEFORE=PATH, if given) and the shipped VGG-19 one."""
    before = os.environ.get("VGG19_DECODER_BEFORE")
    decoder = os.environ.get("VGG19_DECODER") or None  # None: the shipped one
    styles = [("oil painting", {}), ("watercolor", {}), ("ink wash", {}), ("", {"style": str(PAINTING)})]
    variants = {"random": {"encoder": "random"}}
    if before:
        variants["vgg19 before"] = {"encoder": "vgg19", "decoder": before}
    variants["vgg19"] = {"encoder": "vgg19", "decoder": decoder}
    rows = []
    for name in ("coffee", "chelsea"):
        photo = HELDOUT / f"{name}.jpg"
        row = [_run(engine, photo, strength=0.0, max_size=320)]
        for prompt, extra in styles:
            for options in variants.values():
                row.append(_run(engine, photo, prompt, max_size=320, options=options, **extra))
        rows.append(row)
    labels = ["held-out photo"] + [f"{p or 'painting.jpg'}: {v}" for p, _ in styles for v in variants]
    _labelled(rows, labels, 16, 26).save(HERE / "adain-vgg19-before-after.jpg", quality=90)


def _square(path: Path, size: int = 512) -> Image.Image:
    im = Image.open(path).convert("RGB")
    w, h = im.size
    s = min(w, h)
    return im.crop(((w - s) // 2, (h - s) // 2, (w - s) // 2 + s, (h - s) // 2 + s)).resize((size, size), Image.LANCZOS)


def gatys(engine) -> None:
    out = _run(engine, COFFEE, style=str(PAINTING), backend="gatys")
    painting = Image.open(PAINTING).convert("RGB")
    h = out.size[1]
    painting = painting.resize((round(painting.size[0] * h / painting.size[1]), h), Image.LANCZOS)
    cells = [Image.open(COFFEE).convert("RGB"), painting, out]
    row = Image.new("RGB", (sum(c.size[0] for c in cells), h), "white")
    x = 0
    for c in cells:
        row.paste(c, (x, 0))
        x += c.size[0]
    row.save(HERE / "coffee-gatys-vgg19.jpg", quality=90)
    cells = []
    for name in ("chelsea", "coffee"):
        photo = _square(HELDOUT / f"{name}.jpg")
        cells.append(photo)
        for precision in ("float32", "auto"):
            cells.append(_run(engine, photo, style=str(PAINTING), backend="gatys", options={"precision": precision}))
    _grid([c.resize((384, 384), Image.LANCZOS) for c in cells], 3).save(HERE / "gatys-bf16-before-after.jpg", quality=85)


def transform(engine) -> None:
    """transform-heldout.jpg: per held-out photo, a row of ``adain`` (the default, and the
    teacher the shipped generator was distilled from) over a row of ``transform``, every medium
    of the weights; sheet-transform-*.jpg: ``spokenstyle sheet --backend transform``."""
    from spokenstyle.nn.transform import load

    weights = os.environ.get("TRANSFORM_WEIGHTS") or None
    ckpt = load(weights) if weights else None
    media = ckpt.net.media if ckpt else engine.generator("transform").media
    options = {"weights": weights} if weights else {}
    rows = []
    for name in ("coffee", "chelsea"):
        photo = HELDOUT / f"{name}.jpg"
        original = _run(engine, photo, strength=0.0, max_size=320)
        for backend in ("adain", "transform"):
            row = [original if backend == "adain" else Image.new("RGB", original.size, "white")]
            row += [_run(engine, photo, m.replace("_", " "), backend=backend, max_size=320,
                         options=options if backend == "transform" else None) for m in media]
            rows.append(row)
    labels = ["photo; adain / transform"] + [m.replace("_", " ") for m in media]
    _labelled(rows, labels, 14, 24).save(HERE / "transform-heldout.jpg", quality=88)
    if weights is None:  # the sheets show what users get: the package's weights
        for name in ("coffee", "chelsea"):
            sheet = make_sheet(HELDOUT / f"{name}.jpg", engine=engine, cell=256, backend="transform", progress=False)
            sheet.save(HERE / f"sheet-transform-{name}.jpg", quality=90)
            print(f"  sheet-transform-{name}.jpg {sheet.image.size}", flush=True)


def painters(engine) -> None:
    sys.path.insert(0, str(REPO / "benchmarks"))
    import media_fidelity

    media_fidelity.main(["--sheets", str(HERE)])


def styles26(engine) -> None:
    from spokenstyle.image.imageio import load, tensor_to_pil
    from spokenstyle.nn import magenta

    photo = load(REPO / "data" / "photos" / "train" / "china.jpg")[0].pixels.unsqueeze(0)
    photo = torch.nn.functional.interpolate(photo, scale_factor=300 / max(photo.shape[-2:]), mode="bilinear",
                                            antialias=True, align_corners=False).clamp(0, 1)
    alias = {v: k for k, v in magenta.STYLE_ALIASES.items()}
    cells = [("photo", photo)] + [(f"{n} {alias.get(n, '')}".strip(), magenta.multistyle(photo, n)) for n in magenta.STYLE_NAMES]
    h, w = photo.shape[-2:]
    font, bar, cols = label_font(13, None, False), 18, 7
    img = Image.new("RGB", (cols * w, -(-len(cells) // cols) * (h + bar)), "white")
    draw = ImageDraw.Draw(img)
    for k, (name, t) in enumerate(cells):
        r, c = divmod(k, cols)
        img.paste(tensor_to_pil(t[0]), (c * w, r * (h + bar) + bar))
        draw.text((c * w + 3, r * (h + bar) + 2), name, fill="black", font=font)
    img.save(HERE / "magenta26-styles.jpg", quality=88)


PICTURES = {"styles26": styles26, "painters": painters, "media": media, "looks": looks, "sheets": sheets, "gatys": gatys, "adain": adain, "transform": transform}

if __name__ == "__main__":
    wanted = sys.argv[1:] or ["media", "looks", "sheets", "painters", "styles26", "gatys", "transform"]
    unknown = [w for w in wanted if w not in PICTURES]
    if unknown:
        sys.exit(f"make_images.py: unknown picture(s) {unknown}; choose from {list(PICTURES)}")
    engine = spokenstyle.Engine(device="cpu")
    for name in wanted:
        print(name, flush=True)
        PICTURES[name](engine)
