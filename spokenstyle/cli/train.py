"""``spokenstyle train adain`` (an AdaIN decoder for a feature encoder) and ``spokenstyle train
transform`` (the text-conditioned transform generator, see :mod:`spokenstyle.train.transform`
and docs/training.md).

    spokenstyle train adain --data data/photos/train --heldout data/photos/heldout \
        --out spokenstyle/weights/adain_decoder_vgg19.safetensors

Every ``--state-every`` steps the decoder and the whole training state (OUT.state.safetensors)
are written, so a run of hours survives interruption: ``--resume OUT.state.safetensors``
continues it exactly.

Writes the decoder atomically (safetensors, with its config, the encoder's fingerprint and the
held-out figures in the metadata); ``--json`` prints the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from ..encoders import DEFAULT as DEFAULT_ENCODER


def add_commands(cli) -> None:
    p = cli.add_command("train", _cmd_train, help="train the networks spokenstyle ships (an AdaIN decoder, the transform generator)")
    sub = p.add_subparsers(dest="trainer", metavar="WHAT")
    sub.required = True
    a = sub.add_parser("adain", help="an AdaIN decoder for a feature encoder (Huang & Belongie's losses)",
                       description="Train an AdaIN decoder for a feature encoder.")
    from ..train.adain import TrainConfig

    d = TrainConfig()
    a.add_argument("--data", required=True, metavar="DIR", help="folder of content photos")
    a.add_argument("--styles", metavar="DIR", default=None,
                   help="folder of style images, added to the generated exemplars (default: the content photos)")
    a.add_argument("--heldout", metavar="DIR", default=None, help="folder of photos to report PSNR and losses on (never trained on)")
    a.add_argument("--out", required=True, metavar="PATH", help="where to write the decoder (.safetensors)")
    a.add_argument("--encoder", default=DEFAULT_ENCODER, metavar="NAME", help=f"feature encoder (default: {DEFAULT_ENCODER})")
    a.add_argument("--layer", default=d.layer, metavar="TAP", help=f"the AdaIN layer (default {d.layer})")
    a.add_argument("--resume", metavar="PATH", default=None,
                   help="continue a run from its training state (OUT.state.safetensors, written every --state-every steps), "
                        "or start from a decoder's weights")
    a.add_argument("--state-every", type=int, default=250, metavar="N",
                   help="write the decoder and the full training state every N steps (default 250)")
    a.add_argument("--steps", type=int, default=d.steps, metavar="N", help=f"optimisation steps (default {d.steps})")
    a.add_argument("--batch", type=int, default=d.batch, metavar="N", help=f"batch size (default {d.batch})")
    a.add_argument("--crop", type=int, default=d.crop, metavar="PX", help=f"training crop size (default {d.crop})")
    a.add_argument("--lr", type=float, default=d.lr, help=f"initial learning rate (default {d.lr:g})")
    a.add_argument("--lr-final", type=float, default=d.lr_final, help=f"final learning rate (default {d.lr_final:g})")
    a.add_argument("--style-weight", type=float, default=d.style_weight, help=f"lambda (default {d.style_weight:g})")
    a.add_argument("--shift-weight", type=float, default=d.shift_weight, metavar="W",
                   help="weight of the shift-consistency term that trains away an 8-px lattice (default "
                        f"{d.shift_weight:g} = off; each step then decodes the batch twice)")
    a.add_argument("--upsample", choices=("bilinear", "nearest"), default=None,
                   help="the decoder's 2x upsampling (default: bilinear for a new decoder; a --resume keeps its own, "
                        "and a decoder's weights may be fine-tuned with the other)")
    a.add_argument("--lattice-weight", type=float, default=d.lattice_weight, metavar="W",
                   help="weight of the grid term that trains away an 8-px lattice (default "
                        f"{d.lattice_weight:g} = off)")
    a.add_argument("--exemplars", type=int, default=d.exemplars, metavar="N",
                   help=f"generated exemplar style images (default {d.exemplars}; 0 = none)")
    a.add_argument("--eval-styles", type=int, default=6, metavar="N",
                   help="exemplar styles (plus two of the style images) to report held-out losses with (default 6)")
    a.add_argument("--seed", type=int, default=d.seed, help="random seed (default 0)")
    a.add_argument("--precision", default=d.precision, metavar="P",
                   help="float32, bfloat16 or auto: bfloat16 autocast for the networks where the CPU has AMX/AVX512-BF16 "
                        "(default auto)")
    a.add_argument("--json", action="store_true", help="print the held-out figures as one JSON object")
    a.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    a.set_defaults(func=_cmd_train, command="train adain")
    _add_transform(sub)


#: ``train transform`` flags -> FitConfig fields (flags left out keep the config file's value).
_TRANSFORM_FLAGS = {
    "data": str, "out": str, "media": str, "exemplars": int, "exemplar_size": int, "encoder": str,
    "content_layer": str, "precision": str, "device": str, "steps": int, "batch": int, "crop": int, "lr_g": float, "lr_d": float,
    "content_weight": float, "style_weight": float, "tv_weight": float, "pixel_weight": float,
    "adv_weight": float, "r1_gamma": float, "r1_every": int, "teacher": str, "teacher_weight": float,
    "teacher_size": int, "checkpoint_every": int, "sample_every": int, "seed": int,
}


def _add_transform(sub) -> None:
    from ..train.transform import FitConfig

    d = FitConfig()
    t = sub.add_parser(
        "transform", help="the text-conditioned transform generator (a GAN with perceptual losses)",
        description="Train the transform generator: content photos from a folder, styles from the built-in media's "
                    "exemplars and/or style images. Options come from --config (JSON) and then the flags.")
    t.add_argument("--config", metavar="FILE", default=None, help="JSON file of training options (any FitConfig field)")
    helps = {
        "data": f"folder of content photos (default {d.data})",
        "out": f"output folder: transform.safetensors, state.safetensors, losses.csv, samples/ (default {d.out})",
        "media": "comma-separated media to train (default: every texture medium)",
        "exemplars": f"exemplar style images per medium (default {d.exemplars}; 0 = only --style images)",
        "exemplar_size": f"side of the exemplars in pixels (default {d.exemplar_size})",
        "encoder": f"feature encoder of the perceptual losses (default {d.encoder})",
        "content_layer": f"encoder layer of the content loss (default {d.content_layer})",
        "precision": "the loss encoder's precision: auto (bfloat16 where the CPU has AMX/AVX512-BF16), float32 or "
                     f"bfloat16 (default {d.precision})",
        "device": "auto (a CUDA GPU when there is one; under torchrun each process its own), cpu, cuda or cuda:N "
                  f"(default {d.device})",
        "steps": f"optimisation steps (default {d.steps})",
        "batch": f"batch size (default {d.batch})",
        "crop": f"training crop in pixels (default {d.crop})",
        "lr_g": f"generator learning rate (default {d.lr_g:g})",
        "lr_d": f"discriminator learning rate (default {d.lr_d:g})",
        "content_weight": f"content loss weight (default {d.content_weight:g})",
        "style_weight": f"style loss weight (default {d.style_weight:g})",
        "tv_weight": f"total variation weight (default {d.tv_weight:g})",
        "pixel_weight": f"pixel loss of strength-0 samples (default {d.pixel_weight:g})",
        "adv_weight": f"adversarial loss weight (default {d.adv_weight:g}; 0 = no discriminator)",
        "r1_gamma": f"R1 penalty weight (default {d.r1_gamma:g})",
        "r1_every": f"lazy R1: every N steps (default {d.r1_every})",
        "teacher": "distil a backend: its renders of the photos become paired targets (adain; default none)",
        "teacher_weight": f"weight of the paired target term, pixels and features (default {d.teacher_weight:g})",
        "teacher_size": f"long side the teacher renders the photos at, and at 0.7 of it (default {d.teacher_size})",
        "checkpoint_every": f"write weights, state and losses every N steps (default {d.checkpoint_every})",
        "sample_every": f"write a sample grid every N steps (default {d.sample_every})",
        "seed": f"random seed (default {d.seed})",
    }
    for name, kind in _TRANSFORM_FLAGS.items():
        t.add_argument("--" + name.replace("_", "-"), dest=name, type=kind, default=None,
                       metavar="N" if kind is int else ("X" if kind is float else "VALUE"), help=helps[name])
    t.add_argument("--style", dest="styles", action="append", default=None, metavar="MEDIUM=DIR",
                   help="style images for a medium, added to its exemplars (repeatable)")
    t.add_argument("--resume", nargs="?", const="auto", default=None, metavar="STATE",
                   help="continue a run (default: OUT/state.safetensors); the result equals an uninterrupted run")
    t.add_argument("--json", action="store_true", help="print a summary as one JSON object")
    t.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    t.set_defaults(func=_cmd_train_transform, command="train transform")


def _cmd_train_transform(args: argparse.Namespace) -> int:
    from ..errors import UsageError
    from ..core.precision import compute_dtype
    from ..train.transform import FitConfig, fit

    config = FitConfig.from_json(args.config) if args.config else FitConfig()
    for name in _TRANSFORM_FLAGS:
        value = getattr(args, name)
        if value is not None:
            setattr(config, name, value)
    if args.styles:
        styles = dict(config.styles)
        for item in args.styles:
            medium, sep, folder = item.partition("=")
            if not sep or not medium.strip() or not folder.strip():
                raise UsageError(f"--style {item!r} must look like MEDIUM=DIR, e.g. --style watercolor=scans/")
            styles[medium.strip()] = folder.strip()
        config.styles = styles
    config.resume = args.resume
    config.progress = not args.quiet
    t0 = time.perf_counter()
    try:
        result = fit(config)
    finally:
        from ..core.distributed import end

        end()
    if result.rank != 0:
        return 0  # under torchrun, rank 0 reports
    last = result.history[-1] if result.history else {}
    summary = {
        "weights": str(result.weights),
        "state": str(result.state),
        "steps_done": len(result.history),
        "processes": result.world_size,
        "device": result.device,
        "compute_dtype": str(compute_dtype(config.precision, result.device)).replace("torch.", ""),
        "seconds_this_session": round(time.perf_counter() - t0, 1),
        "train_seconds": last.get("t", 0.0),
        "final": {k: v for k, v in last.items() if k not in ("step", "t")},
        "machine": _machine(),
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(f"wrote {result.weights} after {len(result.history)} steps; use it with "
              f"`spokenstyle stylize PHOTO -p watercolor --backend transform -O weights={result.weights}`")
    return 0


def _cmd_train(args: argparse.Namespace) -> int:
    """``spokenstyle train adain``: check, load the photos and the encoder, train, report."""
    from ..nn import decoder as decoders
    from ..train import adain, data

    out, config = _adain_config(args)
    contents = data.load_folder(args.data, what="--data")
    styles = data.load_folder(args.styles, what="--styles") if args.styles else list(contents)
    heldout = data.load_folder(args.heldout, what="--heldout") if args.heldout else []
    from ..core.engine import Engine

    engine = Engine(device="cpu")
    encoder = engine.feature_encoder(args.encoder)
    encoder.channels(config.layer)  # an unknown --layer fails here, before the exemplars and any work
    fingerprint = encoder.fingerprint()
    state_path = str(out.with_suffix(".state.safetensors"))
    resume, resumed, start = _adain_start(args, config)
    t0 = time.perf_counter()
    exemplars = adain.exemplar_pool(config.exemplars, 256, config.seed, engine.generator("exemplar"))
    # Each layer's activation size on the photos: the losses' normaliser and the decoder's input scale.
    scales = resume["scales"] if resume else adain.feature_scales(encoder, contents, adain.loss_layers(config.layer))
    new = replace(adain.decoder_config_for(encoder, config.layer), input_scale=scales[config.layer])
    if start is None:
        import torch

        torch.manual_seed(config.seed)  # a new decoder's initial weights follow --seed, as train_decoder's do
    model = start or decoders.AdaINDecoder(replace(new, upsample=args.upsample) if args.upsample else new)

    def checkpoint(step: int, record: dict) -> None:  # the usable decoder, beside the full state
        if (step + 1) % args.state_every == 0:
            decoders.save(model, out, encoder=args.encoder, fingerprint=fingerprint,
                          info={"partial": True, "step": step + 1})

    decoder, history = adain.train_decoder(encoder, contents, styles + exemplars, config, decoder=model,
                                           progress=not args.quiet, on_step=checkpoint, resume=resume,
                                           state_path=state_path, state_every=args.state_every, scales=scales)
    seconds = time.perf_counter() - t0
    report = _adain_report(args, config, engine, encoder, decoder, history, fingerprint,
                           heldout=heldout, styles=styles, scales=scales, resumed=resumed)
    decoders.save(decoder, out, encoder=args.encoder, fingerprint=fingerprint, info=report)
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB) after {seconds:.0f} s")
        if report["heldout"]:
            print("held out: " + ", ".join(f"{k} {v}" for k, v in report["heldout"].items()))
    return 0


def _adain_config(args: argparse.Namespace) -> tuple[Path, Any]:
    """``--out`` checked (a .safetensors file in a writable folder) and the checked
    :class:`~spokenstyle.train.adain.TrainConfig` of the flags."""
    from ..errors import UsageError
    from ..train import adain

    out = Path(args.out)
    if out.suffix != ".safetensors":
        raise UsageError(f"--out '{out}' must end in .safetensors")
    if not out.parent.is_dir():
        raise UsageError(f"--out '{out}': folder '{out.parent}' does not exist; create it first")
    if not os.access(out.parent, os.W_OK):
        raise UsageError(f"--out '{out}': folder '{out.parent}' is not writable")
    config = adain.TrainConfig(steps=args.steps, batch=args.batch, crop=args.crop, lr=args.lr, lr_final=args.lr_final,
                               style_weight=args.style_weight, exemplars=args.exemplars, seed=args.seed,
                               layer=args.layer, precision=args.precision, shift_weight=args.shift_weight,
                               lattice_weight=args.lattice_weight)
    config.check()
    if args.eval_styles < 0:
        raise UsageError(f"--eval-styles {args.eval_styles} must be 0 or more")
    if args.state_every < 1:
        raise UsageError(f"--state-every {args.state_every} must be 1 or more")
    return out, config


def _adain_start(args: argparse.Namespace, config: Any) -> tuple[Any, Any, Any]:
    """What ``--resume`` continues from: (the training state or None, the decoder file read or
    None, the decoder to train or None for a new one)."""
    from ..errors import UsageError
    from ..nn import decoder as decoders
    from ..train import adain

    resume = resumed = start = None
    if not args.resume:
        return resume, resumed, start
    if str(args.resume).endswith(".state.safetensors"):
        resume = adain.load_state(args.resume)
        if resume["config"].get("layer") != config.layer:
            raise UsageError(f"--resume '{args.resume}' trained layer {resume['config'].get('layer')}, not --layer {config.layer}")
        from ..checkpoints import validate

        # validated like a checkpoint's: a state from before a field existed gets its old default
        saved = validate(resume["decoder_config"], decoders.CONFIG_SCHEMA, what=f"--resume '{args.resume}'")
        if args.upsample and args.upsample != saved["upsample"]:
            raise UsageError(f"--upsample {args.upsample}: the run in '{args.resume}' trains a {saved['upsample']} "
                             "decoder; resume it as it is, or start from its weights (a decoder .safetensors)")
        start = decoders.AdaINDecoder(decoders.DecoderConfig(**saved))
    else:
        resumed = decoders.load(args.resume)
        start = resumed.decoder
        if args.upsample and args.upsample != start.config.upsample:
            # the same weights fit either upsample: fine-tune them with the other one
            weights = start.state_dict()
            start = decoders.AdaINDecoder(replace(start.config, upsample=args.upsample))
            start.load_state_dict(weights)
    return resume, resumed, start


def _adain_report(args: argparse.Namespace, config: Any, engine: Any, encoder: Any, decoder: Any,
                  history: list[dict], fingerprint: str, *, heldout: list, styles: list, scales: dict,
                  resumed: Any) -> dict[str, Any]:
    """The figures of a finished run (the decoder's metadata and ``--json``): the loss curve,
    the held-out figures (exemplar styles from seed + 1 and two of the style images), the machine."""
    from ..core.precision import compute_dtype
    from ..train import adain

    eval_styles = (adain.exemplar_pool(args.eval_styles, 256, config.seed + 1, engine.generator("exemplar"))
                   if config.exemplars else []) + styles[:2]
    report = {
        "encoder": args.encoder,
        "steps_done": len(history),
        "loss_curve": [round(sum(h["loss"] for h in history[i : i + 100]) / len(history[i : i + 100]), 4)
                       for i in range(0, len(history), 100)],
        "encoder_fingerprint": fingerprint,
        "train_seconds": round(history[-1]["t"], 1) if history else 0.0,  # all sessions of a resumed run
        "config": adain.config_dict(config),
        "compute_dtype": str(compute_dtype(config.precision, "cpu")).replace("torch.", ""),
        "final_loss": round(sum(h["loss"] for h in history[-50:]) / len(history[-50:]), 4),
        "heldout": adain.evaluate(encoder, decoder.float(), heldout, eval_styles, scales) if heldout else None,
        "machine": _machine(),
    }
    if resumed is not None:  # the shipped decoder's metadata tells its whole training history
        report["resumed_from"] = {"path": str(args.resume), "info": resumed.info}
    return report


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
