"""Stage 2 of the lexicon: tokens to clauses of :class:`Term` (a content word with the modifiers
that govern it: degree, direction, mode). The modes are listed in the package docstring."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import vocabulary as V
from .tokenize import CLAUSE, Lexeme, Token, glue, phrases


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
    also: list[str] = field(default_factory=list)  # words of later clauses that act on it ("压一压")
    lack: bool = False  # "not enough contrast", 不够亮: a complaint that the photo has too little

    @property
    def factor(self) -> float:
        return (self.degree if self.degree is not None else 1.0) * self.sign

    def attach(self, words: str, cjk: bool) -> None:
        self.surface = glue(self.surface, words, cjk)


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
    copula: bool = False  # "it's", "is": the next state word describes the photo (a complaint)
    fix: bool = False  # "fix it", 修一下: acts on a complaint, else nothing
    lack: bool = False  # "not enough", 不够: the next word is missing from the photo
    enough: bool = False  # 够亮: the next word is as it should be
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
        return glue("".join(self.words) if cjk else " ".join(self.words), word, cjk)


def parse(tokens: list[Token]) -> tuple[list[Clause], list[str]]:
    """Tokens -> clauses of :class:`Term`, and the words that were not understood.

    A clause of modifiers alone is an afterthought about the clause before it ("warmer, a
    bit"; "brighter, not too much"): its degree replaces the last term's, its limit caps it.
    """
    clauses: list[Clause] = []
    ignored: list[str] = []
    chunk: list[Token] = []
    for tok in tokens + [Token(CLAUSE, ",", False)]:
        if tok.lex is None or tok.lex.kind != "clause":
            chunk.append(tok)
            continue
        clause, pending = _parse_clause(chunk, ignored)
        chunk = []
        host = next((c for c in reversed(clauses) if c.terms), None)
        if not clause.terms and not pending.empty and host is not None and (
            _acts_on_complaint(pending, host) or _contradicted(pending, host) or _afterthought(pending, host)
        ):
            continue
        if clause.terms and not pending.empty and _acts_on_complaint(pending, clause):
            pending = _State()  # "too bright bring it down": the verb after the complaint, one clause
        if not pending.empty and not _only_fix(pending):
            clause.stray.append(" ".join(pending.words))
        clauses.append(clause)
    return clauses, ignored


def _only_fix(state: _State) -> bool:
    """"fix it" with nothing to fix: said, and nothing to do (as before there was a complaint)."""
    return state.fix and not (state.directed or state.neg or state.limit or state.too or state.reduce or state.keep)


def _acts_on_complaint(state: _State, host: Clause) -> bool:
    """A clause of verbs alone after a complaint ("过曝了，压一压", "it's blown out, bring it down",
    "too dark, fix it") acts on the complained-of attribute, in the complaint's direction; its
    degree, if it has one, replaces the complaint's. False when ``host`` has no complaint."""
    if state.neg or state.limit or state.too or state.reduce or state.keep:
        return False
    if not (state.directed or state.fix or state.degree is not None):
        return False
    term = next((t for t in reversed(host.terms) if t.mode == "too"), None)
    if term is None:
        return False
    words = "".join(state.words) if all(not w.isascii() for w in state.words) else " ".join(state.words)
    move = complaint_move(term)
    ways = ", ".join(f"{attr} {'up' if v > 0 else 'down'}" for attr, v in move.items() if v)
    note = f"'{words}' after the complaint '{term.surface}' acts on it: {ways}"
    main = max(move.values(), key=abs, default=0.0)
    if state.directed and main * state.sign < 0:
        note += f" (the complaint's direction, not the verb's)"
    if state.degree is not None:
        note += f", degree x{state.degree:g}" + (f" instead of x{term.degree:g}" if term.degree is not None else "")
        term.degree = state.degree
    term.notes.append(note)
    term.also.append(words)
    return True


def _contradicted(state: _State, host: Clause) -> bool:
    """"overexposed, bring it down", "dark, bring it up": a bare state word and then a verb alone
    that moves the other way. Read as a request it would undo itself; it is a complaint."""
    if not state.directed or state.neg or state.limit or state.too or state.reduce or state.keep or state.fix:
        return False
    term = host.terms[-1]
    if term.mode != "add" or term.degree is not None or term.directed or term.lex.kind not in ("attr", "hazard"):
        return False
    if term.word.endswith(("er", "en")) or not _is_state(term):  # "warmer, bring it down": a comparative
        return False
    main = max((v for _, v in term.lex.amounts), key=abs, default=0.0)
    if main * state.sign >= 0:
        return False
    term.mode = "too"
    term.notes.append(f"'{term.surface}' and then '{' '.join(state.words)}', the other way: '{term.surface}' is a complaint")
    return _acts_on_complaint(state, host)


def complaint_move(term: Term) -> dict[str, float]:
    """What a complaint (mode ``too``) does: the amounts of its word, the other way."""
    sign = term.sign if term.directed else 1.0
    scale = -sign * (term.degree if term.degree is not None else 1.0)
    return {k: v * scale for k, v in term.lex.amounts}


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


def _parse_clause(chunk: list[Token], ignored: list[str]) -> tuple[Clause, _State]:
    """One clause's tokens -> its terms, and the modifiers still waiting at its end."""
    clause = Clause()
    state = _State()
    last: Term | None = None  # the term a following 一点 / 高 / 不变 may still modify
    last_at = -2  # the index of the token that last made or directed ``last`` (for 了)
    for index, tok in enumerate(chunk):
        lex = tok.lex
        if lex is None:
            ignored.append(tok.surface)
            last, state.copula = None, False
            continue
        kind = lex.kind
        if kind == "stop":
            if tok.surface not in _COPULA_GAP:
                state.copula = False  # "it's nice, just warmer", "it's ok make it warmer": a request
            continue
        if kind == "copula":
            state.copula = True
            continue
        if kind == "particle":  # 过曝了, 颜色淡了, 饱和度高了, 过曝咗: a complaint at the end of a clause
            if last is not None and last_at == index - 1 and _next_kind(chunk, index) is None:
                _complain(last)
            continue
        if kind == "post_too":  # 光得滞, 亮过头了
            if last is not None and last_at == index - 1 and last.mode == "add" and _is_state(last, any_word=True):
                last.mode = "too"
                last.attach(tok.surface, tok.cjk)
            continue
        if kind == "fix":
            state.fix = True
            state.words.append(tok.surface)
            continue
        if kind == "lack":
            if last is not None and last_at == index - 1 and state.empty and last.mode in ("add", "topic"):
                _lacking(last)  # 对比度不够, 亮度不足: after the word
                last.attach(tok.surface, tok.cjk)
                last_at = index
                continue
            state.lack = True
            state.words.append(tok.surface)
            continue
        if kind == "enough":  # "not bright enough": lacking; "bright enough": keep it
            if last is not None and last_at == index - 1 and state.empty:
                if last.mode == "remove":
                    _lacking(last)
                elif last.mode == "add" and not last.lack:
                    last.mode = "hold"
                last.attach(tok.surface, tok.cjk)
            elif tok.cjk:  # 够亮了: enough as it is
                state.enough = True
                state.words.append(tok.surface)
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
                state, last_at = _State(), index
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
            if state.lack:
                _lacking(term)  # "not enough contrast", 不够亮
            elif state.enough and term.mode == "add" and lex.kind in ("attr", "noun"):
                term.mode = "hold"  # 够亮了: leave the brightness alone
            if state.copula and lex.kind in ("attr", "hazard", "noun") and term.mode == "add":
                _complain(term)  # "it's blown out", "the photo is overexposed", "it's low contrast"
            if tok.cjk and tok.surface.endswith(("了", "咗")) and _next_kind(chunk, index) is None:
                _complain(term)  # 爆了: the particle is part of the word
            state, last, last_at = _State(), term, index
            continue
        state.words.append(tok.surface)
    _mark_topics(clause)
    return clause, state


def _post_degree(tok: Token, chunk: list[Token], index: int, last: Term | None, state: _State) -> bool:
    """暖一点, "warmer a bit": a degree right after its word. True when it was applied."""
    lex = tok.lex
    if not lex.post or last is None or not state.empty:
        return False
    if last.degree is None and (tok.cjk or _next_kind(chunk, index) is None):
        last.degree = lex.factor
        last.attach(tok.surface, tok.cjk)
        return True
    if tok.cjk and last.degree is not None:
        # 稍微亮一点: the trailing 一点 agrees with the leading 稍微; not applied twice. After 更 / 再
        # (x1: "more") it says how much more: 再暗一点点 is a tiny bit darker
        if last.degree == 1.0:
            last.degree = lex.factor
        last.surface += tok.surface
        return True
    return False


def _post_direction(tok: Token, last: Term | None, state: _State) -> bool:
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
    if state.copula and last.mode == "add":
        last.mode = "too"  # "the contrast is low": a complaint
    last.attach(glue("".join(state.words), tok.surface, tok.cjk) if state.words else tok.surface, tok.cjk)
    return True


def _keep_after(term: Term) -> None:
    if term.lex.kind == "region":
        term.mode, term.region = "protect", term.lex.name
    elif term.lex.kind == "noun":
        term.mode = "protect" if term.lex.name == "shadows" else "hold"
        term.region = "shadows" if term.mode == "protect" else ""


def _content(tok: Token, state: _State, clause: Clause, next_kind: str | None) -> Term | None:
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
                term.surface = glue(previous.surface, phrase, tok.cjk)
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


_PARTICLES = frozenset(phrases(V.PARTICLES))
#: The only stopwords that may stand between a copula and the state word it describes ("it's all
#: washed out", "it's looking dark"); any other ("it's nice just warmer") ends the description.
_COPULA_GAP = frozenset("a an all just looking still now overall kind sort lot".split())
#: Verbs of editing that start a Chinese word (调暗, 提亮, 压暗): with 了 they report an edit, not a state.
_VERB_PREFIXES = tuple("调提压加降减增拉收")


def _is_state(term: Term, any_word: bool = False) -> bool:
    """Whether ``term`` names a state of the photo that 了 can complain about."""
    if term.lex.kind in ("attr", "hazard"):
        return any_word or not (len(term.word) > 1 and term.word.startswith(_VERB_PREFIXES))
    return term.lex.kind == "noun" and term.directed


def _lacking(term: Term) -> None:
    """Read ``term`` as a complaint that the photo has too little of it: the look adds it."""
    term.mode, term.lack = "add", True


def _complain(term: Term) -> None:
    """Read ``term`` as a complaint: the photo *is* that, so the look moves away from it."""
    if term.mode in ("add", "too") and _is_state(term):
        term.mode = "too"
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


def _next_kind(chunk: list[Token], index: int) -> str | None:
    for tok in chunk[index + 1 :]:
        if tok.lex is None:
            return "unknown"
        if tok.lex.kind != "stop":
            return tok.lex.kind
    return None
