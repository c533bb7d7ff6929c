"""``spokenstyle stylize``: photos (one, several, or folders) in the look a prompt or a saved look says.

    spokenstyle stylize photo.jpg -p "暖一点，对比度高一点" -o out.png [--json]
    spokenstyle stylize photos/ more.jpg -p "vintage film, no grain" -o graded/
    spokenstyle stylize photo.jpg -p "oil painting" --mask sky.png --preserve-color statistics -O steps=50
    spokenstyle stylize hero.jpg -p "vintage film" --save-look look.json; spokenstyle stylize catalogue/ --look look.json
    torchrun --nproc-per-node 4 -m spokenstyle stylize photos/ -p "watercolor" -o styled/
    spokenstyle stylize photo.jpg --say look.wav      (the prompt said aloud; needs spokenstyle-speech)

Every flag is checked and every input's header read before anything is written; an output never
replaces an input photo unless ``--overwrite``. A batch goes on past photos that fail, names each
on stderr (and in ``--json``), ends with a summary line and exits with code 1 if any failed;
``--skip-existing`` resumes it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import SpokenstyleError, UsageError
from ..image import imageio
from . import speech
from .output import cli_words, emit, printable


def add_commands(cli) -> None:
    p = cli.add_command(
        "stylize",
        _cmd_stylize,
        help="stylize photos from a spoken prompt",
        description="Stylize photos from a prompt in everyday English or Chinese. Several inputs or a "
        "folder are a batch written into an output folder.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="photo files or folders of photos")
    p.add_argument("-p", "--prompt", default=None, metavar="TEXT", help="the look, e.g. '暖一点，对比度高一点' or 'kinda dreamy'")
    speech.add_arguments(p)
    p.add_argument("-s", "--style", metavar="IMAGE", default=None, action="append",
                   help="a style image (for backends that take one); repeat to blend several (-O style_weights=0.7,0.3)")
    p.add_argument("-o", "--output", metavar="PATH", default=None,
                   help="output file (.png/.jpg/.webp) for one input, output folder for a batch "
                   "(default: NAME-stylized.EXT here, or ./spokenstyle-out/)")
    p.add_argument("--backend", default=None, metavar="NAME", help="style backend(s): auto (default), grade, or a plugin's name; 'a,b' chains")
    p.add_argument("--text-encoder", default="lexicon", metavar="NAME", help="text encoder (default: lexicon)")
    p.add_argument("--strength", type=float, default=None, metavar="F", help="0 (unchanged) .. 1 (full look; default)")
    p.add_argument("--preserve-color", nargs="?", const="luminance", default=None, metavar="MODE",
                   help="keep the photo's own colours: luminance (bare flag; only tones change) or statistics "
                   "(keep the style's colour variation, in the photo's palette)")
    p.add_argument("--mask", metavar="IMAGE", default=None,
                   help="where to apply the look: white = stylize, black = untouched, grey = blend; the photo's size")
    p.add_argument("--mask-feather", type=float, default=None, metavar="PX",
                   help="soften the mask's edges over PX pixels, inside the white area (default 1%% of the short side; 0 = hard)")
    p.add_argument("-O", "--option", dest="options", action="append", type=_option_arg, metavar="KEY=VALUE",
                   help="a backend option, e.g. -O steps=50 (repeatable; 'spokenstyle explain' lists a plan's options)")
    p.add_argument("--max-size", type=int, default=None, metavar="N", help="shrink the long side to N pixels first")
    p.add_argument("--max-pixels", type=int, default=imageio.DEFAULT_MAX_PIXELS, metavar="N",
                   help=f"refuse photos larger than N pixels (default {imageio.DEFAULT_MAX_PIXELS})")
    p.add_argument("--seed", type=int, default=None, metavar="N", help="seed for random parts such as grain")
    p.add_argument("--device", default="auto", help="auto (default), cpu, cuda, cuda:N")
    p.add_argument("--quality", type=int, default=95, metavar="Q", help="JPEG/WebP quality (default 95)")
    p.add_argument("--overwrite", action="store_true",
                   help="allow an output to replace its input photo (refused otherwise)")
    p.add_argument("--skip-existing", action="store_true",
                   help="leave outputs that already exist alone (to resume a batch; always on under torchrun)")
    p.add_argument("--save-look", metavar="FILE", default=None,
                   help="write the resolved look (intent, backends, options, seed) to FILE, for --look (docs/looks.md)")
    p.add_argument("--look", metavar="FILE", default=None,
                   help="apply a saved look (or 'explain --json' output) exactly, instead of -p/--backend/-O/--strength/--seed")
    p.add_argument("--json", action="store_true", help="print one JSON object per output (or failure)")
    p.add_argument("-q", "--quiet", action="store_true", help="no explanation, no progress bar")


def _option_arg(text: str) -> tuple[str, Any]:
    """``-O KEY=VALUE``: VALUE as a JSON scalar (3, 0.5, true, null, "x") when it is one, else text."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"'{text}' is not KEY=VALUE; e.g. -O steps=50")
    if not key.isidentifier():
        raise argparse.ArgumentTypeError(f"option name '{key}' is not a name such as steps or style_weight")
    try:
        value = json.loads(raw)
    except ValueError:
        return key, raw
    return key, value if isinstance(value, (str, int, float, bool)) or value is None else raw


