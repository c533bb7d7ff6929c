"""Does a medium keep the subject and the photo's colours? The figures (and the sheets) behind
the planner's choice of ``render`` over ``adain`` for media prompts (benchmarks/RESULTS.md).

For each held-out photo and medium, each backend renders the prompt "<medium>" as a user gets
it (no style image; seed 0), and two figures are measured against the photo:

* ``SSIM L``: structural similarity of the lightness (Oklab L), the subject kept (higher);
* ``new colour``: for 4096 pixels of the output, the Oklab distance to the nearest of 4096
  pixels of the photo, averaged (lower: no colours the photo never had; a grey photo painted
  in pink and cyan scores high). Greyscale media are scored on lightness alone;
* ``edges``: correlation of the Sobel gradient magnitudes of the lightness (the subject's
  outlines kept, higher). SSIM L punishes a drawing's hatching and a window's leading, which
  replace the photo's tones by design; ``edges`` asks only whether the outlines are where the
  photo's are.

OpenCV's ``pencilSketch``, ``stylization`` and ``xphoto.oilPainting`` are shown and scored
beside them where ``opencv-contrib-python-headless`` is installed. One sheet per photo
(rows: media; columns: the photo, each backend, OpenCV) goes to ``--sheets``.

    python benchmarks/media_fidelity.py --backends adain,render,magenta --sheets docs/images [--json]

Photos: data/photos/heldout (chelsea, coffee, clock), chelsea 2.5 stops darker (a dark photo),
and grace_hopper (a portrait) and china (a landscape) from data/photos/train, which only the
adain decoder trained on (neither render nor magenta has seen them).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent
MEDIA = ("pencil sketch", "ink wash", "watercolor", "oil painting", "impressionist", "mosaic", "stained glass",
         "pixel art", "comic")
GREY_MEDIA = ("pencil sketch", "ink wash", "charcoal")


def photos(size: int) -> dict[str, torch.Tensor]:
    from spokenstyle.builtins.texture import resize_long
    from spokenstyle.image.color import linear_to_srgb, srgb_to_linear
    from spokenstyle.image.imageio import load

    files = {p.stem: p for p in sorted((REPO / "data/photos/heldout").glob("*.jpg"))}
    files["grace_hopper"] = REPO / "data/photos/train/grace_hopper.jpg"
    files["china"] = REPO / "data/photos/train/china.jpg"
    out = {name: resize_long(load(path)[0].pixels.unsqueeze(0), size) for name, path in files.items()}
    out["chelsea_dark"] = linear_to_srgb(srgb_to_linear(out["chelsea"]) * 2 ** -2.5).clamp(0, 1)
    return out


def new_colour(photo: torch.Tensor, output: torch.Tensor, lightness_only: bool) -> float:
    from spokenstyle.image.color import srgb_to_oklab

    g = torch.Generator().manual_seed(0)

    def sample(x):
        lab = srgb_to_oklab(x.float()).flatten(2)[0].T
        lab = lab[:, :1] if lightness_only else lab
        return lab[torch.randint(len(lab), (4096,), generator=g)]

    return float(torch.cdist(sample(output), sample(photo)).min(1).values.mean())


def edges(photo: torch.Tensor, output: torch.Tensor) -> float:
    import torch.nn.functional as F

    from spokenstyle.image.color import srgb_to_oklab

    k = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
    kernel = torch.stack([k, k.T]).unsqueeze(1)

    def magnitude(x):
        L = F.avg_pool2d(srgb_to_oklab(x.float())[:, :1], 2)
        return F.conv2d(F.pad(L, (1, 1, 1, 1), mode="replicate"), kernel).norm(dim=1).flatten()

    a, b = magnitude(photo), magnitude(output)
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (a.norm() * b.norm()).clamp_min(1e-12))


def opencv(photo: torch.Tensor, medium: str) -> torch.Tensor | None:
    try:
        import cv2
    except ImportError:
        return None
    bgr = (photo[0].permute(1, 2, 0).flip(-1).clamp(0, 1) * 255).round().byte().numpy().copy()
    if medium == "pencil sketch":
        grey, _ = cv2.pencilSketch(bgr, sigma_s=60, sigma_r=0.07, shade_factor=0.05)
        out = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    elif medium in ("watercolor", "ink wash"):
        out = cv2.stylization(bgr, sigma_s=60, sigma_r=0.45)
    elif medium in ("oil painting", "impressionist"):
        out = cv2.xphoto.oilPainting(bgr, 7, 1)
    else:
        return None
    return torch.from_numpy(out[..., ::-1].copy()).permute(2, 0, 1)[None].float() / 255


def sheet(photo: torch.Tensor, cells: dict[str, dict[str, torch.Tensor | None]], columns: list[str]):
    from PIL import Image, ImageDraw

    from spokenstyle.image.imageio import tensor_to_pil
    from spokenstyle.quality.sheet import label_font

    h, w = photo.shape[-2:]
    font, bar = label_font(13, None, False), 18
    img = Image.new("RGB", (w * (len(columns) + 1), (h + bar) * len(cells)), "white")
    draw = ImageDraw.Draw(img)
    for r, (medium, row) in enumerate(cells.items()):
        y = r * (h + bar)
        img.paste(tensor_to_pil(photo[0]), (0, y + bar))
        draw.text((3, y + 2), f'"{medium}"', fill="black", font=font)
        for c, col in enumerate(columns):
            if row.get(col) is not None:
                img.paste(tensor_to_pil(row[col][0]), ((c + 1) * w, y + bar))
                draw.text(((c + 1) * w + 3, y + 2), col, fill="black", font=font)
    return img


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", default="adain,render,magenta", help="'auto' is the planner's choice")
    p.add_argument("--media", default=",".join(MEDIA))
    p.add_argument("--photos", default=None, help="comma-separated names (default: all)")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--sheets", default=None, help="folder for media-vs-PHOTO.jpg sheets")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from spokenstyle import Engine
    from spokenstyle.quality.metrics import ssim_lightness

    engine = Engine(device="cpu")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    media = [m.strip() for m in args.media.split(",") if m.strip()]
    chosen = photos(args.size)
    if args.photos:
        chosen = {k: v for k, v in chosen.items() if k in args.photos.split(",")}
    rows = []
    for name, photo in chosen.items():
        cells: dict[str, dict] = {}
        for medium in media:
            cells[medium] = {}
            candidates = [(b, None) for b in backends] + [("OpenCV", opencv)]
            for label, make in candidates:
                t0 = time.perf_counter()
                if make is not None:
                    out = make(photo, medium)
                    if out is None:
                        continue
                    planned = ["opencv"]
                else:
                    res = engine.stylize(photo, medium, backend=label if label == "auto" else f"{label},grade", seed=0)
                    out, planned = res.tensor, res.backends
                seconds = time.perf_counter() - t0
                cells[medium][label] = out
                rows.append({"photo": name, "medium": medium, "backend": label, "ran": "+".join(planned),
                             "ssim_l": ssim_lightness(photo, out), "edges": edges(photo, out), "new_colour": new_colour(photo, out, medium in GREY_MEDIA),
                             "seconds": seconds})
                print(json.dumps(rows[-1]) if args.json else
                      f"{name:13s} {medium:14s} {label:8s} {rows[-1]['ran']:16s} SSIM L {rows[-1]['ssim_l']:.3f}  "
                      f"edges {rows[-1]['edges']:.3f}  new colour {rows[-1]['new_colour']:.3f}  {seconds:5.2f} s", flush=True)
        if args.sheets:
            path = Path(args.sheets) / f"media-vs-{name}.jpg"
            sheet(photo, cells, backends + ["OpenCV"]).save(path, quality=88)
            print(f"wrote {path}", file=sys.stderr)
    if not args.json:
        print("\n| medium | backend | SSIM L ↑ | edges ↑ | new colour ↓ | seconds |\n|---|---|---:|---:|---:|---:|")
        for medium in media:
            for label in backends + ["OpenCV"]:
                sel = [r for r in rows if r["medium"] == medium and r["backend"] == label]
                if sel:
                    print(f"| {medium} | {label} ({sel[0]['ran']}) | {sum(r['ssim_l'] for r in sel) / len(sel):.3f} | "
                          f"{sum(r['edges'] for r in sel) / len(sel):.3f} | {sum(r['new_colour'] for r in sel) / len(sel):.3f} | "
                          f"{sum(r['seconds'] for r in sel) / len(sel):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
