"""``spokenstyle sheet``: one photo in every built-in medium and a row of looks, labelled.

    spokenstyle sheet photo.jpg -o sheet.jpg
    spokenstyle sheet photo.jpg -o looks.png --no-media -p "暖一点" -p "moody, less contrast" --font NotoSansCJK.ttc

A thin layer over :func:`spokenstyle.quality.sheet.make_sheet`.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

DEFAULT_CELL = 256


def add_commands(cli) -> None:
    p = cli.add_command(
        "sheet",
        _cmd_sheet,
        help="a contact sheet: the photo in every built-in medium and a row of looks, each labelled with its prompt",
        description="Stylize one photo with every built-in medium and a row of looks, each cell labelled "
        "with the prompt that made it, to choose a look from; -p replaces the looks row.",
    )
    p.add_argument("photo", metavar="PHOTO", help="the photo")
    p.add_argument("-o", "--output", metavar="FILE", default=None, help="the sheet (.jpg/.png/.webp; default NAME-sheet.jpg)")
    p.add_argument("-p", "--prompt", dest="prompts", action="append", default=None, metavar="TEXT",
                   help="a look for the looks row (repeatable; replaces the default looks)")
    p.add_argument("--no-media", action="store_true", help="leave out the media rows (only the original and the looks)")
    p.add_argument("--cell", type=int, default=DEFAULT_CELL, metavar="PX",
                   help=f"long side of each cell, stylized at that size (default {DEFAULT_CELL})")
    p.add_argument("--columns", type=int, default=6, metavar="N", help="cells per row (default 6)")
    p.add_argument("--backend", default="auto", metavar="NAME", help="style backend(s) for the media cells, e.g. transform (default auto)")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="seed for random parts such as grain (default 0)")
    p.add_argument("--font", metavar="FILE", default=None, help="a .ttf/.otf/.ttc font for the labels (one with CJK glyphs for Chinese)")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--quality", type=int, default=92, metavar="Q", help="JPEG/WebP quality (default 92)")
    p.add_argument("--json", action="store_true", help="print one JSON object: the output and every cell's prompt and backends")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _cmd_sheet(args: argparse.Namespace) -> int:
    from ..image import imageio
    from ..core.engine import Engine
    from ..errors import UsageError
    from ..core.plan import check_backend_arg
    from ..quality.sheet import LOOK_PROMPTS, MEDIA_PROMPTS, make_sheet

    src = Path(args.photo)
    imageio.open_image(src, what="photo").close()
    out = Path(args.output) if args.output is not None else Path(f"{src.stem}-sheet.jpg")
    imageio.output_format(out)
    if not out.parent.is_dir():
        raise UsageError(f"cannot write '{out}': folder '{out.parent}' does not exist; create it first")
    if out.exists() and os.path.samefile(out, src):
        raise UsageError(f"-o '{out}' is the photo itself; name another file such as {src.stem}-sheet.jpg")
    if not 1 <= args.quality <= 100:
        raise UsageError(f"--quality {args.quality} is out of range; use a whole number from 1 to 100")
    check_backend_arg(args.backend)
    if args.font is not None and not Path(args.font).is_file():
        raise UsageError(f"--font '{args.font}' does not exist; give a .ttf/.otf/.ttc file")
    engine = Engine(device=args.device)
    sheet = make_sheet(
        src, engine=engine, media=() if args.no_media else MEDIA_PROMPTS,
        looks=args.prompts if args.prompts is not None else LOOK_PROMPTS, cell=args.cell, columns=args.columns,
        seed=args.seed, backend=args.backend, font=args.font, progress=not (args.quiet or args.json),
    )
    sheet.save(out, quality=args.quality)
    width, height = sheet.image.size
    if args.json:
        print(json.dumps({"output": str(out), "width": width, "height": height, "cells": sheet.cells}, ensure_ascii=False))
    elif not args.quiet:
        print(f"wrote {out} ({width}x{height}, {len(sheet.cells)} cells)")
    return 0
