"""``spokenstyle eval``: quality figures for content/style/output triples (docs/eval.md).

    spokenstyle eval photo.jpg painting.jpg out.png
    spokenstyle eval photos/ painting.jpg stylized/ --size 256 --json

A thin layer over :func:`spokenstyle.quality.evaluation.evaluate`; the evaluation (and its
metrics) is imported only when the command runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import json
import math

from ..encoders import BUILTIN as BUILTIN_ENCODERS, DEFAULT as DEFAULT_ENCODER
from ..quality import DEFAULT_SIZE


def add_commands(cli) -> None:
    p = cli.add_command(
        "eval",
        _cmd_eval,
        help="quality figures for content/style/output triples (content and style distances, SSIM)",
        description="Measure how far outputs are from their photo's content and their style image's "
        "statistics, and how much of the photo's structure they keep (see docs/eval.md). Give three "
        "files, or content and output folders matched by file name stem with one style file or a "
        "third matching folder.",
    )
    p.add_argument("content", metavar="CONTENT", help="the photo, or a folder of photos")
    p.add_argument("style", metavar="STYLE", help="the style image (used for every output), or a folder matched by stem")
    p.add_argument("output", metavar="OUTPUT", help="the stylized image, or a folder matched by stem")
    p.add_argument("--size", type=int, default=DEFAULT_SIZE, metavar="PX",
                   help=f"measure at this long side (default {DEFAULT_SIZE}); style images are only shrunk")
    others = ", ".join(name for name in BUILTIN_ENCODERS if name != DEFAULT_ENCODER)
    p.add_argument("--encoder", default=DEFAULT_ENCODER, metavar="NAME",
                   help=f"feature encoder (default: {DEFAULT_ENCODER}; also {others})")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--json", action="store_true", help="print one JSON object (per-triple and mean figures)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


def _cmd_eval(args: argparse.Namespace) -> int:
    from ..quality.evaluation import evaluate

    result = evaluate(args.content, args.style, args.output, encoder=args.encoder, size=args.size,
                      device=args.device, progress=not (args.quiet or args.json))
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False))
    else:
        print(format_table(result))
    return 0


def _num(v: float) -> str:
    return "-" if not math.isfinite(v) else f"{v:.4g}"


def format_table(result) -> str:
    """The readable table: one row per triple (named by its output) and, for several, a mean row."""
    header = ("output", "content", "content rel", "gram", "mean/std", "SSIM L", "grid")
    rows = []
    for triple, f in [*result.triples, (None, result.mean)]:
        name = "mean" if triple is None else triple.names()[2]
        rows.append((name, _num(f.content.distance), _num(f.content.relative), _num(f.style.gram),
                     _num(f.style.mean_std), _num(f.ssim_lightness), _num(f.lattice)))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(r):
        return "  ".join([r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])])

    out = [
        f"encoder {result.encoder} (fingerprint {result.fingerprint}), long side {result.size} px; "
        f"content at {', '.join(result.content_layers)}, style at {', '.join(result.style_layers)}",
        line(header),
    ]
    out += [line(r) for r in rows[:-1]]
    if len(rows) > 2:  # one triple is its own mean
        out.append(line(tuple("-" * w for w in widths)))
        out.append(line(rows[-1]))
    out.append("content, gram, mean/std: lower is closer (0 = same); content rel: 1 = as far as a blank canvas; "
               "SSIM L: 1 = same structure; grid: share of the output's detail on an 8-px lattice (photos ~0.001)")
    return "\n".join(out)