def rewrite_argv(argv: list[str]) -> list[str]:
    """``stylize --preserve-color photo.jpg``: the flag is bare and the photo an input, as it was
    before the flag took a mode (argparse would read the photo as the mode)."""
    command = next((a for a in argv if not a.startswith("-")), None)
    if command != "stylize":
        return argv
    from ..image.color import PRESERVE_COLOR_MODES
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg == "--":
            break
        nxt = out[i + 1]
        if arg == "--preserve-color" and not nxt.startswith("-") and nxt.strip().lower() not in PRESERVE_COLOR_MODES:
            if Path(nxt).exists():
                out[i] = "--preserve-color=luminance"
    return out


def _expand_inputs(raw: list[str]) -> tuple[list[Path], bool]:
    """Files to process, and whether this is a batch (several inputs or a folder)."""
    files: list[Path] = []
    batch = len(raw) > 1
    for item in raw:
        p = Path(item)
        if p.is_dir():
            batch = True
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in imageio.INPUT_EXTENSIONS)
            if not found:
                raise UsageError(f"folder '{p}' has no images ({', '.join(imageio.INPUT_EXTENSIONS)})")
            files.extend(found)
        elif not p.exists():
            raise UsageError(f"input '{p}' does not exist; check the path")
        else:
            files.append(p)
    return files, batch


def _output_paths(inputs: list[Path], output: str | None, batch: bool) -> list[Path]:
    def ext_for(src: Path) -> str:
        ext = src.suffix.lower()
        return ext if ext in imageio.OUTPUT_FORMATS else ".png"

    if not batch:
        src = inputs[0]
        if output is None:
            return [Path(f"{src.stem}-stylized{ext_for(src)}")]
        out = Path(output)
        if out.is_dir():
            return [out / f"{src.stem}{ext_for(src)}"]
        imageio.output_format(out)
        return [out]
    folder = Path(output or "spokenstyle-out")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"-o '{folder}' is a file; several inputs need an output folder")
    if not folder.exists() and folder.suffix.lower() in imageio.OUTPUT_FORMATS:
        raise UsageError(f"-o '{folder}' looks like a file name; several inputs need an output folder")
    paths, used = [], set()
    for src in inputs:
        name = f"{src.stem}{ext_for(src)}"
        k = 1
        while name in used:
            name = f"{src.stem}-{k}{ext_for(src)}"
            k += 1
        used.add(name)
        paths.append(folder / name)
    return paths


def _check_numbers(args: argparse.Namespace) -> None:
    """Every flag's value checked (numbers in range, modes known), before anything is read or
    written; the checks the library makes, said in the CLI's words by :func:`main`."""
    from ..core.intent import check_strength
    from ..core.plan import MAX_SEED, check_backend_arg, preserve_mode

    if args.strength is not None:
        check_strength(args.strength)  # messages name strength=, which the CLI shows as --strength
    args.preserve_color = preserve_mode(args.preserve_color)
    if args.backend is not None:
        check_backend_arg(args.backend)
    if not 1 <= args.quality <= 100:
        raise UsageError(f"--quality {args.quality} is out of range; use a whole number from 1 to 100 (JPEG/WebP; default 95)")
    if args.seed is not None and not 0 <= args.seed <= MAX_SEED:
        raise UsageError(f"--seed {args.seed} is out of range; use a whole number from 0 to {MAX_SEED}")
    if args.max_size is not None and args.max_size < 1:
        raise UsageError(f"--max-size {args.max_size} must be a number of pixels >= 1")
    if args.max_pixels < 1:
        raise UsageError(f"--max-pixels {args.max_pixels} must be a number of pixels >= 1")
    if args.mask_feather is not None and args.mask_feather < 0:
        raise UsageError(f"--mask-feather {args.mask_feather:g} is negative; use a number of pixels >= 0 (0 = hard edges)")
    if args.mask_feather is not None and not args.mask_feather < math.inf:  # inf, nan
        raise UsageError(f"--mask-feather {args.mask_feather:g} is not a finite number; use a number of pixels such as 8 (0 = hard edges)")


