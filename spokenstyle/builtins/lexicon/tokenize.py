"""Stage 1 of the lexicon: the vocabulary as a table of :class:`Lexeme`, and :func:`tokenize`.

NFKC (full-width letters and punctuation become ASCII), lower case, traditional characters
written simplified (:mod:`.hanzi`), "b&w" -> "black and white"; then atoms (English words,
single Chinese characters, emoji, clause breaks) and the longest vocabulary phrase at every
position, so 不要太暗 is "limit + dark", not "no + too + dark". Unknown English words are read
through their inflection ("moodier" -> moody), stretched letters ("sooo") and typos; every
correction is reported.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from . import vocabulary as V
from .hanzi import to_simplified


# --------------------------------------------------------------------------------- lexicon
@dataclass(frozen=True)
class Lexeme:
    """What one vocabulary phrase means."""

    #: attr noun look medium flag hazard region keep degree dir neg limit too reduce stop clause,
    #: and the complaint grammar: copula ("it's"), particle (了, 咗), post_too (得滞), fix ("fix it"),
    #: lack ("not enough", 不够), enough
    kind: str
    name: str = ""  # attribute (noun), look, medium, flag or region name
    amounts: tuple[tuple[str, float], ...] = ()  # attr/noun/look/medium/hazard
    palette: tuple[str, ...] | None = None
    factor: float = 1.0  # degree factor, or direction sign
    post: bool = False  # degree word that may follow what it governs
    colour: bool = False  # a noun for the photo's colour itself ("no colour" = black and white)
    medium: str = ""  # a film stock's or a painter's look also asks for this medium
    evokes: str = ""  # a painter: what their name evokes, for explain


def phrases(spec: str) -> list[str]:
    return [p.strip() for p in spec.split("|") if p.strip()]


def _key(phrase: str) -> tuple[str, ...]:
    """The atom sequence of a vocabulary phrase: words for English, characters for Chinese."""
    return tuple(_atoms(phrase)[0])


def _build() -> dict[tuple[str, ...], Lexeme]:
    table: dict[tuple[str, ...], Lexeme] = {}
    origin: dict[tuple[str, ...], str] = {}

    def add(spec: str, lexeme: Lexeme, where: str) -> None:
        for phrase in phrases(spec):
            key = _key(phrase)
            if not key:
                continue
            if key in table and table[key] != lexeme:
                raise ValueError(
                    f"vocabulary phrase {phrase!r} is defined twice with different meanings "
                    f"({origin[key]} and {where}); remove one in spokenstyle/builtins/lexicon/vocabulary.py"
                )
            table[key] = lexeme
            origin[key] = where

    for spec, flag in V.FLAGS.items():
        add(spec, Lexeme("flag", name=flag), f"FLAGS[{flag}]")
    for name, (spec, amounts, palette) in V.LOOKS.items():
        add(spec, Lexeme("look", name, tuple(amounts.items()), tuple(palette) if palette else None), f"LOOKS[{name}]")
    for name, (spec, amounts, palette) in V.FILM_STOCKS.items():
        add(spec, Lexeme("look", name, tuple(amounts.items()), tuple(palette) if palette else None, medium="vintage_film"),
            f"FILM_STOCKS[{name}]")
    for name, (spec, medium, evokes, amounts, palette) in V.PAINTERS.items():
        add(spec, Lexeme("look", name, tuple(amounts.items()), tuple(palette) if palette else None, medium=medium,
                         evokes=evokes), f"PAINTERS[{name}]")
    for name, (spec, amounts, palette) in V.MEDIA_WORDS.items():
        add(spec, Lexeme("medium", name, tuple(amounts.items()), tuple(palette) if palette else None), f"MEDIA_WORDS[{name}]")
    for region, (spec, amounts) in V.HAZARDS.items():
        add(spec, Lexeme("hazard", region, tuple(amounts.items())), f"HAZARDS[{region}]")
    for spec, region in V.REGIONS.items():
        add(spec, Lexeme("region", region), f"REGIONS[{region}]")
    add(V.KEEPS, Lexeme("keep"), "KEEPS")
    add(V.LIMITS, Lexeme("limit"), "LIMITS")
    add(V.REDUCE, Lexeme("reduce"), "REDUCE")
    add(V.NEGATIONS, Lexeme("neg"), "NEGATIONS")
    add(V.TOO, Lexeme("too"), "TOO")
    post = {_key(p) for p in phrases(V.POSTFIX_DEGREES)}
    for spec, factor in V.DEGREES.items():
        for phrase in phrases(spec):
            lexeme = Lexeme("degree", factor=factor, post=_key(phrase) in post)
            add(phrase, lexeme, f"DEGREES[{factor}]")
    unknown_post = post - {k for k, lex in table.items() if lex.kind == "degree"}
    if unknown_post:
        raise ValueError(f"POSTFIX_DEGREES lists {sorted(unknown_post)}, which DEGREES does not define")
    objects = phrases(V.PHRASAL_OBJECTS)
    for spec, sign in V.DIRECTIONS.items():
        add(spec, Lexeme("dir", factor=float(sign)), f"DIRECTIONS[{sign}]")
        for phrase in phrases(spec):  # "bring down" -> "bring it down", "tone them down"
            words = phrase.split()
            if len(words) == 2 and phrase.isascii():
                for obj in objects:
                    add(f"{words[0]} {obj} {words[1]}", Lexeme("dir", factor=float(sign)), f"DIRECTIONS[{sign}] ({obj})")
    add(V.COPULAS, Lexeme("copula"), "COPULAS")
    add(V.COMPLAINT_PARTICLES, Lexeme("particle"), "COMPLAINT_PARTICLES")
    add(V.POST_TOO, Lexeme("post_too"), "POST_TOO")
    add(V.FIXES, Lexeme("fix"), "FIXES")
    add(V.LACKS, Lexeme("lack"), "LACKS")
    add(V.ENOUGH, Lexeme("enough"), "ENOUGH")
    for spec, amounts in V.ADJECTIVES.items():
        add(spec, Lexeme("attr", amounts=tuple(amounts.items())), "ADJECTIVES")
    colour_nouns = {_key(p) for p in phrases(V.COLOUR_NOUNS)}
    for spec, attr in V.NOUNS.items():
        for phrase in phrases(spec):
            add(phrase, Lexeme("noun", name=attr, amounts=((attr, V.PLAIN),), colour=_key(phrase) in colour_nouns), f"NOUNS[{attr}]")
    add(V.CLAUSE_WORDS, Lexeme("clause"), "CLAUSE_WORDS")
    add(V.STOPWORDS, Lexeme("stop"), "STOPWORDS")
    for spec, words in V.EMOJI.items():
        meaning = table.get(_key(words))
        if meaning is None:
            raise ValueError(f"EMOJI[{spec!r}] reads as {words!r}, which the vocabulary does not define")
        add(spec, meaning, f"EMOJI[{words}]")
    return table


# -------------------------------------------------------------------------------- tokens
_CLAUSE_PUNCT = set(",.;:!?()[]{}\"/\\|~<>。、；：！？…～—·“”‘’「」『』《》【】〈〉")


def is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF  # kana
    )


def is_symbol(ch: str) -> bool:
    """Emoji and other pictographs: one atom each (read by EMOJI, or reported as ignored)."""
    return unicodedata.category(ch) == "So" or 0x1F000 <= ord(ch) <= 0x1FAFF


def normalise(text: str) -> str:
    """NFKC (full-width to ASCII), lower case, traditional to simplified, spelled-out shorthands."""
    text = to_simplified(unicodedata.normalize("NFKC", text).lower())
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
        if is_cjk(ch):
            flush()
            atoms.append(ch)
            cjk.append(True)
        elif ch.isalnum() or (ch == "'" and word):
            word.append(ch)
        elif is_symbol(ch):
            flush()
            atoms.append(ch)
            cjk.append(False)
        else:
            flush()
            if ch in _CLAUSE_PUNCT:
                if not atoms or atoms[-1] != ",":
                    atoms.append(",")
                    cjk.append(False)
            # whitespace, hyphens, variation selectors and other marks just separate words
    flush()
    return atoms, cjk


LEXICON: dict[tuple[str, ...], Lexeme] = _build()
_MAX_KEY = max(len(k) for k in LEXICON)
#: English words the lexicon knows (any word of any phrase): the typo-correction vocabulary.
KNOWN_WORDS: frozenset[str] = frozenset(w for k in LEXICON for w in k if w.isascii() and w.isalpha())
#: Single words that carry meaning (not grammar words): what "did you mean" may suggest.
_CONTENT_KINDS = ("attr", "noun", "look", "medium", "flag", "hazard", "region")
SUGGESTIBLE: tuple[str, ...] = tuple(sorted(
    {" ".join(k) if not is_cjk(k[0][0]) else "".join(k) for k, lex in LEXICON.items()
     if lex.kind in _CONTENT_KINDS and not is_symbol(k[0][0])}
))
CLAUSE = Lexeme("clause")


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


def _known_single(word: str) -> bool:
    lex = LEXICON.get((word,))
    return lex is not None and lex.kind in ("attr", "look", "medium")


def _inflection(word: str) -> tuple[str, bool] | None:
    """(base, superlative) when ``word`` is a comparative or superlative of a known adjective or
    look: moodier -> (moody, False), dreamiest -> (dreamy, True), hotter -> (hot, False)."""
    for suffix, superlative, endings in (("iest", True, ("y",)), ("ier", False, ("y",)),
                                         ("est", True, ("", "e")), ("er", False, ("", "e"))):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            stem = word[: -len(suffix)]
            for ending in endings:
                if _known_single(stem + ending):
                    return stem + ending, superlative
            if len(stem) > 2 and stem[-1] == stem[-2] and _known_single(stem[:-1]):  # hotter, grimmer
                return stem[:-1], superlative
    return None


def _unstretch(word: str) -> str | None:
    """'sooo' -> 'so', 'warmerrr' -> 'warmer', 'coooool' -> 'cool': letters held for emphasis."""
    if not re.search(r"(.)\1\1", word):
        return None
    for repeat in (r"\1", r"\1\1"):
        candidate = re.sub(r"(.)\1{2,}", repeat, word)
        if candidate in KNOWN_WORDS:
            return candidate
    return None


@dataclass
class Token:
    lex: Lexeme | None  # None: unknown
    surface: str
    cjk: bool


def _read_words(atoms: list[str], cjk: list[bool]) -> tuple[list[str], list[bool], list[str]]:
    """Unknown English words read as what they most likely are; returns atoms, flags, notes."""
    out, flags, notes = [], [], []
    for a, is_cjk in zip(atoms, cjk):
        if is_cjk or a == "," or a in KNOWN_WORDS or not a.isascii() or not a.isalpha():
            out.append(a)
            flags.append(is_cjk)
            continue
        plain = _unstretch(a)
        if plain is not None:
            notes.append(f"'{a}' read as '{plain}'")
            a = plain
        inflected = _inflection(a) if plain is None else None
        if inflected is not None:
            base, superlative = inflected
            notes.append(f"'{a}' read as '{'very ' if superlative else ''}{base}'")
            if superlative:
                out.append("very")
                flags.append(False)
            a = base
        elif plain is None:
            fixed = _correct(a)
            if fixed is not None:
                notes.append(f"'{a}' read as '{fixed}' (typo)")
                a = fixed
        out.append(a)
        flags.append(False)
    return out, flags, notes


def tokenize(prompt: str) -> tuple[list[Token], list[str]]:
    """Longest-match the prompt against the lexicon. Returns tokens and reading notes."""
    atoms, cjk, notes = _read_words(*_atoms(normalise(prompt)))
    tokens: list[Token] = []
    i = 0
    while i < len(atoms):
        if atoms[i] == ",":
            tokens.append(Token(CLAUSE, ",", False))
            i += 1
            continue
        for n in range(min(_MAX_KEY, len(atoms) - i), 0, -1):
            key = tuple(atoms[i : i + n])
            if "," in key:
                continue
            lex = LEXICON.get(key)
            if lex is not None:
                surface = _join(atoms[i : i + n], cjk[i : i + n])
                if n == 1 and cjk[i] and lex.kind in ("dir", "attr") and atoms[i + 1 : i + 3] == ["一", atoms[i]]:
                    surface += "一" + atoms[i]  # 压一压, 提一提, 暖一暖: a verb said twice is the verb
                    n = 3
                tokens.append(Token(lex, surface, cjk[i]))
                i += n
                break
        else:
            # Unknown: a run of unknown Chinese characters is one ignored word.
            if cjk[i] and tokens and tokens[-1].lex is None and tokens[-1].cjk:
                tokens[-1].surface += atoms[i]
            else:
                tokens.append(Token(None, atoms[i], cjk[i]))
            i += 1
    return tokens, notes


def _join(atoms: list[str], cjk: list[bool]) -> str:
    out = ""
    for j, (a, c) in enumerate(zip(atoms, cjk)):
        if j and not (c and cjk[j - 1]):
            out += " "
        out += a
    return out


def glue(left: str, right: str, cjk: bool) -> str:
    return left + right if cjk else f"{left} {right}"
