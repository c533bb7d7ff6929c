"""Timings of spokenstyle-clip on this machine: text-encoding latency and the ``clip`` backend's
seconds per optimisation step at 256², with the tiny test checkpoint and with a CLIP ViT-B/32
sized one (transformers' default CLIPConfig, random weights: the real weights cannot be
fetched offline; the cost of a step does not depend on the weights' values).

    python plugins/spokenstyle-clip/benchmarks/bench_clip.py [--steps 3] [--repeat 20] [--skip-real] [--threads N]

Prints a Markdown table (medians). No network: HF_HUB_OFFLINE=1, models written to a temp dir.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--skip-real", action="store_true")
    ap.add_argument("--encoder", default="vgg19", help="content-loss feature encoder")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's)")
    args = ap.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    import spokenstyle
    from spokenstyle.image import imageio
    from spokenstyle.builtins.gatys import optimize
    from spokenstyle_clip import models
    from spokenstyle_clip.backend import ClipObjective
    from spokenstyle_clip.encoder import ClipTextEncoder
    from spokenstyle_clip.testing import make_tiny_clip

    root = Path(__file__).resolve().parents[3]
    photo = imageio.load(root / "data" / "photos" / "heldout" / "coffee.jpg")[0].pixels.unsqueeze(0)
    photo = torch.nn.functional.interpolate(photo, size=(256, 256), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)
    engine = spokenstyle.Engine(device="cpu")
    content_encoder = engine.feature_encoder(args.encoder)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        configs = [("tiny (test) checkpoint", False)] + ([] if args.skip_real else [("ViT-B/32 size, random weights", True)])
        for label, real in configs:
            path = make_tiny_clip(Path(tmp) / ("real" if real else "tiny"), real_size=real)
            params = sum(p.numel() for p in models.load(path, "clip").model.parameters())
            t = time.perf_counter()
            enc = ClipTextEncoder(model=path)
            setup = time.perf_counter() - t
            enc.encode("warm up")
            latency = median_time(lambda: enc.encode("a dreamy pastel watercolor"), args.repeat)
            objective = ClipObjective(enc.bundle, photo, "a dreamy pastel watercolor", "a photo", encoder=content_encoder, crops=16)
            optimize(objective, photo, 1, "adam")  # first-call set-up
            t = time.perf_counter()
            optimize(objective, photo, args.steps, "adam")
            per_step = (time.perf_counter() - t) / args.steps
            rows.append((label, f"{params / 1e6:.1f} M", f"{setup:.2f}", f"{latency * 1e3:.1f}", f"{per_step:.2f}"))
            print(f"measured {label}", file=sys.stderr)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, content encoder {args.encoder}, 16 crops, 256x256, "
          f"load average {load:.1f} on {os.cpu_count()} CPUs at the end")
    print("| checkpoint | parameters | encoder start (s) | encode latency (ms) | clip s/step at 256² |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
