"""``spokenstyle train adain``: train an AdaIN decoder for a feature encoder.

    spokenstyle train adain --data data/photos/train --heldout data/photos/heldout \
        --out spokenstyle/weights/adain_decoder_random.safetensors

Writes the decoder atomically (safetensors, with its config, the encoder's fingerprint and the
held-out figures in the metadata); ``--json`` prints the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def add_commands(cli) -> None:
    p = cli.add_command("train", _cmd_train, help="train the networks spokenstyle ships (an AdaIN decoder)")
    sub = p.add_subparsers(dest="trainer", metavar="WHAT")
    sub.required = True
    a = sub.add_parser("adain", help="an AdaIN decoder for a feature encoder (Huang & Belongie's losses)",
                       description="Train an AdaIN decoder for a feature encoder.")
    from .adain import TrainConfig

    d = TrainConfig()
    a.add_argument("--data", required=True, metavar="DIR", help="folder of content photos")
    a.add_argument("--styles", metavar="DIR", default=None,
                   help="folder of style images, added to the generated exemplars (default: the content photos)")
    a.add_argument("--heldout", metavar="DIR", default=None, help="folder of photos to report PSNR and losses on (never trained on)")
    a.add_argument("--out", required=True, metavar="PATH", help="where to write the decoder (.safetensors)")
    a.add_argument("--encoder", default="random", metavar="NAME", help="feature encoder (default: random)")
    a.add_argument("--layer", default=d.layer, metavar="TAP", help=f"the AdaIN layer (default {d.layer})")
    a.add_argument("--resume", metavar="PATH", default=None, help="start from these decoder weights")
    a.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"optimisation steps (default {d.steps})")
    a.add_argument("--batch", type=int, default=d.batch, metavar="N", help=f"batch size (default {d.batch})")
    a.add_argument("--crop", type=int, default=d.crop, metavar="PX", help=f"training crop size (default {d.crop})")
    a.add_argument("--lr", type=float, default=d.lr, help=f"initial learning rate (default {d.lr:g})")
    a.add_argument("--lr-final", type=float, default=d.lr_final, help=f"final learning rate (default {d.lr_final:g})")
    a.add_argument("--style-weight", type=float, default=d.style_weight, help=f"lambda (default {d.style_weight:g})")
    a.add_argument("--exemplars", type=int, default=d.exemplars, metavar="N",
                   help=f"generated exemplar style images (default {d.exemplars}; 0 = none)")
    a.add_argument("--eval-styles", type=int, default=6, metavar="N",
                   help="exemplar styles (plus two of the style images) to report held-out losses with (default 6)")
    a.add_argument("--seed", type=int, default=d.seed, help="random seed (default 0)")
    a.add_argument("--json", action="store_true", help="print the held-out figures as one JSON object")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    a.set_defaults(func=_cmd_train, command="train adain")


def _cmd_train(args: argparse.Namespace) -> int:
    import torch

    from .. import encoders
    from ..errors import UsageError
    from ..nn import decoder as decoders
    from . import adain, data

    out = Path(args.out)
    if out.suffix != ".safetensors":
        raise UsageError(f"--out '{out}' must end in .safetensors")
    if not out.parent.is_dir():
        raise UsageError(f"--out '{out}': folder '{out.parent}' does not exist; create it first")
    if not os.access(out.parent, os.W_OK):
        raise UsageError(f"--out '{out}': folder '{out.parent}' is not writable")
    config = adain.TrainConfig(steps=args.steps, batch=args.batch, crop=args.crop, lr=args.lr, lr_final=args.lr_final,
                               style_weight=args.style_weight, exemplars=args.exemplars, seed=args.seed,
                                layer=args.layer)
    config.check()
    if args.eval_styles < 0:
        raise UsageError(f"--eval-styles {args.eval_styles} must be 0 or more")
    contents = data.load_folder(args.data, what="--data")
    styles = data.load_folder(args.styles, what="--styles") if args.styles else list(contents)
    heldout = data.load_folder(args.heldout, what="--heldout") if args.heldout else []
    encoder = encoders.load(args.encoder).to(memory_format=torch.channels_last)
    fingerprint = encoder.fingerprint()  # hashes every weight: once, not at each checkpoint
    resumed = decoders.load(args.resume) if args.resume else None
    start = resumed.decoder if resumed else None
    t0 = time.perf_counter()
    exemplars = adain.exemplar_pool(config.exemplars, 256, config.seed)
    encoder.channels(config.layer)  # an unknown --layer fails here, before any work
    model = start or decoders.AdaINDecoder(adain.decoder_config_for(encoder, config.layer))

    def checkpoint(step: int, record: dict) -> None:  # a long run never loses more than 250 steps
        if step and step % 250 == 0:
            decoders.save(model, out, encoder=args.encoder, fingerprint=fingerprint,
                          info={"partial": True, "step": step})

    decoder, history = adain.train_decoder(encoder, contents, styles + exemplars, config, decoder=model,
                                           progress=not args.quiet, on_step=checkpoint)
    seconds = time.perf_counter() - t0
    eval_styles = (adain.exemplar_pool(args.eval_styles, 256, config.seed + 1) if config.exemplars else []) + styles[:2]
    report = {
        "encoder": args.encoder,
        "encoder_fingerprint": fingerprint,
        "train_seconds": round(seconds, 1),
        "config": adain.config_dict(config),
        "final_loss": round(sum(h["loss"] for h in history[-50:]) / len(history[-50:]), 4),
        "heldout": adain.evaluate(encoder, decoder.float(), heldout, eval_styles) if heldout else None,
        "machine": _machine(),
    }
    if resumed is not None:  # the shipped decoder's metadata tells its whole training history
        report["resumed_from"] = {"path": str(args.resume), "info": resumed.info}
    decoders.save(decoder, out, encoder=args.encoder, fingerprint=fingerprint, info=report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) after {seconds:.0f} s")
        if report["heldout"]:
            print("held out: " + ", ".join(f"{k} {v}" for k, v in report["heldout"].items()))
    return 0


def _machine() -> str:
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}, {sys.platform}"
