"""The built-in ``lexicon`` text encoder: colloquial English and Chinese to a StyleIntent.

Offline, no weights. It is a small grammar over the vocabulary in ``vocabulary.py``:

1. **Normalise**: NFKC (full-width letters and punctuation become ASCII), lower case,
   "b&w" -> "black and white".
2. **Tokenise** into atoms: English words, single Chinese characters, clause breaks
   (punctuation, "but", 但是, ...). English words unknown to the vocabulary are corrected
   when a known word is close enough (difflib; 4-letter words only for swapped letters) and
   the correction is reported.
3. **Longest match**: at every position the longest vocabulary phrase wins, so 不要太暗 is
   "limit + dark", not "no + too + dark", and "black and white" is one look.
4. **Modifiers** wait for the word they govern within a clause: degree words scale it
   (有点 x0.5, 很 x1.6, 超级 x2), direction words set its sign ("less saturated", 降低饱和度),
   negations remove it ("no grain", 不要颗粒), limits cap it ("not too dark", 别太暖), and
   "too X" / 太X reads as a complaint about the photo (move the other way). Chinese degree
   words may also follow the word (暖一点); nouns take a following direction (对比度高一点).
5. **Resolve**: amounts are summed per attribute, then negations and limits are applied
   whatever their position in the prompt ("not too dark, moody" == "moody, not too dark"),
   and everything is clamped to [-1, 1]. Each decision becomes a note in the intent.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from ..intent import StyleIntent
from . import vocabulary as V

# --------------------------------------------------------------------------------- lexicon
@dataclass(frozen=True)
class Lexeme:
    """What one vocabulary phrase means."""

    kind: str  # attr noun look medium flag degree dir neg limit too stop clause
    name: str = ""  # attribute (noun), look, medium or flag name
    amounts: tuple[tuple[str, float], ...] = ()  # attr/look/medium
    palette: tuple[str, ...] | None = None
    factor: float = 1.0  # degree factor, or direction sign
    post: bool = False  # degree word that may follow what it governs


def _phrases(spec: str) -> list[str]:
    return [p.strip() for p in spec.split("|") if p.strip()]


def _key(phrase: str) -> tuple[str, ...]:
    """The atom sequence of a vocabulary phrase: words for English, characters for Chinese."""
    return tuple(_atoms(phrase)[0])


def _build() -> dict[tuple[str, ...], Lexeme]:
    table: dict[tuple[str, ...], Lexeme] = {}
    origin: dict[tuple[str, ...], str] = {}

    def add(spec: str, lexeme: Lexeme, where: str) -> None:
        for phrase in _phrases(spec):
            key = _key(phrase)
            if not key:
                continue
            if key in table and table[key] != lexeme:
                raise ValueError(
                    f"vocabulary phrase {phrase!r} is defined twice with different meanings "
                    f"({origin[key]} and {where}); remove one in spokenstyle/builtins/vocabulary.py"
                )
            table[key] = lexeme
            origin[key] = where

    for spec, flag in V.FLAGS.items():
        add(spec, Lexeme("flag", name=flag), f"FLAGS[{flag}]")
    for name, (spec, amounts, palette) in V.LOOKS.items():
        add(spec, Lexeme("look", name, tuple(amounts.items()), tuple(palette) if palette else None), f"LOOKS[{name}]")
    for name, (spec, amounts, palette) in V.MEDIA_WORDS.items():
        add(spec, Lexeme("medium", name, tuple(amounts.items()), tuple(palette) if palette else None), f"MEDIA_WORDS[{name}]")
    add(V.LIMITS, Lexeme("limit"), "LIMITS")
    add(V.NEGATIONS, Lexeme("neg"), "NEGATIONS")
    add(V.TOO, Lexeme("too"), "TOO")
    post = {_key(p) for p in _phrases(V.POSTFIX_DEGREES)}
    for spec, factor in V.DEGREES.items():
        for phrase in _phrases(spec):
            lexeme = Lexeme("degree", factor=factor, post=_key(phrase) in post)
            add(phrase, lexeme, f"DEGREES[{factor}]")
    unknown_post = post - {k for k, lex in table.items() if lex.kind == "degree"}
    if unknown_post:
        raise ValueError(f"POSTFIX_DEGREES lists {sorted(unknown_post)}, which DEGREES does not define")
    for spec, sign in V.DIRECTIONS.items():
        add(spec, Lexeme("dir", factor=float(sign)), f"DIRECTIONS[{sign}]")
    for spec, amounts in V.ADJECTIVES.items():
        add(spec, Lexeme("attr", amounts=tuple(amounts.items())), "ADJECTIVES")
    for spec, attr in V.NOUNS.items():
        add(spec, Lexeme("noun", name=attr, amounts=((attr, V.PLAIN),)), f"NOUNS[{attr}]")
    add(V.CLAUSE_WORDS, Lexeme("clause"), "CLAUSE_WORDS")
    add(V.STOPWORDS, Lexeme("stop"), "STOPWORDS")
    return table


# -------------------------------------------------------------------------------- tokens
_CLAUSE_PUNCT = set(",.;:!?()[]{}\"/\\|~<>。、；：！？…～—·“”‘’「」『』《》【】〈〉")


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF  # kana
    )


def normalise(text: str) -> str:
    """NFKC (full-width to ASCII), lower case, spelled-out shorthands."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"\bb\s*[&/]\s*w\b", " black and white ", text)
    text = re.sub(r"\s*&\s*", " and ", text)
    return text


