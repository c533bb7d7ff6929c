"""The lexicon on prompts it was never tuned on: tests/data/prompts/heldout/words.tsv (issue 25).

Every held-out line goes through the corpus checks of tests/builtins/test_prompt_corpus.py (same
photos, same statistics, same tolerances). Unlike the corpus, not every line has to pass: this
measures the share that does, per section (a ``# --- name`` comment starts one), prints it, and
fails when the total falls below what the lexicon reached (docs/looks.md has the figures), so a
change that breaks words people actually type shows up even where the corpus does not cover them.
Never tune the lexicon on these lines, and never edit their prompts or expectations.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

HELDOUT = Path(__file__).resolve().parents[1] / "data" / "prompts" / "heldout" / "words.tsv"
#: Measured after issue 25's lexicon work (grade backend, 128 px astronaut + coffee): see
#: docs/looks.md. The floor leaves a margin of a few lines for numerical noise between machines.
MEASURED = 115
FLOOR = 111


def _corpus_checks():
    """tests/builtins/test_prompt_corpus.py as a module (``builtins`` is not importable by name)."""
    spec = importlib.util.spec_from_file_location("_prompt_corpus_checks", Path(__file__).with_name("test_prompt_corpus.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _corpus_checks()


def corpus_normalise(prompt: str) -> str:
    from spokenstyle.builtins.lexicon import normalise

    return normalise(prompt)


def _sections() -> dict[int, str]:
    """Line number -> the section it is in (the last ``# --- name`` above it)."""
    out, name = {}, "(no section)"
    for number, raw in enumerate(HELDOUT.read_text(encoding="utf-8").splitlines(), 1):
        if raw.startswith("# ---"):
            name = raw[5:].strip().split(":")[0]
        out[number] = name
    return out


def test_heldout_share_does_not_regress(capsys):
    lines = corpus.read_lines([HELDOUT])
    assert len(lines) >= 100, f"{HELDOUT} has only {len(lines)} lines"
    section_of = _sections()
    passed: dict[str, list[int]] = {}
    failed, failed_at = [], set()
    with corpus.one_thread():
        for where, prompt, expect_text, expect, ref in lines:
            section = section_of[int(where.rsplit(":", 1)[1])]
            failures = corpus.check_line(prompt, expect, ref)
            tally = passed.setdefault(section, [0, 0])
            tally[0] += not failures
            tally[1] += 1
            if failures:
                failed.append(f"  {prompt!r} ({expect_text}): {failures[0]}")
                failed_at.add(where)
    total = sum(p for p, _ in passed.values())
    clean = [line for line in lines if corpus_normalise(line[1]) not in corpus.HELDOUT_ALSO_IN_CORPUS]
    clean_passed = sum(1 for line in clean if line[0] not in failed_at)
    with capsys.disabled():
        print(f"\nheld-out prompts ({HELDOUT.name}): {total}/{len(lines)} = {100 * total / len(lines):.1f}%; "
              f"{clean_passed}/{len(clean)} on the lines that are not also corpus lines")
        for section, (p, n) in passed.items():
            print(f"  {section}: {p}/{n}")
        print("failing:\n" + "\n".join(failed))
    assert total >= FLOOR, (
        f"held-out share fell to {total}/{len(lines)} (floor {FLOOR}, measured {MEASURED}): the lexicon regressed on "
        "prompts it was not tuned on; the failing lines are printed above"
    )
