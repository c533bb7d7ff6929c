"""``spokenstyle explain "moody but not too dark" [--json]``: how a prompt is understood and planned."""

from __future__ import annotations

import argparse

from .output import dumps, printable


def add_commands(cli) -> None:
    p = cli.add_command("explain", _cmd_explain, help="show how a prompt is understood")
    p.add_argument("text", nargs="+", metavar="TEXT", help="the prompt (quotes optional)")
    p.add_argument("--text-encoder", default="lexicon", metavar="NAME", help="text encoder (default: lexicon)")
    p.add_argument("--json", action="store_true", help="print the intent and plan as one JSON object")


def _cmd_explain(args: argparse.Namespace) -> int:
    from ..core.engine import Engine

    text = " ".join(args.text)
    engine = Engine(text_encoder=args.text_encoder, device="cpu")
    intent = engine.encode(text)
    plan = engine.plan(intent)
    if args.json:
        options = {name: engine.backend_options(name) for name in plan.backends}
        plan_json = {"backends": plan.backends, "notes": plan.notes, "options": options}
        print(dumps({"intent": intent.to_dict(), "plan": plan_json}))
    else:
        print(printable(engine.explain(text)))
    return 0
