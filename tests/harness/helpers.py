"""Shared helpers for the spokenstyle tests (imported by the test modules; no conftest needed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from spokenstyle.quality.metrics import ssim  # noqa: F401  (the package's SSIM; (N, 3, H, W) compares Oklab lightness)

DATA = Path(__file__).resolve().parent.parent / "data"
PHOTOS = {name: DATA / f"{name}.jpg" for name in ("coffee", "chelsea", "astronaut")}
REPO = Path(__file__).resolve().parents[2]


def photo(name: str = "coffee") -> torch.Tensor:
    """A real photo as a (1, 3, H, W) float tensor in [0, 1]."""
    from spokenstyle.image import imageio

    return imageio.load(PHOTOS[name])[0].pixels.unsqueeze(0)


def all_photos() -> list[torch.Tensor]:
    return [photo(n) for n in PHOTOS]


def lum(x: torch.Tensor) -> torch.Tensor:
    """Oklab lightness of an (N, 3, H, W) tensor."""
    from spokenstyle.image.color import luminance

    return luminance(x)


def warm_index(x: torch.Tensor) -> float:
    """mean(R) - mean(B)."""
    return float(x[:, 0].mean() - x[:, 2].mean())


def saturation(x: torch.Tensor) -> float:
    """Mean HSV saturation (max - min) / max."""
    mx = x.max(dim=1).values
    mn = x.min(dim=1).values
    return float(((mx - mn) / mx.clamp_min(1e-6)).mean())


def run_cli(*args: str, env: dict | None = None, cwd: str | os.PathLike | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m spokenstyle.cli ARGS`` in a subprocess, with this checkout importable."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO)] + ([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else []))
    full_env.setdefault("PYTHONIOENCODING", "utf-8")
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "spokenstyle.cli", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )


def run_in_process(argv: list[str]) -> tuple[int, str, list[str]]:
    """``spokenstyle.cli.main(argv)`` in this process: (exit code, stdout, non-empty stderr lines).
    argparse's own exits (usage errors, ``--help``, ``--version``) become their exit code."""
    import contextlib
    import io

    from spokenstyle.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    return code, out.getvalue(), [l for l in err.getvalue().splitlines() if l.strip()]


def stderr_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """stderr without torch's own start-up chatter (e.g. the cpp_extension CUDA notice)."""
    return [l for l in proc.stderr.splitlines() if l.strip() and "cpp_extension.py" not in l]


def make_dist(root: Path, dist: str, version: str, entry_points: dict[str, str], modules: dict[str, str]) -> Path:
    """A minimal *installed* distribution under ``root`` (a site-packages-like folder): the
    modules plus ``<dist>-<version>.dist-info`` with METADATA and entry_points.txt, exactly what
    ``pip install`` leaves behind and what importlib.metadata discovers."""
    root.mkdir(parents=True, exist_ok=True)
    for name, source in modules.items():
        (root / f"{name}.py").write_text(source, encoding="utf-8")
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8")
    lines = ["[spokenstyle]"] + [f"{k} = {v}" for k, v in entry_points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (info / "RECORD").write_text("", encoding="utf-8")
    return root
