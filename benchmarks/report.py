"""Turn a pytest-benchmark JSON file into the markdown ratio tables of RESULTS.md.

Usage: python benchmarks/report.py bench.json
Each group gets one row per implementation: median time and speed-up of spokenstyle over it.
"""

from __future__ import annotations

import json
import platform
import sys
from collections import defaultdict


def _impl(bench: dict) -> str:
    params = bench.get("params") or {}
    return str(params.get("impl", bench["name"]))


def report(path: str) -> str:
    data = json.load(open(path))
    groups: dict[str, dict[str, dict]] = defaultdict(dict)
    for bench in data["benchmarks"]:
        groups[bench["group"] or bench["name"]][_impl(bench)] = bench
    machine = data.get("machine_info", {})
    cpu = machine.get("cpu", {}).get("brand_raw") or platform.processor()
    lines = [f"Machine: {cpu}, {machine.get('cpu', {}).get('count', '?')} logical CPUs; "
             f"python {machine.get('python_version', '?')}; {data.get('datetime', '')[:10]}", ""]
    lines += ["| benchmark | implementation | median ms | spokenstyle speed-up |", "|---|---|---:|---:|"]
    for group in sorted(groups):
        impls = groups[group]
        ours = impls.get("spokenstyle")
        for name, bench in sorted(impls.items(), key=lambda kv: kv[0] != "spokenstyle"):
            median = bench["stats"]["median"]
            ratio = f"{median / ours['stats']['median']:.2f}x" if ours and name != "spokenstyle" else ""
            extra = bench.get("extra_info") or {}
            if "fraction_of_copy" in extra:
                ratio = f"{extra['achieved_gbs']:.0f} GB/s = {100 * extra['fraction_of_copy']:.0f}% of copy"
            lines.append(f"| {group} | {name} | {median * 1e3:.2f} | {ratio} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(sys.argv[1]))
