"""The built-in ``lexicon`` text encoder: colloquial English and Chinese to a StyleIntent.

Offline, no weights. It is a small grammar over the vocabulary in :mod:`.vocabulary`, in three
stages, each a module of its own:

1. **Tokenise** (:mod:`.tokenize`): NFKC (full-width letters and punctuation become ASCII),
   lower case, traditional Chinese characters written simplified (:mod:`.hanzi`), "b&w" ->
   "black and white"; then atoms (English words, single Chinese characters, emoji, clause
   breaks), and the longest vocabulary phrase at every position, so 不要太暗 is "limit +
   dark", not "no + too + dark". Unknown English words are read through their inflection
   ("moodier" -> moody, "dreamiest" -> very dreamy), stretched letters ("sooo") and typos
   (difflib; 4-letter words only for swapped letters); every correction is reported.
2. **Parse** (:mod:`.parse`): clause by clause, modifiers wait for the content word they govern
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
                唔好咁暗                                   the other way
   too          too dark, 太暗了, 过曝了, 过曝咗, 光得滞,   a complaint: the photo *is* that, so
                "it's blown out", "the contrast is low"    the look moves away from it
   protect      keep the highlights, 别过曝, 保留肤色,     the look applies, but the grade keeps
                don't crush the blacks                     that region (``StyleIntent.protect``)
   hold         keep the contrast, 对比度不变              leave that attribute alone
   topic        颜色 in 颜色淡一点, "warm colours"         names what another word changes
   ===========  =========================================  =====================================

   **Complaints** are a grammar, not a word list: a state word (an adjective, a hazard such as
   过曝 / "blown out", or a noun with its direction: 饱和度高) is a complaint after 太 / too,
   after a copula ("it's", "is", "looks", "came out") with only a degree (or all, just) between, before
   a clause-final 了 / 咗, or with a postfix 得滞 / 过头. A clause of verbs alone after a complaint
   (压一压, "bring it down", "fix it", 执下) acts on the complained-of attribute in the
   complaint's direction; its degree, if any, replaces the complaint's. Alone, a state word is
   still a look ("overexposed", 过曝), and an editing verb with 了 (调暗了) is no state.

3. **Resolve** (:mod:`.resolve`): amounts are summed per attribute (a look named twice counts
   once), then removals, limits and holds are applied whatever their position in the prompt
   ("not too dark, moody" == "moody, not too dark"), and everything is clamped to [-1, 1].
   Each decision becomes a note in the intent; ignored words get "did you mean" suggestions.
"""

from __future__ import annotations

from ...intent import StyleIntent
from .parse import Clause, Term, parse
from .resolve import GOVERNS, resolve, suggest
from .tokenize import KNOWN_WORDS, LEXICON, Lexeme, Token, normalise, tokenize

__all__ = [
    "GOVERNS",
    "KNOWN_WORDS",
    "LEXICON",
    "Clause",
    "Lexeme",
    "LexiconEncoder",
    "Term",
    "Token",
    "normalise",
    "parse",
    "resolve",
    "suggest",
    "tokenize",
]


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