def _refuse_replacing_inputs(args: argparse.Namespace, inputs: list[Path], outputs: list[Path]) -> None:
    """An output that would replace an input (same real path, or the same file by another
    name) is an error unless --overwrite; so are style images and the mask, which it never allows."""

    def real(p: Path | str) -> str:
        return os.path.normcase(os.path.realpath(p))

    protected = {real(p): ("input", p) for p in inputs}
    for p in args.style or ():
        protected.setdefault(real(p), ("--style image", Path(p)))
    if args.mask is not None:
        protected.setdefault(real(args.mask), ("--mask", Path(args.mask)))
    clashes = []
    for dst in outputs:
        hit = protected.get(real(dst))
        if hit is None and dst.exists():
            hit = next((v for v in protected.values() if v[1].exists() and os.path.samefile(v[1], dst)), None)
        if hit is not None and (hit[0] != "input" or not args.overwrite):
            clashes.append((dst, hit))
    if not clashes:
        return
    dst, (what, src) = clashes[0]
    more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
    fix = "pass --overwrite to replace the photos" if what == "input" else "write somewhere else"
    raise UsageError(
        f"the output '{dst}' would replace the {what} '{src}'{more}; choose another output with -o, or {fix}"
    )


#: The flags a look fixes (``--look`` refuses them): argparse dest -> flag.
_LOOK_FLAGS = {"prompt": "-p", "say": "--say", "backend": "--backend", "options": "-O", "strength": "--strength",
               "preserve_color": "--preserve-color", "seed": "--seed"}


def _given_look(args: argparse.Namespace) -> Any:
    """``--look FILE`` read and checked against the installed backends (None without it)."""
    if args.look is None:
        return None
    given = [flag for dest, flag in _LOOK_FLAGS.items() if getattr(args, dest) is not None]
    if given:
        raise UsageError(
            f"--look fixes the look; drop {', '.join(given)} (or save a new look: -p ... --save-look FILE)"
        )
    from ..core.looks import Look
    from ..core.planner import Planner
    from ..plugins.manager import get_plugin_manager

    look = Look.load(args.look)
    Planner(get_plugin_manager()).check_look(look)
    return look


def _refuse_replacing_with_look(args: argparse.Namespace, inputs: list[Path], outputs: list[Path]) -> None:
    """``--save-look FILE`` is never an input, a style image, the mask or an output image."""
    if args.save_look is None:
        return
    dst = Path(args.save_look)

    def same(p: Path | str) -> bool:
        p = Path(p)
        if os.path.normcase(os.path.realpath(p)) == os.path.normcase(os.path.realpath(dst)):
            return True
        return p.exists() and dst.exists() and os.path.samefile(p, dst)

    named = [("input", p) for p in inputs] + [("--style image", Path(p)) for p in args.style or ()]
    named += [("--mask", Path(args.mask))] if args.mask is not None else []
    named += [("output", p) for p in outputs]
    hit = next(((what, p) for what, p in named if same(p)), None)
    if hit is not None:
        raise UsageError(f"--save-look '{dst}' would replace the {hit[0]} '{hit[1]}'; name another file such as look.json")
    if dst.is_dir():
        raise UsageError(f"--save-look '{dst}' is a folder; name a file such as {dst / 'look.json'}")


def _cmd_stylize(args: argparse.Namespace) -> int:
    """One process, or one of torchrun's: then each takes a deterministic shard of the photos
    (:func:`spokenstyle.core.distributed.shard`), keeps outputs already written (a rerun resumes),
    and process 0 prints the summary of them all; every process reaches that one exchange of
    counts, even one that failed, so none is left waiting."""
    from ..core import distributed

    ranks = distributed.setup()
    tally = [0, 0, 0, 0]  # written, skipped, failed, of photos
    crashed = True
    try:
        code = _stylize(args, ranks, tally)
        crashed = False
    finally:
        if ranks.world > 1:
            written, skipped, failed, total, crashes = distributed.sum_counts([*tally, int(crashed)], ranks)
            distributed.end()
    if ranks.world == 1:
        return code
    if ranks.main and total and (failed or not (args.quiet or args.json)):
        summary = f"{written} written, {skipped} skipped, {failed} failed, of {total} photos ({ranks.world} processes)"
        print(printable(f"spokenstyle stylize: {summary}" if failed else summary), file=sys.stderr if failed else sys.stdout)
    return 1 if (failed or crashes) and code == 0 else code