def _atoms(text: str) -> tuple[list[str], list[bool]]:
    """Split normalised text into atoms; returns (atoms, is_cjk flags). Clause breaks are ','."""
    atoms: list[str] = []
    cjk: list[bool] = []
    word = []

    def flush() -> None:
        if word:
            w = "".join(word).strip("'")
            if w:
                atoms.append(w)
                cjk.append(False)
            word.clear()

    for ch in text:
        if _is_cjk(ch):
            flush()
            atoms.append(ch)
            cjk.append(True)
        elif ch.isalnum() or (ch == "'" and word):
            word.append(ch)
        else:
            flush()
            if ch in _CLAUSE_PUNCT:
                if not atoms or atoms[-1] != ",":
                    atoms.append(",")
                    cjk.append(False)
            # whitespace, hyphens and other symbols just separate words
    flush()
    return atoms, cjk


LEXICON: dict[tuple[str, ...], Lexeme] = _build()
_MAX_KEY = max(len(k) for k in LEXICON)
#: English words the lexicon knows (any word of any phrase): the typo-correction vocabulary.
KNOWN_WORDS: frozenset[str] = frozenset(w for k in LEXICON for w in k if w.isascii() and w.isalpha())
_CLAUSE = Lexeme("clause")


def _correct(word: str) -> str | None:
    """A known word close enough to an unknown English word, or None."""
    if not word.isascii() or not word.isalpha() or len(word) < 4:
        return None
    if len(word) == 4:
        candidates = [w for w in KNOWN_WORDS if len(w) == 4 and sorted(w) == sorted(word)]
        return candidates[0] if len(candidates) == 1 else None
    close = difflib.get_close_matches(word, KNOWN_WORDS, n=2, cutoff=0.8)
    if not close:
        return None
    if len(close) == 2 and difflib.SequenceMatcher(None, word, close[0]).ratio() == difflib.SequenceMatcher(
        None, word, close[1]
    ).ratio():
        return None  # a tie: do not guess
    return close[0]


@dataclass
class _Token:
    lex: Lexeme | None  # None: unknown
    surface: str
    cjk: bool


def tokenize(prompt: str) -> tuple[list[_Token], list[str]]:
    """Longest-match the prompt against the lexicon. Returns tokens and typo notes."""
    atoms, cjk = _atoms(normalise(prompt))
    notes = []
    for i, (a, is_cjk) in enumerate(zip(atoms, cjk)):
        if not is_cjk and a != "," and a not in KNOWN_WORDS:
            fixed = _correct(a)
            if fixed is not None:
                notes.append(f"'{a}' read as '{fixed}' (typo)")
                atoms[i] = fixed
    tokens: list[_Token] = []
    i = 0
    while i < len(atoms):
        if atoms[i] == ",":
            tokens.append(_Token(_CLAUSE, ",", False))
            i += 1
            continue
        for n in range(min(_MAX_KEY, len(atoms) - i), 0, -1):
            key = tuple(atoms[i : i + n])
            if "," in key:
                continue
            lex = LEXICON.get(key)
            if lex is not None:
                surface = _join(atoms[i : i + n], cjk[i : i + n])
                tokens.append(_Token(lex, surface, cjk[i]))
                i += n
                break
        else:
            # Unknown: a run of unknown Chinese characters is one ignored word.
            if cjk[i] and tokens and tokens[-1].lex is None and tokens[-1].cjk:
                tokens[-1].surface += atoms[i]
            else:
                tokens.append(_Token(None, atoms[i], cjk[i]))
            i += 1
    return tokens, notes


def _join(atoms: list[str], cjk: list[bool]) -> str:
    out = ""
    for j, (a, c) in enumerate(zip(atoms, cjk)):
        if j and not (c and cjk[j - 1]):
            out += " "
        out += a
    return out


