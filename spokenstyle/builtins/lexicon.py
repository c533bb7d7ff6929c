"""The built-in ``lexicon`` text encoder: colloquial English and Chinese to a StyleIntent.

Offline, no weights. It is a small grammar over the vocabulary in ``vocabulary.py``, in three
stages, each a function of its own:

1. **Tokenise** (:func:`tokenize`): NFKC (full-width letters and punctuation become ASCII),
   lower case, traditional Chinese characters written simplified (:mod:`.hanzi`), "b&w" ->
   "black and white"; then atoms (English words, single Chinese characters, emoji, clause
   breaks), and the longest vocabulary phrase at every position, so 不要太暗 is "limit +
   dark", not "no + too + dark". Unknown English words are read through their inflection
   ("moodier" -> moody, "dreamiest" -> very dreamy), stretched letters ("sooo") and typos
   (difflib; 4-letter words only for swapped letters); every correction is reported.
2. **Parse** (:func:`parse`): clause by clause, modifiers wait for the content word they govern
   and make a :class:`Term` of it: a degree scales it (有点 x0.5, 很 x1.6, 超级 x2; also after
   the word: 暖一点, "warmer a bit", and as an afterthought clause: "warmer, a bit",
   暖一些吧，一点点就好, which replaces the degree); a direction sets its sign ("less
   saturated", 降低饱和度, 对比度高一点); and its *mode* says what is asked of it:

   ===========  =========================================  =====================================
   mode         words                                      meaning
   ===========  =========================================  =====================================
   add          warmer, 暖                                 move the photo that way
   remove       no grain, 不要颗粒, no colour at all       none of it (no colour = black and white)
   limit        not too dark, 别太暖, "warmer, not too      the rest of the prompt may move it a
                much"                                      little, never more
   reduce       not so vivid, 没那么暗, 不要那么鲜艳,      less of it than the photo has: move
                too dark, 太暗了                           the other way
   protect      keep the highlights, 别过曝, 保留肤色,     the look applies, but the grade keeps
                don't crush the blacks                     that region (``StyleIntent.protect``)
   hold         keep the contrast, 对比度不变              leave that attribute alone
   topic        颜色 in 颜色淡一点, "warm colours"         names what another word changes
   ===========  =========================================  =====================================

3. **Resolve** (:func:`resolve`): amounts are summed per attribute (a look named twice counts
   once), then removals, limits and holds are applied whatever their position in the prompt
   ("not too dark, moody" == "moody, not too dark"), and everything is clamped to [-1, 1].
   Each decision becomes a note in the intent; ignored words get "did you mean" suggestions.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from ..intent import StyleIntent
from . import vocabulary as V
from .hanzi import to_simplified


# --------------------------------------------------------------------------------- lexicon
@dataclass(frozen=True)
class Lexeme:
    """What one vocabulary phrase means."""

    #: attr noun look medium flag hazard region keep degree dir neg limit too reduce stop clause
    kind: str
    name: str = ""  # attribute (noun), look, medium, flag or region name
    amounts: tuple[tuple[str, float], ...] = ()  # attr/noun/look/medium/hazard
    palette: tuple[str, ...] | None = None
    factor: float = 1.0  # degree factor, or direction sign
    post: bool = False  # degree word that may follow what it governs
    colour: bool = False  # a noun for the photo's colour itself ("no colour" = black and white)


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
    for region, (spec, amounts) in V.HAZARDS.items():
        add(spec, Lexeme("hazard", region, tuple(amounts.items())), f"HAZARDS[{region}]")
    for spec, region in V.REGIONS.items():
        add(spec, Lexeme("region", region), f"REGIONS[{region}]")
    add(V.KEEPS, Lexeme("keep"), "KEEPS")
    add(V.LIMITS, Lexeme("limit"), "LIMITS")
    add(V.REDUCE, Lexeme("reduce"), "REDUCE")
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
    colour_nouns = {_key(p) for p in _phrases(V.COLOUR_NOUNS)}
    for spec, attr in V.NOUNS.items():
        for phrase in _phrases(spec):
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


def _is_cjk(ch: str) -> bool:
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0xF900 <= code <= 0xFAFF
        or 0x3040 <= code <= 0x30FF  # kana
    )


def _is_symbol(ch: str) -> bool:
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
        if _is_cjk(ch):
            flush()
            atoms.append(ch)
            cjk.append(True)
        elif ch.isalnum() or (ch == "'" and word):
            word.append(ch)
        elif _is_symbol(ch):
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
_SUGGESTIBLE: tuple[str, ...] = tuple(sorted(
    {" ".join(k) if not _is_cjk(k[0][0]) else "".join(k) for k, lex in LEXICON.items()
     if lex.kind in _CONTENT_KINDS and not _is_symbol(k[0][0])}
))
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
class _Token:
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


def tokenize(prompt: str) -> tuple[list[_Token], list[str]]:
    """Longest-match the prompt against the lexicon. Returns tokens and reading notes."""
    atoms, cjk, notes = _read_words(*_atoms(normalise(prompt)))
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


def _glue(left: str, right: str, cjk: bool) -> str:
    return left + right if cjk else f"{left} {right}"


# --------------------------------------------------------------------------------- parse
@dataclass
class Term:
    """A content word with the modifiers that govern it: the unit :func:`resolve` works on."""

    lex: Lexeme
    surface: str  # as written, modifiers included ("不要那么鲜艳")
    word: str = ""  # the content word alone ("鲜艳")
    mode: str = "add"  # add remove limit reduce too protect hold topic (module docstring)
    degree: float | None = None
    sign: float = 1.0
    directed: bool = False
    region: str = ""  # what a protect term keeps
    notes: list[str] = field(default_factory=list)

    @property
    def factor(self) -> float:
        return (self.degree if self.degree is not None else 1.0) * self.sign

    def attach(self, words: str, cjk: bool) -> None:
        self.surface = _glue(self.surface, words, cjk)


@dataclass
class Clause:
    """The terms of one clause, and modifier words that found nothing to govern."""

    terms: list[Term] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)


@dataclass
class _State:
    """Modifiers seen in a clause, waiting for the content word they govern."""

    degree: float | None = None
    sign: float = 1.0
    directed: bool = False
    neg: bool = False
    limit: bool = False
    too: bool = False
    reduce: bool = False
    keep: bool = False
    words: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.words

    @property
    def mode(self) -> str:
        if self.limit or (self.neg and self.too):  # 不要颜色太艳: "don't ... too" is a limit
            return "limit"
        if self.reduce:
            return "reduce"
        if self.neg:
            return "remove"
        return "too" if self.too else "add"

    def phrase(self, word: str, cjk: bool) -> str:
        if not self.words:
            return word
        return _glue("".join(self.words) if cjk else " ".join(self.words), word, cjk)


def parse(tokens: list[_Token]) -> tuple[list[Clause], list[str]]:
    """Tokens -> clauses of :class:`Term`, and the words that were not understood.

    A clause of modifiers alone is an afterthought about the clause before it ("warmer, a
    bit"; "brighter, not too much"): its degree replaces the last term's, its limit caps it.
    """
    clauses: list[Clause] = []
    ignored: list[str] = []
    chunk: list[_Token] = []
    for tok in tokens + [_Token(_CLAUSE, ",", False)]:
        if tok.lex is None or tok.lex.kind != "clause":
            chunk.append(tok)
            continue
        clause, pending = _parse_clause(chunk, ignored)
        chunk = []
        host = next((c for c in reversed(clauses) if c.terms), None)
        if not clause.terms and not pending.empty and host is not None and _afterthought(pending, host):
            continue
        if not pending.empty:
            clause.stray.append(" ".join(pending.words))
        clauses.append(clause)
    return clauses, ignored


def _afterthought(state: _State, host: Clause) -> bool:
    """Apply a clause of modifiers alone to the last term of ``host``; False when it does not fit."""
    words = " ".join(state.words)
    term = host.terms[-1]
    if term.mode != "add" or state.neg or state.too or state.reduce or state.keep:
        return False
    if state.limit:
        host.terms.append(Term(term.lex, f"{term.surface}, {words}", word=term.word, mode="limit",
                               sign=term.sign, directed=term.directed))
        return True
    if state.degree is None or state.directed:
        return False
    term.notes.append(f"'{words}' after '{term.surface}': degree x{state.degree:g}"
                      + (f" instead of x{term.degree:g}" if term.degree is not None else ""))
    term.degree = state.degree
    term.surface = f"{term.surface}, {words}"
    return True


def _parse_clause(chunk: list[_Token], ignored: list[str]) -> tuple[Clause, _State]:
    """One clause's tokens -> its terms, and the modifiers still waiting at its end."""
    clause = Clause()
    state = _State()
    last: Term | None = None  # the term a following 一点 / 高 / 不变 may still modify
    for index, tok in enumerate(chunk):
        lex = tok.lex
        if lex is None:
            ignored.append(tok.surface)
            last = None
            continue
        kind = lex.kind
        if kind == "stop":
            continue
        if kind == "degree":
            if _post_degree(tok, chunk, index, last, state):
                continue
            state.degree = (state.degree or 1.0) * lex.factor
        elif kind == "dir":
            if last is not None and state.empty and last.lex.kind == "attr" and not tok.cjk and tok.surface in _PARTICLES:
                last.attach(tok.surface, tok.cjk)  # "warm this up": the particle agrees with the verb
                continue
            if _post_direction(tok, last, state):
                state = _State()
                continue
            state.sign *= lex.factor
            state.directed = True
        elif kind == "keep":
            if last is not None and state.empty and (last.mode == "topic" and last.lex.kind in ("region", "noun")
                                                     or last.mode == "protect"):
                _keep_after(last)  # 肤色不变, "skin tones intact", "leave the skin alone"
                last.attach(tok.surface, tok.cjk)
                continue
            state.keep = True
        elif kind in ("neg", "limit", "too", "reduce"):
            setattr(state, kind, True)
        else:
            term = _content(tok, state, clause, _next_kind(chunk, index))
            if term is None:  # a negated topic noun: its modifiers wait for the next word
                state.words.append(tok.surface)
                continue
            if not clause.terms or term is not clause.terms[-1]:
                clause.terms.append(term)
            state, last = _State(), term
            continue
        state.words.append(tok.surface)
    _mark_topics(clause)
    return clause, state


def _post_degree(tok: _Token, chunk: list[_Token], index: int, last: Term | None, state: _State) -> bool:
    """暖一点, "warmer a bit": a degree right after its word. True when it was applied."""
    lex = tok.lex
    if not lex.post or last is None or not state.empty:
        return False
    if last.degree is None and (tok.cjk or _next_kind(chunk, index) is None):
        last.degree = lex.factor
        last.attach(tok.surface, tok.cjk)
        return True
    if tok.cjk and last.degree is not None:
        # 稍微亮一点: the trailing 一点 agrees with the leading 稍微; not applied twice
        last.surface += tok.surface
        return True
    return False


def _post_direction(tok: _Token, last: Term | None, state: _State) -> bool:
    """对比度高一点, 暖色加强, 对比度太高了: a direction after the word (with what waits)."""
    if last is None or last.directed or last.mode not in ("add", "topic") or last.lex.kind not in ("noun", "attr", "look"):
        return False
    if state.directed or state.keep or (state.degree is not None and last.degree is not None):
        return False
    if last.lex.kind != "noun" and not (tok.cjk and state.empty):
        return False  # 暖色加强; but in English "brighter less saturated" is two requests
    last.directed = True
    last.sign *= tok.lex.factor
    if state.degree is not None:
        last.degree = state.degree
    if not state.empty:  # 对比度太高: the too / limit / reduce waiting here governs the noun
        last.mode = state.mode
    if last.mode == "topic":
        last.mode = "add"
    last.attach(_glue("".join(state.words), tok.surface, tok.cjk) if state.words else tok.surface, tok.cjk)
    return True


def _keep_after(term: Term) -> None:
    if term.lex.kind == "region":
        term.mode, term.region = "protect", term.lex.name
    elif term.lex.kind == "noun":
        term.mode = "protect" if term.lex.name == "shadows" else "hold"
        term.region = "shadows" if term.mode == "protect" else ""


def _content(tok: _Token, state: _State, clause: Clause, next_kind: str | None) -> Term | None:
    """A content word with the modifiers before it -> a Term (or the merged previous one)."""
    lex = tok.lex
    phrase = state.phrase(tok.surface, tok.cjk)
    term = Term(lex, phrase, word=tok.surface, mode=state.mode, degree=state.degree, sign=state.sign, directed=state.directed)
    previous = clause.terms[-1] if clause.terms else None
    if lex.kind == "noun" and state.mode in ("remove", "limit", "reduce") and next_kind in _MODIFIER_KINDS:
        return None  # 不要颜色太艳: the noun names the topic; the negation governs what follows
    if lex.kind in ("region", "hazard"):
        protected = state.keep or (lex.kind == "hazard" and state.mode in ("remove", "limit"))
        if protected:
            term.mode, term.region = "protect", lex.name
            if previous is not None and previous.mode == "topic" and previous.lex.kind == "region" and previous.lex.name == lex.name:
                clause.terms.pop()  # 高光别过曝: the topic joins its protection
                term.surface = _glue(previous.surface, phrase, tok.cjk)
            return term
        if previous is not None and previous.mode == "protect" and state.empty:
            previous.attach(tok.surface, tok.cjk)  # "keep the highlights from blowing out"
            return previous
        if lex.kind == "region":
            term.mode = "topic"
        return term
    if state.keep and lex.kind == "noun":
        _keep_after(term)  # "keep the shadows" protects; "keep the contrast" holds it
    return term


_PARTICLES = frozenset(_phrases(V.PARTICLES))
_MODIFIER_KINDS = ("degree", "dir", "neg", "limit", "too", "reduce")


def _mark_topics(clause: Clause) -> None:
    """An undirected noun is a topic when another word of its clause says how it changes
    ("sharp details", "warm colours", 颜色淡一点); a colour noun is one next to any look."""
    for term in clause.terms:
        if term.lex.kind != "noun" or term.mode != "add" or term.directed or term.degree is not None:
            continue
        attr = term.lex.name
        others = [t for t in clause.terms if t is not term and t.mode in ("add", "too", "reduce")
                  and t.lex.kind in ("attr", "look", "medium", "noun")]
        if any(attr in dict(t.lex.amounts) for t in others) or (term.lex.colour and others):
            term.mode = "topic"


def _next_kind(chunk: list[_Token], index: int) -> str | None:
    for tok in chunk[index + 1 :]:
        if tok.lex is None:
            return "unknown"
        if tok.lex.kind != "stop":
            return tok.lex.kind
    return None


# ------------------------------------------------------------------------------- resolve
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

    def note(self) -> str:
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
    if mode in ("too", "reduce"):
        sign = term.sign if term.directed else 1.0
        scale = -sign * (term.degree if term.degree is not None else 1.0)
        label = f"the photo is too {term.word}, so" if mode == "too" else "less of it than the photo has"
        r.effect(_Effect(phrase, {k: v * scale for k, v in amounts.items()}, label=label))
        return
    effect = _Effect(phrase, {k: v * term.factor for k, v in amounts.items()}, degree=term.degree, palette=lex.palette)
    if lex.kind == "medium":
        if r.medium is not None and r.medium != lex.name:
            r.notes.append(f"several media asked for: {_words(lex.name)} replaces {_words(r.medium)}")
        r.medium = lex.name
        effect.label = f"medium {_words(lex.name)}, with its colour look"
    elif lex.kind == "look":
        effect.label = f"look {_words(lex.name)}"
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
        if not effect.label or effect.label.startswith(("the photo", "less of", "no colour")):
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
        if word in out or _is_symbol(word[0]):
            continue
        if _is_cjk(word[0]):
            scored = [(difflib.SequenceMatcher(None, word, p).ratio(), p) for p in _SUGGESTIBLE
                      if _is_cjk(p[0]) and set(p) & set(word)]
            close = [p for score, p in sorted(scored, key=lambda s: (-s[0], s[1])) if score >= 0.5][:3]
        elif len(word) >= 3 and word.isalpha():
            close = difflib.get_close_matches(word, [p for p in _SUGGESTIBLE if p.isascii()], n=3, cutoff=0.7)
        else:
            close = []
        if close:
            out[word] = close
    return out


class LexiconEncoder:
    """Colloquial English/Chinese to :class:`~spokenstyle.intent.StyleIntent`, offline.

    >>> LexiconEncoder().encode("a bit warmer")["warmth"]
    0.2
    """

    name = "lexicon"

    def encode(self, prompt: str | None) -> StyleIntent:
        """Tokenise, parse and resolve ``prompt`` (see the module docstring)."""
        text = (prompt or "").strip()
        if not text:
            return StyleIntent(prompt="", encoder=self.name, notes=["empty prompt: no change"])
        tokens, reading_notes = tokenize(text)
        clauses, ignored = parse(tokens)
        return resolve(clauses, prompt=text, ignored=ignored, notes=reading_notes, encoder=self.name)