def _stylize(args: argparse.Namespace, ranks: Any, tally: list[int]) -> int:
    """This process's part of the run (all of it without torchrun): ``tally`` gets its counts."""
    run = _StylizeRun(args, ranks)
    run.collect_inputs()
    run.plan_outputs()
    run.hear()
    run.check_files()
    run.start()
    run.run_each_photo()
    return run.summarise(tally)


class _StylizeRun:
    """One ``spokenstyle stylize`` run, stage by stage: collect the inputs, plan where each output
    goes, check every file and folder before anything is written, start the engine (the prompt
    is encoded and planned once for the whole batch), run each photo, summarise.

    A batch goes on past a photo that fails (``failures``: input index -> message); one photo's
    failure is raised as it is."""

    def __init__(self, args: argparse.Namespace, ranks: Any) -> None:
        self.args, self.ranks = args, ranks
        self.failures: dict[int, str] = {}
        self.written = self.skipped = 0
        self.look: Any = None
        self.inputs: list[Path] = []
        self.outputs: list[Path] = []
        self.batch = False
        self.transcript: str | None = None

    # ------------------------------------------------------------ before anything is written
    def collect_inputs(self) -> None:
        """Every flag checked, the ``--look`` file read, the input files found (folders listed)."""
        _check_numbers(self.args)
        self.look = _given_look(self.args)
        self.inputs, self.batch = _expand_inputs(self.args.inputs)

    def plan_outputs(self) -> None:
        """An output path per input; none may replace an input (without --overwrite), a style
        image, the mask or the ``--save-look`` file."""
        self.outputs = _output_paths(self.inputs, self.args.output, self.batch)
        _refuse_replacing_inputs(self.args, self.inputs, self.outputs)
        _refuse_replacing_with_look(self.args, self.inputs, self.outputs)

    def hear(self) -> None:
        """``--say AUDIO`` transcribed (by the first registered transcriber), before any output
        is written; the transcript is the prompt."""
        if self.args.say is not None and self.args.prompt is not None:
            raise UsageError("give the look as -p TEXT or as --say AUDIO, not both")
        self.transcript = speech.heard(self.args)

    def check_files(self) -> None:
        """Every input's, style image's and the mask's header read, and the output folder made
        (a batch) or found (one photo) and writable. A batch notes an unreadable input and goes on."""
        args = self.args
        for i, src in enumerate(self.inputs):  # headers only: fail before writing anything
            try:
                imageio.open_image(src, max_pixels=None).close()
            except SpokenstyleError as exc:
                if not self.batch:
                    raise
                self.failures[i] = str(exc)  # a batch goes on without it, and says so
        for style_path in args.style or ():
            imageio.open_image(style_path, max_pixels=None, what="--style").close()
        if args.mask is not None:
            _check_mask(args.mask, [src for i, src in enumerate(self.inputs) if i not in self.failures])
        if self.batch:
            folder = self.outputs[0].parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create output folder '{folder}': {exc.strerror or exc}") from None
        else:
            parent = self.outputs[0].parent
            if not parent.is_dir():
                raise UsageError(f"cannot write '{self.outputs[0]}': folder '{parent}' does not exist; create it first")
        if not os.access(self.outputs[0].parent, os.W_OK):
            raise UsageError(f"cannot write to folder '{self.outputs[0].parent}': permission denied")

    # ------------------------------------------------------------------------------ running
    def start(self) -> None:
        """This process's photos, the engine on its device, the look (planned once, for every
        photo of the batch; ``--save-look`` writes it) and the progress bar."""
        from tqdm import tqdm

        from ..core import distributed
        from ..core.engine import Engine

        args, ranks = self.args, self.ranks
        self.mine = distributed.shard(range(len(self.inputs)), ranks)  # every photo in one process
        device = distributed.process_device(args.device, ranks)  # one GPU per process on its machine
        self.engine = Engine(text_encoder=args.text_encoder, device=device, max_pixels=args.max_pixels)
        if self.look is None:  # the prompt is encoded and planned once, for every photo of a batch
            self.look = self.engine.look(
                self.transcript if self.transcript is not None else (args.prompt or ""),
                backend=args.backend or "auto",  # validated against the installed backends here
                strength=1.0 if args.strength is None else args.strength,
                preserve_color=args.preserve_color,
                seed=args.seed,
                options=dict(args.options or []),  # validated before anything is written
                style=args.style is not None,
            )
        if args.save_look is not None and ranks.main:
            self.look.save(args.save_look)
        if not args.quiet and not args.json and ranks.main:
            if self.transcript is not None:
                print(printable(f"heard: {self.transcript!r} (--say {args.say})"))
            print(printable(self.look.describe()))
        # A progress bar for batches, on stderr, only on a terminal (tqdm's disable=None).
        self.bar = tqdm(
            total=len(self.mine), unit="photo", file=sys.stderr,
            disable=True if (args.quiet or not self.batch or not ranks.main) else None,
            dynamic_ncols=True,
        )

    def run_each_photo(self) -> None:
        """Each of this process's photos stylized and written, skipped, or noted as failed."""
        try:
            for i in self.mine:
                self._run_photo(i)
                self.bar.update(1)
        finally:
            self.bar.close()

    def _run_photo(self, i: int) -> None:
        args = self.args
        src, dst = self.inputs[i], self.outputs[i]
        if i in self.failures:
            self._failed(i, src, dst, self.failures[i])
            return
        if (args.skip_existing or self.ranks.world > 1) and dst.exists():
            kept_by = "--skip-existing" if args.skip_existing else "torchrun resumes"
            self.skipped += 1
            if args.json:
                emit({"input": str(src), "output": str(dst), "skipped": f"the output exists ({kept_by})"})
            elif not args.quiet:
                self._say(f"skipped {src}: '{dst}' exists ({kept_by})")
            return
        try:
            result = self.engine.stylize(
                str(src),
                style=(args.style[0] if len(args.style) == 1 else args.style) if args.style else None,
                max_size=args.max_size,
                mask=args.mask,
                mask_feather=args.mask_feather,
                look=self.look,
            )
            result.save(dst, quality=args.quality)
        except SpokenstyleError as exc:
            if not self.batch:
                raise
            self._failed(i, src, dst, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - one photo's bug must not end a batch
            if not self.batch:
                raise
            self._failed(i, src, dst, f"internal error: {type(exc).__name__}: {exc}")
            return
        self.written += 1
        self._report_written(src, dst, result)

    def _report_written(self, src: Path, dst: Path, result: Any) -> None:
        args = self.args
        seconds = result.timings["stylize"]
        if args.json:
            width, height = result.images[0].size
            record = {
                "input": str(src),
                "output": str(dst),
                "backend": "+".join(result.backends),
                "backends": result.backends,
                "seconds": round(seconds, 6),
                "width": width,
                "height": height,
                "notes": result.notes,
                "preserve_color": result.preserve_color,
                "options": result.options,
                "mask": args.mask,
                "look": args.look,
                "intent": result.intent.to_dict(),
            }
            if self.transcript is not None:
                record["transcript"] = self.transcript
            emit(record)
        elif not args.quiet:
            self._say(f"wrote {dst} ({' -> '.join(result.backends)}, {seconds:.3f} s)")

    def _say(self, line: str, *, error: bool = False) -> None:
        if self.batch:
            self.bar.write(printable(line), file=sys.stderr if error else sys.stdout)
        else:
            print(printable(line), file=sys.stderr if error else sys.stdout)

    def _failed(self, i: int, src: Path, dst: Path, message: str) -> None:
        self.failures[i] = message
        if self.args.json:
            emit({"input": str(src), "output": str(dst), "error": message})
        self._say(f"spokenstyle stylize: error: {src}: {cli_words(message)}", error=True)

    # ---------------------------------------------------------------------------- summary
    def summarise(self, tally: list[int]) -> int:
        """``tally`` = [written, skipped, failed, photos] of this process; without torchrun a
        batch's summary line (on stderr with the failed names when any failed). The exit code."""
        mine = set(self.mine)
        failures = {i: m for i, m in self.failures.items() if i in mine}
        tally[:] = [self.written, self.skipped, len(failures), len(self.mine)]
        if self.batch and self.ranks.world == 1:
            summary = f"{self.written} written, {self.skipped} skipped, {len(failures)} failed, of {len(self.inputs)} photos"
            if failures:
                names = ", ".join(str(self.inputs[i]) for i in sorted(failures)[:5]) + (", ..." if len(failures) > 5 else "")
                print(printable(f"spokenstyle stylize: {summary}; failed: {names}"), file=sys.stderr)
            elif not self.args.quiet and not self.args.json:
                print(summary)
        return 1 if failures else 0


def _check_mask(mask: str, inputs: list[Path]) -> None:
    """The mask decodes and has every input's size: checked before any output is written."""
    from ..image.masks import load_mask

    (loaded,) = load_mask(mask, max_pixels=None)
    for src in inputs:
        size = imageio.image_size(src)
        if loaded.size != size:
            raise UsageError(
                f"--mask '{mask}' is {loaded.size[0]}x{loaded.size[1]} but '{src}' is {size[0]}x{size[1]}; "
                f"the mask (mask=) must have the photo's size: resize it to {size[0]}x{size[1]}"
            )