# -------------------------------------------------------------------------------- grammar
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
    noun: bool = False
    directed: bool = False
    degree: float | None = None
    palette: tuple[str, ...] | None = None

    def scale(self, factor: float) -> None:
        for k in self.amounts:
            self.amounts[k] *= factor

    def note(self) -> str:
        detail = f" (x{self.degree:g})" if self.degree not in (None, 1.0) else ""
        label = f"{self.label}: " if self.label else ""
        return f"'{self.surface}' -> {label}{_fmt(self.amounts)}{detail}"


@dataclass
class _State:
    degree: float | None = None
    sign: float = 1.0
    directed: bool = False
    neg: bool = False
    limit: bool = False
    too: bool = False
    words: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.words


def _fmt(amounts: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:+.2f}" for k, v in amounts.items() if v) or "no change"


def _glue(left: str, right: str, cjk: bool) -> str:
    return left + right if cjk else f"{left} {right}"


class LexiconEncoder:
    """Colloquial English/Chinese to :class:`~spokenstyle.intent.StyleIntent`, offline.

    >>> LexiconEncoder().encode("a bit warmer")["warmth"]
    0.2
    """

    name = "lexicon"

    def encode(self, prompt: str | None) -> StyleIntent:
        text = (prompt or "").strip()
        if not text:
            return StyleIntent(prompt="", encoder=self.name, notes=["empty prompt: no change"])
        tokens, typo_notes = tokenize(text)
        notes: list = list(typo_notes)  # strings, and effects rendered at the end
        effects: list[_Effect] = []
        caps: list[tuple[str, int, float, str]] = []  # attribute, direction, cap, phrase
        blocked_media: set[str] = set()
        blocked_flags: set[str] = set()
        medium: str | None = None
        flags: set[str] = set()
        understood: list[str] = []
        ignored: list[str] = []
        state = _State()
        last: _Effect | None = None  # the effect a following 一点 / 高 may still modify

        def unattached() -> None:
            if not state.empty:
                notes.append(f"'{' '.join(state.words)}' had nothing to modify")

        for index, tok in enumerate(tokens):
            lex = tok.lex
            if lex is None:
                ignored.append(tok.surface)
                last = None
                continue
            kind = lex.kind
            if kind == "stop":
                continue
            if kind == "clause":
                unattached()
                state, last = _State(), None
                continue
            if kind == "degree":
                nxt = _next_meaningful(tokens, index)
                if (
                    lex.post
                    and last is not None
                    and last.degree is None
                    and state.empty
                    and (tok.cjk or nxt is None or nxt.kind == "clause")
                ):
                    last.scale(lex.factor)
                    last.degree = lex.factor
                    last.surface = _glue(last.surface, tok.surface, tok.cjk)
                    understood[-1] = last.surface
                    continue
                if lex.post and tok.cjk and last is not None and state.empty and last.degree is not None:
                    # 稍微亮一点: the trailing 一点 agrees with the leading 稍微; not applied twice
                    last.surface += tok.surface
                    understood[-1] = last.surface
                    continue
                state.degree = (state.degree or 1.0) * lex.factor
                state.words.append(tok.surface)
                continue
            if kind == "dir":
                if last is not None and last.noun and not last.directed and state.empty:
                    last.directed = True
                    if lex.factor < 0:
                        last.scale(-1.0)
                    last.surface = _glue(last.surface, tok.surface, tok.cjk)
                    understood[-1] = last.surface
                    continue
                state.sign *= lex.factor
                state.directed = True
                state.words.append(tok.surface)
                continue
            if kind in ("neg", "limit", "too"):
                setattr(state, kind, True)
                state.words.append(tok.surface)
                continue

            # A content word: attr, noun, look, medium or flag, with the modifiers before it.
            phrase = _glue("".join(state.words) if tok.cjk else " ".join(state.words), tok.surface, tok.cjk) if state.words else tok.surface
            understood.append(phrase)
            pending, state, last = state, _State(), None
            if kind == "flag":
                if pending.neg:
                    blocked_flags.add(lex.name)
                    notes.append(f"'{phrase}' -> {lex.name.replace('_', ' ')} off")
                else:
                    flags.add(lex.name)
                    notes.append(f"'{phrase}' -> keep the original colours: only tones change")
                continue
            if kind == "medium" and pending.neg and not pending.limit:
                blocked_media.add(lex.name)
                notes.append(f"'{phrase}' -> no {lex.name.replace('_', ' ')}")
                continue
            amounts = dict(lex.amounts)
            if pending.neg or pending.limit:
                cap = V.LIMIT_CAP if pending.limit else 0.0
                sign = pending.sign if pending.directed else 1.0
                for attr, amount in amounts.items():
                    direction = 1 if amount * sign > 0 else -1
                    caps.append((attr, direction, cap, phrase))
                    for extra_attr, extra_dir in GOVERNS.get((attr, direction), ()):
                        caps.append((extra_attr, extra_dir, cap, phrase))
                if kind != "medium":  # "not too watercolor": still watercolor, its look limited
                    continue
            if pending.too:
                effect = _Effect(phrase, {k: -v for k, v in amounts.items()}, label=f"the photo is too {tok.surface}, so")
                effects.append(effect)
                notes.append(effect)
                continue
            factor = (pending.degree if pending.degree is not None else 1.0) * pending.sign
            effect = _Effect(
                phrase,
                {k: v * factor for k, v in amounts.items()},
                noun=kind == "noun",
                directed=pending.directed,
                degree=pending.degree,
                palette=lex.palette,
            )
            if kind == "medium":
                if medium is not None and medium != lex.name:
                    notes.append(f"several media asked for: {lex.name.replace('_', ' ')} replaces {medium.replace('_', ' ')}")
                medium = lex.name
                effect.label = f"medium {lex.name.replace('_', ' ')}, with its colour look"
            elif kind == "look":
                effect.label = f"look {lex.name.replace('_', ' ')}"
            effects.append(effect)
            notes.append(effect)
            last = effect
        unattached()

        # ------------------------------------------------------------------- resolve
        totals: dict[str, float] = {}
        palette = None
        strongest: dict[str, _Effect] = {}  # a look or medium named twice counts once, at its strongest
        for effect in effects:
            if effect.label:
                kept = strongest.get(effect.label)
                if kept is not None:
                    size = max(abs(v) for v in effect.amounts.values())
                    if size <= max(abs(v) for v in kept.amounts.values()):
                        effect.amounts = {k: 0.0 for k in effect.amounts}
                    else:
                        kept.amounts = {k: 0.0 for k in kept.amounts}
                        strongest[effect.label] = effect
                    notes.append(f"'{effect.surface}' repeats {effect.label}: counted once")
                else:
                    strongest[effect.label] = effect
        for effect in effects:
            for k, v in effect.amounts.items():
                totals[k] = totals.get(k, 0.0) + v
            if effect.palette is not None:
                palette = list(effect.palette)
        explained: set[str] = set()
        for attr, direction, cap, why in caps:
            before = totals.get(attr, 0.0)
            after = min(before, cap) if direction > 0 else max(before, -cap)
            what = "limited to a little" if cap else "removed"
            if after != before:
                totals[attr] = after
                notes.append(f"'{why}': {attr} {what}, {before:+.2f} -> {after + 0.0:+.2f}")
                explained.add(why)
        for attr, direction, cap, why in caps:
            if why not in explained:
                explained.add(why)
                what = "limited to a little" if cap else "removed"
                way = "up" if direction > 0 else "down"
                value = totals.get(attr, 0.0)
                if value * direction > 0:
                    notes.append(f"'{why}': {attr} {what}; {value:+.2f} is within the limit")
                else:
                    notes.append(f"'{why}': {attr} {what} (nothing else moves it {way}, so no change)")
        if medium in blocked_media:
            notes.append(f"medium {medium.replace('_', ' ')} removed by a negation")
            medium = None
        flags -= blocked_flags
        if palette is not None and totals.get("saturation", 0.0) <= -0.99:
            palette = None
            notes.append("black and white: split toning dropped")
        for k, v in totals.items():
            if abs(v) > 1.0:
                notes.append(f"{k} {v:+.2f} clamped to {max(-1.0, min(1.0, v)):+.2f}")
        intent = StyleIntent(
            attributes=totals,
            palette=palette,
            medium=medium,
            preserve_color="preserve_color" in flags,
            understood=understood,
            ignored=ignored,
            notes=[n if isinstance(n, str) else n.note() for n in notes],
            prompt=text,
            encoder=self.name,
        )
        if intent.preserve_color and any(intent.attributes[a] for a in ("warmth", "tint", "saturation", "vibrance")):
            intent.notes.append("keeping the original colours overrides the colour changes; tones still change")
        if intent.ignored and not intent.understood:
            intent.notes.append("nothing understood: no change")
        return intent


def _next_meaningful(tokens: list[_Token], index: int) -> Lexeme | None:
    for tok in tokens[index + 1 :]:
        if tok.lex is None:
            return Lexeme("unknown")
        if tok.lex.kind != "stop":
            return tok.lex
    return None
