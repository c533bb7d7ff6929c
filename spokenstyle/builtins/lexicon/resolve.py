"""Stage 3 of the lexicon: terms to a :class:`~spokenstyle.intent.StyleIntent`. Amounts are summed
per attribute (a look named twice counts once), removals, limits and holds apply wherever they
stood, everything is clamped to [-1, 1], and each decision becomes a note of the intent."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ...intent import StyleIntent
from . import vocabulary as V
from .parse import Clause, Term, complaint_move
from .tokenize import SUGGESTIBLE, is_cjk, is_symbol


#: Which further attributes a negation or limit on an attribute direction also governs:
#: "not too dark" must not let shadows or exposure darken the photo either.
GOVERNS: dict[tuple[str, int], tuple[tuple[str, int], ...]] = {
    ("brightness", -1): (("exposure", -1), ("shadows", -1)),
    ("brightness", +1): (("exposure", +1), ("shadows", +1)),
    ("exposure", -1): (("brightness", -1),),
    ("exposure", +1): (("brightness", +1),),
    ("saturation", -1): (("vibrance", -1),),
    ("saturation", +1): (("vibrance", +1),),
}


@dataclass
class _Effect:
    surface: str
    amounts: dict[str, float]
    label: str = ""  # "look dreamy", "medium watercolor, with its colour look"
    degree: float | None = None
    palette: tuple[str, ...] | None = None
    complaint: bool = False

    def note(self) -> str:
        if self.complaint:  # "'过曝' is a complaint: exposure down (exposure -0.40)"
            ways = ", ".join(f"{k} {'up' if v > 0 else 'down'}" for k, v in self.amounts.items() if v)
            return f"'{self.surface}' is a complaint: {ways or 'no change'} ({_fmt(self.amounts)})"
        detail = f" (x{self.degree:g})" if self.degree not in (None, 1.0) else ""
        label = f"{self.label}: " if self.label else ""
        return f"'{self.surface}' -> {label}{_fmt(self.amounts)}{detail}"


def _fmt(amounts: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:+.2f}" for k, v in amounts.items() if v) or "no change"


def _words(name: str) -> str:
    return name.replace("_", " ")


@dataclass
class _Resolution:
    """What resolve() gathers from the terms before it sums them."""

    effects: list[_Effect] = field(default_factory=list)
    caps: list[tuple[str, int, float, str, str]] = field(default_factory=list)  # attr, direction, cap, phrase, what
    notes: list = field(default_factory=list)  # strings, and effects rendered at the end
    medium: str | None = None
    blocked_media: set[str] = field(default_factory=set)
    flags: set[str] = field(default_factory=set)
    blocked_flags: set[str] = field(default_factory=set)
    protect: set[str] = field(default_factory=set)
    understood: list[str] = field(default_factory=list)

    def effect(self, effect: _Effect) -> None:
        self.effects.append(effect)
        self.notes.append(effect)

    def cap(self, attr: str, direction: int, cap: float, why: str, what: str = "") -> None:
        what = what or ("limited to a little" if cap else "removed")
        self.caps.append((attr, direction, cap, why, what))
        for extra_attr, extra_dir in GOVERNS.get((attr, direction), ()):
            self.caps.append((extra_attr, extra_dir, cap, why, what))


def resolve(clauses: list[Clause], *, prompt: str, ignored: list[str], notes: list[str], encoder: str) -> StyleIntent:
    """Clauses -> the StyleIntent: sum the terms, apply removals, limits and holds, clamp."""
    r = _Resolution(notes=list(notes))
    for clause in clauses:
        for term in clause.terms:
            r.understood.append(term.surface)
            r.understood.extend(term.also)
            _resolve_term(term, r)
            r.notes.extend(term.notes)
        r.notes.extend(f"'{w}' had nothing to modify" for w in clause.stray)
    totals, palette = _sum(r)
    _apply_caps(totals, r)
    medium = r.medium
    if medium in r.blocked_media:
        r.notes.append(f"medium {_words(medium)} removed by a negation")
        medium = None
    flags = r.flags - r.blocked_flags
    if palette is not None and totals.get("saturation", 0.0) <= -0.99:
        palette = None
        r.notes.append("black and white: split toning dropped")
    for k, v in totals.items():
        if abs(v) > 1.0:
            r.notes.append(f"{k} {v:+.2f} clamped to {max(-1.0, min(1.0, v)):+.2f}")
    intent = StyleIntent(
        attributes=totals,
        palette=palette,
        medium=medium,
        preserve_color="preserve_color" in flags,
        protect=sorted(r.protect),
        understood=_dedupe(r.understood),
        ignored=ignored,
        suggestions=suggest(ignored),
        notes=[n if isinstance(n, str) else n.note() for n in r.notes],
        prompt=prompt,
        encoder=encoder,
    )
    if intent.preserve_color and any(intent.attributes[a] for a in ("warmth", "tint", "saturation", "vibrance")):
        intent.notes.append("keeping the original colours overrides the colour changes; tones still change")
    if intent.ignored and not intent.understood:
        intent.notes.append("nothing understood: no change")
    return intent


def _dedupe(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if not out or out[-1] != item:
            out.append(item)
    return out


def _resolve_term(term: Term, r: _Resolution) -> None:
    """One term's contribution: an effect, caps, a flag, the medium or a protected region."""
    lex, phrase, mode = term.lex, term.surface, term.mode
    if mode == "topic":
        return
    if mode == "protect":
        r.protect.add(term.region)
        r.notes.append(f"'{phrase}' -> protect {term.region}: the look applies, {_PROTECTION[term.region]}")
        return
    if lex.kind == "flag":
        if mode == "remove":
            r.blocked_flags.add(lex.name)
            r.notes.append(f"'{phrase}' -> {_words(lex.name)} off")
        else:
            r.flags.add(lex.name)
            r.notes.append(f"'{phrase}' -> keep the original colours: only tones change")
        return
    if lex.kind == "medium" and mode == "remove":
        r.blocked_media.add(lex.name)
        r.notes.append(f"'{phrase}' -> no {_words(lex.name)}")
        return
    amounts = dict(lex.amounts)
    if mode == "hold":
        for attr in amounts:
            r.cap(attr, +1, 0.0, phrase, "kept as it is")
            r.cap(attr, -1, 0.0, phrase, "kept as it is")
        return
    if mode == "remove" and lex.colour:
        r.effect(_Effect(phrase, {"saturation": -1.0}, label="no colour: black and white"))
        return
    if mode in ("remove", "limit"):
        cap = V.LIMIT_CAP if mode == "limit" else 0.0
        sign = term.sign if term.directed else 1.0
        for attr, amount in amounts.items():
            r.cap(attr, 1 if amount * sign > 0 else -1, cap, phrase)
        if lex.kind != "medium":  # "not too watercolor": still watercolor, its look limited
            return
    if mode == "too":  # 太暗, 过曝了, "it's blown out": the photo is that; move away from it
        r.effect(_Effect(phrase, complaint_move(term), label="a complaint", complaint=True))
        return
    if mode == "reduce":
        sign = term.sign if term.directed else 1.0
        scale = -sign * (term.degree if term.degree is not None else 1.0)
        r.effect(_Effect(phrase, {k: v * scale for k, v in amounts.items()}, label="less of it than the photo has"))
        return
    effect = _Effect(phrase, {k: v * term.factor for k, v in amounts.items()}, degree=term.degree, palette=lex.palette,
                     complaint=term.lack)
    if lex.kind == "medium":
        if r.medium is not None and r.medium != lex.name:
            r.notes.append(f"several media asked for: {_words(lex.name)} replaces {_words(r.medium)}")
        r.medium = lex.name
        effect.label = f"medium {_words(lex.name)}, with its colour look"
    elif lex.kind == "look":
        effect.label = f"look {_words(lex.name)}"
        if lex.evokes:  # a painter: the medium their name evokes
            effect.label = f"{_words(lex.name)}: {lex.evokes}, medium {_words(lex.medium)}"
            if r.medium is not None and r.medium != lex.medium:
                r.notes.append(f"several media asked for: {_words(lex.medium)} replaces {_words(r.medium)}")
            r.medium = lex.medium
        elif lex.medium:
            effect.label = f"film stock {_words(lex.name)}"
            if r.medium is None:
                r.medium = lex.medium
    r.effect(effect)


