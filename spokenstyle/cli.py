"""The ``spokenstyle`` command line.

Subcommands register themselves in ``COMMANDS``; a user mistake (a SpokenstyleError) prints one
line on stderr and exits with code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import SpokenstyleError


def _cmd_doctor(args: argparse.Namespace) -> int:
    from .ops import info

    facts = info()
    if args.json:
        print(json.dumps(facts, indent=2))
        return 0
    ok = "yes" if facts["extension_loaded"] else f"NO ({facts['extension_error']})"
    lines = [
        f"spokenstyle        {facts['spokenstyle_version']}",
        f"extension loaded   {ok}",
        f"torch running      {facts['torch_running']}",
        f"torch built with   {facts['torch_built'] or '-'}",
        f"CPU kernels        {'yes' if facts['cpu_kernels'] else 'no (reference path)'}",
        f"CUDA kernels       {'yes, CUDA ' + facts['cuda_built_version'] if facts['cuda_kernels'] else 'no'}",
        f"CUDA archs         {' '.join(facts['cuda_archs']) or '-'}",
        f"CUDA available     {'yes: ' + ', '.join(facts['gpus']) if facts['cuda_available'] else 'no'}",
        f"CPU threads        {facts['cpu_threads']}",
        f"operators          {', '.join(facts['operators']) or '-'}",
    ]
    if facts["torch_built"] and facts["torch_built"] != facts["torch_running"]:
        lines.append("warning            the extension was built against another torch; reinstall spokenstyle")
    print("\n".join(lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    parser = argparse.ArgumentParser(prog="spokenstyle", description="Stylize photos from everyday words.")
    parser.add_argument("--version", action="version", version=f"spokenstyle {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    doctor = sub.add_parser("doctor", help="show what was built (CPU/CUDA kernels, archs, torch versions)")
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.set_defaults(func=_cmd_doctor)
    return parser




def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SpokenstyleError as exc:
        print(f"spokenstyle {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spokenstyle: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
