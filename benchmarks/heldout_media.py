"""Held-out figures of the texture backends, medium by medium: the numbers behind the planner's
choice of default backend for media prompts (benchmarks/RESULTS.md).

For each held-out photo (data/photos/heldout, long side ``--size``) and each medium the given
backends render the prompt "<medium>" (no style image: the medium's exemplar, as users get it),
and ``spokenstyle.evaluate`` measures each output against the photo and the medium's exemplar
(the style ``adain`` transfers): ``gram`` (lower: more like the medium), ``content rel`` and
``SSIM L`` (the photo kept), ``grid``. Also: seconds per render (models loaded, warm), and the
PSNR of each backend's output against the first backend's (how closely a distilled generator
follows its teacher).

    python benchmarks/heldout_media.py --backends adain,transform --out /tmp/heldout [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parent.parent


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", default="adain,transform")
    p.add_argument("--media", default=None, help="comma-separated (default: every texture medium)")
    p.add_argument("--photos", default=str(REPO / "data" / "photos" / "heldout"))
    p.add_argument("--size", type=int, default=512)
    p.add_argument("--out", default=None, help="folder to save every output in (BACKEND/MEDIUM-PHOTO.png)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    from spokenstyle import Engine
    from spokenstyle.builtins.texture import TEXTURE_MEDIA, resize_long, style_images
    from spokenstyle.quality.evaluation import evaluate
    from spokenstyle.core.intent import StyleIntent
    from spokenstyle.image.imageio import load, save, tensor_to_pil

    engine = Engine(device="cpu")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    media = tuple(m for m in args.media.split(",")) if args.media else TEXTURE_MEDIA
    photos = {f.stem: resize_long(load(f)[0].pixels.unsqueeze(0), args.size)
              for f in sorted(Path(args.photos).iterdir()) if f.suffix.lower() in (".jpg", ".png")}
    rows = []
    for medium in media:
        intent = StyleIntent(medium=medium)
        exemplar = style_images(None, intent, backend="adain", engine=engine, seed=None, size=512,
                                device=torch.device("cpu"))[0][0]
        for stem, photo in photos.items():
            first = None
            for backend in backends:
                engine.stylize(photo, medium.replace("_", " "), backend=backend)  # warm: models loaded
                t0 = time.perf_counter()
                out = engine.stylize(photo, intent=intent, backend=backend).tensor.reshape(photo.shape)
                seconds = time.perf_counter() - t0
                fig = evaluate(photo, exemplar, out).mean
                row = {"medium": medium, "photo": stem, "backend": backend, "seconds": round(seconds, 3),
                       "gram": fig.style.gram, "content_rel": fig.content.relative, "ssim_l": fig.ssim_lightness,
                       "grid": fig.lattice}
                if first is None:
                    first = out
                else:
                    mse = float((out - first).square().mean())
                    row["psnr_vs_" + backends[0]] = round(10 * math.log10(1.0 / max(mse, 1e-12)), 2)
                rows.append(row)
                if args.out:
                    path = Path(args.out) / backend / f"{medium}-{stem}.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    save(tensor_to_pil(out[0]), path)
                if not args.json:
                    print(json.dumps(row), file=sys.stderr, flush=True)
    summary = {}
    for backend in backends:
        mine = [r for r in rows if r["backend"] == backend]
        summary[backend] = {k: round(sum(r[k] for r in mine) / len(mine), 4)
                            for k in mine[0] if k not in ("medium", "photo", "backend")}
    if args.json:
        print(json.dumps({"rows": rows, "mean": summary}))
    else:
        for backend, figs in summary.items():
            print(backend, figs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