_PROTECTION = {
    "highlights": "but no highlight is blown out further",
    "shadows": "but no shadow is crushed further",
    "skin": "but skin tones keep their colour",
}


def _sum(r: _Resolution) -> tuple[dict[str, float], list[str] | None]:
    """Per-attribute totals; a look or medium named twice counts once, at its strongest."""
    strongest: dict[str, _Effect] = {}
    for effect in r.effects:
        if not effect.label or effect.label.startswith(("a complaint", "less of", "no colour")):
            continue
        kept = strongest.get(effect.label)
        if kept is None:
            strongest[effect.label] = effect
            continue
        if max(map(abs, effect.amounts.values())) <= max(map(abs, kept.amounts.values())):
            effect.amounts = {k: 0.0 for k in effect.amounts}
        else:
            kept.amounts = {k: 0.0 for k in kept.amounts}
            strongest[effect.label] = effect
        r.notes.append(f"'{effect.surface}' repeats {effect.label}: counted once")
    totals: dict[str, float] = {}
    palette = None
    for effect in r.effects:
        for k, v in effect.amounts.items():
            totals[k] = totals.get(k, 0.0) + v
        if effect.palette is not None:
            palette = list(effect.palette)
    return totals, palette


def _apply_caps(totals: dict[str, float], r: _Resolution) -> None:
    """Removals (cap 0), limits (cap LIMIT_CAP) and holds, wherever they stood in the prompt."""
    explained: set[str] = set()
    for attr, direction, cap, why, what in r.caps:
        before = totals.get(attr, 0.0)
        after = min(before, cap) if direction > 0 else max(before, -cap)
        if after != before:
            totals[attr] = after
            r.notes.append(f"'{why}': {attr} {what}, {before:+.2f} -> {after + 0.0:+.2f}")
            explained.add(why)
    for attr, direction, cap, why, what in r.caps:
        if why not in explained:
            explained.add(why)
            way = "up" if direction > 0 else "down"
            value = totals.get(attr, 0.0)
            if value * direction > 0:
                r.notes.append(f"'{why}': {attr} {what}; {value:+.2f} is within the limit")
            else:
                r.notes.append(f"'{why}': {attr} {what} (nothing else moves it {way}, so no change)")


def suggest(ignored: list[str]) -> dict[str, list[str]]:
    """"Did you mean": for each ignored word, up to three known words or phrases close to it."""
    out: dict[str, list[str]] = {}
    for word in ignored:
        if word in out or is_symbol(word[0]):
            continue
        if is_cjk(word[0]):
            scored = [(difflib.SequenceMatcher(None, word, p).ratio(), p) for p in SUGGESTIBLE
                      if is_cjk(p[0]) and set(p) & set(word)]
            close = [p for score, p in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= 0.5][:3]
        elif len(word) >= 3 and word.isalpha():
            close = difflib.get_close_matches(word, [p for p in SUGGESTIBLE if p.isascii()], n=3, cutoff=0.7)
        else:
            close = []
        if close:
            out[word] = close
    return out
