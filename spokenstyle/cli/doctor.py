"""``spokenstyle doctor [--json]``: what was built and found (kernels, CUDA, torch, VGG-19 weights, plugin problems)."""

from __future__ import annotations

import argparse

from .output import dumps, printable


def add_commands(cli) -> None:
    p = cli.add_command("doctor", _cmd_doctor, help="show what was built (CPU/CUDA kernels, archs, torch versions)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _cmd_doctor(args: argparse.Namespace) -> int:
    from ..ops import info

    from ..plugins.manager import get_plugin_manager

    from ..encoders.vgg19 import describe_weights

    from ..core.precision import describe as describe_precision

    facts = info()
    from ..nn.magenta_weights import describe as describe_magenta

    vgg = describe_weights()  # where the default encoder's weights are; nothing is loaded
    magenta = describe_magenta()  # the painting networks' files (checked on first use, not here)
    facts["precision_auto"] = describe_precision()
    pm = get_plugin_manager()
    problems = [f"{i.origin}: {i.error}" for i in pm.failures] + [c.message for c in pm.conflicts]
    if args.json:
        print(dumps({**facts, "vgg19_weights": vgg, "magenta_weights": magenta, "plugin_problems": problems}, indent=2))
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
        f"precision=auto     {facts['precision_auto']}",
        f"operators          {', '.join(facts['operators']) or '-'}",
        f"VGG-19 weights     {vgg['weights'] + ' (' + vgg['found_by'] + ')' if vgg['status'] == 'found' else 'MISSING: ' + vgg['error']}",
    ]
    if vgg.get("attribution"):
        lines.append(f"                   {vgg['attribution']}")
    found = magenta["status"] == "found"
    lines.append(f"Magenta weights    {magenta['weights'] + ' (' + magenta['found_by'] + ')' if found else 'MISSING: ' + magenta['error']}")
    if magenta.get("attribution"):
        lines.append(f"                   {magenta['attribution']}")
    if facts["torch_built"] and facts["torch_built"] != facts["torch_running"]:
        lines.append("warning            the extension was built against another torch; reinstall spokenstyle")
    lines.extend(f"plugin problem     {p}" for p in problems)
    print(printable("\n".join(lines)))
    return 0
