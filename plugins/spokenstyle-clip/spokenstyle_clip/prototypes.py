"""Prompt prototypes: short English and Chinese texts for each built-in medium and look.

A CLIP text encoder maps a prompt to the medium and the look whose prototype texts are nearest
to it (cosine similarity of CLIP text features), so the planner and ``grade`` act on a CLIP
prompt exactly as on a lexicon one. The texts come from spokenstyle's own vocabulary (the
lexicon's phrases for each look and medium), so the two encoders agree on what exists.
No torch here: this module is data.
"""

from __future__ import annotations

from dataclasses import dataclass

#: What a prompt is compared against to decide it names nothing in particular.
NEUTRAL = ("a photo", "a picture", "a normal photo", "一张照片", "照片", "图片")
PER_LANGUAGE = 3  # phrases per language and entry


@dataclass(frozen=True)
class Prototype:
    """One medium or look: its name, its texts, and the attributes and palette it sets (as in the lexicon)."""

    kind: str  # "medium" | "look"
    name: str
    texts: tuple[str, ...]
    amounts: tuple[tuple[str, float], ...] = ()
    palette: tuple[str, ...] | None = None


def _texts(spec: str, medium: bool) -> tuple[str, ...]:
    phrases = [p.strip() for p in spec.split("|") if p.strip()]
    english = [p for p in phrases if p.isascii()][:PER_LANGUAGE]
    chinese = [p for p in phrases if not p.isascii()][:PER_LANGUAGE]
    out = []
    for p in english:
        out += [p, f"a {p} picture" if medium else f"a {p} photo"]
    for p in chinese:
        out += [p, f"{p}风格的图片" if medium else f"{p}的照片"]
    return tuple(dict.fromkeys(out))


def prototypes() -> tuple[Prototype, ...]:
    """Every built-in medium (of :data:`spokenstyle.MEDIA`) and look, with its texts."""
    from spokenstyle.builtins.vocabulary import LOOKS, MEDIA_WORDS
    from spokenstyle.core.intent import MEDIA

    out = []
    for name, (spec, amounts, palette) in MEDIA_WORDS.items():
        if name in MEDIA:
            out.append(Prototype("medium", name, _texts(spec, True), tuple(sorted(amounts.items())), tuple(palette) if palette else None))
    for name, (spec, amounts, palette) in LOOKS.items():
        out.append(Prototype("look", name, _texts(spec, False), tuple(sorted(amounts.items())), tuple(palette) if palette else None))
    return tuple(out)


def all_prototype_texts() -> list[str]:
    """Every text the encoders embed (prototypes and the neutral ones), for tokenizers in tests."""
    return [t for p in prototypes() for t in p.texts] + list(NEUTRAL)
