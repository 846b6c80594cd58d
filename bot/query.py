"""A query as typed, made into index terms: typos corrected, unknown words named.

User text never reaches FTS5 syntax: it is cut into terms (bot.text), each term is
quoted (`quote`), and only the operators built by bot.search and bot.candidates join
them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA

from bot import text
from bot.errors import UserError
from bot.matching import Keyword
from bot.models import Paper
from bot.vocabulary import Vocabulary

MAX_QUERY_CHARS = 300  # a search query, title or topic, in Discord and the CLI alike
# When this many of a query's content words are known, a short word that no paper
# holds is left out rather than corrected: a word of a few letters is one or two edits away from
# many others (`stop` -> `step`, `twice` -> `taic`, `versus` -> `vearsus`), most likely
# a plain English word the archive lacks, and the other words carry the query.
LONG_QUERY_WORDS = 3
SHORT_WORD = 7  # letters: shorter words are not corrected in a long query
# Nor is a word corrected there to a term fewer papers hold: a typo is of a word people
# use (`straight` became `straig`, a word of one paper in a million).
RARE_CORRECTION = 3


@dataclass(frozen=True)
class QueryPlan:
    """A query cut into index terms, with typos replaced by known terms."""

    terms: tuple[str, ...]
    corrections: dict[str, str]
    # Words in no paper and too far from any indexed word to correct (or too short to
    # correct in a long query): left out (as typed, lowercased).
    unknown: tuple[str, ...] = ()
    typed: dict[str, str] = field(default_factory=dict)  # term -> the word as typed

    @property
    def all_terms(self) -> str:
        return " ".join(quote(term) for term in self.terms)

    @property
    def any_term(self) -> str:
        return " OR ".join(quote(term) for term in self.terms)


def make_plan(vocabulary: Vocabulary, query: str) -> QueryPlan:
    """`query`'s content terms, each known to the vocabulary or corrected to a known one;
    text in scripts without spaces is left to the substring search (bot.search)."""
    corrections: dict[str, str] = {}
    kept: list[str] = []
    unknown: list[str] = []
    words = text.words(query)
    terms = text.terms(query)
    typed = dict(zip(reversed(terms), reversed(words), strict=True))  # first word per term
    content = text.content_terms(terms)
    carried = sum(term in vocabulary for term in content) >= LONG_QUERY_WORDS
    for term in content:
        if term not in vocabulary and text.UNSPACED.search(term):
            continue  # looked up by substring instead (see search)
        if carried and term not in vocabulary and len(typed[term]) < SHORT_WORD:
            unknown.append(typed[term])
            continue
        corrected = vocabulary.correct(term)
        if corrected is None or (
            carried and corrected != term and vocabulary.count(corrected) < RARE_CORRECTION
        ):
            unknown.append(typed[term])
            continue
        if corrected != term:
            corrections[term] = corrected
        if corrected not in kept:
            kept.append(corrected)
    return QueryPlan(tuple(kept), corrections, tuple(unknown), typed)


def query_text(raw: str, what: str = "search") -> str:
    """A query, title or topic as typed, spacing tidied; UserError if blank or too long.

    `what` names the option in the message (`search`, `title`, `topic`).
    """
    query = " ".join(raw.split())
    if not query:
        raise UserError(f"Type a few words for the {what}, e.g. `diffusion models`.")
    if len(query) > MAX_QUERY_CHARS:
        raise UserError(
            f"That {what} is {len(query):,} characters long; "
            f"keep it under {MAX_QUERY_CHARS} characters."
        )
    return query


def quote(term: str) -> str:
    """One FTS5 string token; the only way user-derived text enters a MATCH."""
    return '"' + term.replace('"', '""') + '"'


def keyword_expression(keyword: Keyword) -> str:
    """An FTS5 query equal to `matching.matches`: the phrase, and NOT each exclude term."""
    expression = quote(" ".join(keyword.terms))
    for term in keyword.exclude:
        expression += " NOT " + quote(term)
    return expression


def readable_corrections(plan: QueryPlan, papers: Sequence[Paper]) -> dict[str, str]:
    """Each corrected word as typed -> its correction as the papers found spell it.

    Corrections are index terms, which may be stems (`langauge` -> `languag`); of the
    words in `papers` with that stem, the one closest to what was typed is shown
    (`language`). A correction that none of them spells stays as it is.
    """
    if not plan.corrections:
        return {}
    spellings: dict[str, set[str]] = {term: set() for term in plan.corrections.values()}
    for paper in papers:
        for passage in (paper.title, paper.abstract):
            for word, term in zip(text.words(passage), text.terms(passage), strict=True):
                if term in spellings:
                    spellings[term].add(word)
    readable = {}
    for term, corrected in plan.corrections.items():
        typed = plan.typed.get(term, term)
        candidates = spellings[corrected] or {corrected}
        readable[typed] = min(candidates, key=lambda word: (OSA.distance(typed, word), word))
    return readable
