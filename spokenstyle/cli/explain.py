"""``spokenstyle explain "moody but not too dark" [--json]``: how a prompt is understood and planned.

``spokenstyle explain --say look.wav [--language zh]``: the same for a prompt said aloud; the
transcript is shown first (``"transcript"`` in ``--json``)."""

from __future__ import annotations

import argparse

from ..errors import UsageError
from . import speech
from .output import dumps, printable


def add_commands(cli) -> None:
    p = cli.add_command("explain", _cmd_explain, help="show how a prompt is understood")
    p.add_argument("text", nargs="*", metavar="TEXT", help="the prompt (quotes optional; or --say AUDIO)")
    p.add_argument("--text-encoder", default="lexicon", metavar="NAME", help="text encoder (default: lexicon)")
    p.add_argument("--json", action="store_true", help="print the intent and plan as one JSON object")
    speech.add_arguments(p)


def _cmd_explain(args: argparse.Namespace) -> int:
    from ..core.engine import Engine

    if args.text and args.say is not None:
        raise UsageError("give the prompt as TEXT or as --say AUDIO, not both")
    if not args.text and args.say is None:
        raise UsageError("no prompt: give it as TEXT (spokenstyle explain \"warmer\") or said aloud with --say AUDIO")
    transcript = speech.heard(args)
    text = transcript if transcript is not None else " ".join(args.text)
    engine = Engine(text_encoder=args.text_encoder, device="cpu")
    intent = engine.encode(text)
    plan = engine.plan(intent)
    if args.json:
        options = {name: engine.backend_options(name) for name in plan.backends}
        plan_json = {"backends": plan.backends, "notes": plan.notes, "options": options}
        record = {"intent": intent.to_dict(), "plan": plan_json}
        if transcript is not None:
            record["transcript"] = transcript
        print(dumps(record))
    else:
        if transcript is not None:
            print(printable(f"heard: {transcript!r} (--say {args.say})"))
        print(printable(engine.explain(text)))
    return 0
