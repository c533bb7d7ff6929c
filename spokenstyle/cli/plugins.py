"""``spokenstyle plugins [--all] [--json]``: the plugins found, their distributions, components and commands."""

from __future__ import annotations

import argparse

from .output import dumps, printable


def add_commands(cli) -> None:
    p = cli.add_command("plugins", _cmd_plugins, help="list plugins, their distributions and components")
    p.add_argument("--all", action="store_true", help="include built-ins and skipped plugins")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _cmd_plugins(args: argparse.Namespace) -> int:
    from ..plugins.manager import KINDS, get_plugin_manager

    pm = get_plugin_manager()
    infos = [i for i in pm.plugins if args.all or (not i.builtin and i.status != "skipped")]
    if args.json:
        out = {
            "plugins": [i.to_dict() for i in infos],
            "components": [
                {"kind": c.kind, "name": c.name, "aliases": list(c.aliases), "plugin": c.plugin, "description": c.description}
                for c in pm.components()
                if args.all or not c.builtin
            ],
            "commands": {k: v for k, v in args.commands.items() if args.all or v != "spokenstyle"},
        }
        out["conflicts"] = [c.to_dict() for c in pm.conflicts]
        print(dumps(out, indent=2))
        return 0
    if not infos:
        print("no third-party plugins installed (entry-point group 'spokenstyle')")
    for info in infos:
        dist = f"{info.distribution} {info.version or ''}".strip() if info.distribution else "in-process"
        status = "" if info.status == "loaded" else f"  [{info.status}: {info.error}]"
        print(f"{info.name}  ({dist}){status}")
        for kind, name in info.components:
            comp = pm.get(kind, name)
            desc = f": {comp.description}" if comp.description else ""
            print(f"    {KINDS[kind][1]} {name}{desc}")
        for command, owner in args.commands.items():
            if owner == info.name:
                print(f"    command {command}")
    for conflict in pm.conflicts:
        print(printable(f"conflict: {conflict.message}"))
    if not args.all:
        builtins = ", ".join(f"{c.name} ({KINDS[c.kind][1]})" for c in pm.components() if c.builtin)
        print(f"built-in: {builtins}  (--all lists everything, including skipped plugins)")
    return 0
