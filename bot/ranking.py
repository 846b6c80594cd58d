"""How `/search` scores a candidate paper against a query: pure functions, no SQL.

bot.candidates gathers candidates from the whole archive; this module orders them
(`best`). The score is BM25F over title and abstract (title words count
`TITLE_WEIGHT` times) with three additions that set a paper about the query apart
from one that merely holds its words:

- a title word counts fully only when the abstract uses it too (`TITLE_ALONE`
  otherwise): a paper's own subject recurs in its abstract;
- query words that follow each other in the query and in the paper ("typical
  sampling", "reasoning steps", a stopword allowed between) add a phrase score, as in
  the sequential dependence model (Metzler and Croft, 2005);
- the title's share of the query, and how close the query's words stand in the
  abstract, add bonuses; an exact title or a title's `Name:` wins outright.

IDF comes from the vocabulary's document counts, capped (`IDF_CAP`) so that one
rare word a person half remembers cannot outweigh the rest of the query.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import text

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 5.0
TITLE_ALONE = 0.25  # what a title word counts when the abstract never uses it
IDF_CAP = 4.0
TITLE_SHARE_BONUS = 6.0  # times the IDF share of the query found in the title
TITLE_COUNT_BONUS = 3.0  # times the share of the query's words found in the title
PHRASE_WEIGHT = 1.0
PHRASE_TITLE_HITS = 5.0  # a phrase in the title counts as this many in the abstract
PROXIMITY_BONUS = 6.0
PRESCORED = 30  # candidates, by a cheap first estimate (`Scorer.prescore`), fully scored
MAX_RESULTS = 50
EXACT_TITLE_BONUS = 1000.0
NAME_BONUS = 500.0  # the query is the title's part before ":" ("TALC", "QCRD")
_GAP_CHARS = 12  # at most this between two words of a phrase (a stopword fits)
_CHARS_PER_WORD = 7.0
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Concept:
    """One word of a query as searched: its index term and, for an acronym the archive
    defines, its expansion ("nlp": stems ("natur", "languag", "process"), spelt
    "natural language processing")."""

    term: str
    typed: str | None = None  # the word as typed, lowercased
    expansion: tuple[str, ...] = ()
    spellings: tuple[str, ...] = ()
    # Whether the index is asked for the expansion as a phrase too (bot.concepts: only
    # when it is selective); the scorer reads it either way.
    searched: bool = False


def idf(papers: int, total: int) -> float:
    """BM25's IDF for a term in `papers` of `total` papers, capped at IDF_CAP."""
    papers = min(papers, total)
    return min(math.log(1 + (total - papers + 0.5) / (papers + 0.5)), IDF_CAP)


@dataclass(frozen=True)
class Lengths:
    """Average terms per title and per abstract (BM25's length normalisation)."""

    title: float = 9.6
    abstract: float = 242.0


class Scorer:
    """Scores papers for one query: its concepts, with their IDF."""

    def __init__(
        self,
        concepts: Sequence[Concept],
        idfs: Mapping[str, float],
        query_key: str,
        lengths: Lengths = Lengths(),
    ) -> None:
        self.concepts = list(concepts)
        self.terms = [concept.term for concept in concepts]
        self.idfs = dict(idfs)
        self.total_idf = sum(self.idfs.values()) or 1.0
        self.query_key = query_key
        self.lengths = lengths
        self.pairs = list(zip(self.terms, self.terms[1:], strict=False))
        # Expansions are read as their acronym: "natural language processing" -> "nlp".
        self.spellings = [
            (spelling, concept.term) for concept in concepts for spelling in concept.spellings
        ]

    def _read(self, title: str, abstract: str) -> tuple[list[str], str]:
        lowered = abstract.lower() if abstract.isascii() else text.fold(abstract)
        if self.spellings:
            title = " ".join(text.words(title))
            for spelling, term in self.spellings:
                if spelling in lowered:
                    lowered = lowered.replace(spelling, term)
                if spelling in title:
                    title = title.replace(spelling, term)
        return text.terms(title), lowered

    def prescore(self, title: str, abstract: str) -> float:
        """A cheap first estimate (substring counts, and the title's share of the query
        as in `score`), to pick which papers to score."""
        lowered, title_lowered = abstract.lower(), title.lower()
        score = title_share = title_count = 0.0
        for term, weight in self.idfs.items():
            in_abstract = lowered.count(term)
            in_title = title_lowered.count(term)
            if in_abstract or in_title:
                counts = 1.0 if in_abstract else TITLE_ALONE
                tf = TITLE_WEIGHT * in_title * counts + in_abstract
                score += weight * tf * (K1 + 1) / (tf + K1)
                if in_title:
                    title_share += weight * counts
                    title_count += counts
        score += TITLE_SHARE_BONUS * title_share / self.total_idf
        score += TITLE_COUNT_BONUS * title_count / max(len(self.idfs), 1)
        # The exact title's paper is always kept (`best`); only a name is checked here.
        return score + _name_bonus(title, self.query_key)

    def score(self, title: str, abstract: str) -> tuple[float, int]:
        """(score, how many of the query's concepts the paper holds)."""
        title_terms, lowered = self._read(title, abstract)
        found = occurrences(lowered, self.terms)
        title_norm = 1 - B + B * len(title_terms) / self.lengths.title
        abstract_norm = 1 - B + B * (lowered.count(" ") + 1) / self.lengths.abstract
        score = title_share = title_count = 0.0
        held = 0
        for term in self.terms:
            in_title = title_terms.count(term)
            in_abstract = len(found.get(term, ()))
            if not (in_title or in_abstract):
                continue
            held += 1
            weight = self.idfs[term]
            if in_title:
                counts = 1.0 if in_abstract else TITLE_ALONE
                title_share += weight * counts
                title_count += counts
            else:
                counts = 1.0
            tf = TITLE_WEIGHT * counts * in_title / title_norm + in_abstract / abstract_norm
            score += weight * tf * (K1 + 1) / (tf + K1)
        concepts = len(self.terms)
        score += TITLE_SHARE_BONUS * title_share / self.total_idf
        score += TITLE_COUNT_BONUS * title_count / concepts
        if held > 1:
            score += self._phrases(title_terms, lowered, found)
            if len(found) > 1:
                words = max(1.0, _shortest_span(found) / _CHARS_PER_WORD)
                score += PROXIMITY_BONUS * len(found) / concepts * min(1.0, len(found) / words)
        return score + _title_bonus(title, self.query_key), held

    def _phrases(
        self, title_terms: list[str], lowered: str, found: dict[str, list[tuple[int, int]]]
    ) -> float:
        content = [term for term in title_terms if term not in text.STOPWORDS]
        in_title = set(itertools.pairwise(content))
        score = 0.0
        for first, second in self.pairs:
            hits = PHRASE_TITLE_HITS if (first, second) in in_title else 0.0
            hits += _adjacent(lowered, found.get(first, ()), found.get(second, ()))
            if hits:
                weight = (self.idfs[first] + self.idfs[second]) / 2
                score += PHRASE_WEIGHT * weight * hits * (K1 + 1) / (hits + K1)
        return score


def best(
    scorer: Scorer, texts: Mapping[int, tuple[str, str]], exact_id: int | None = None
) -> list[int]:
    """The ids of `texts` (id -> (title, abstract)) best first, at most MAX_RESULTS.

    A cheap estimate keeps PRESCORED of them (and the exact title's paper, `exact_id`)
    for the full score; the newer paper (the higher id) wins a tie. A query of one or
    two concepts keeps only papers holding them all, when any does.
    """
    if len(texts) > PRESCORED:
        first = sorted(
            ((scorer.prescore(*pair), paper_id) for paper_id, pair in texts.items()),
            reverse=True,
        )
        kept = {paper_id for _, paper_id in first[:PRESCORED]}
        if exact_id is not None:
            kept.add(exact_id)
        texts = {paper_id: pair for paper_id, pair in texts.items() if paper_id in kept}
    scored = []
    for paper_id, (title, abstract) in texts.items():
        score, held = scorer.score(title, abstract)
        scored.append((score, paper_id, held))
    concepts = len(scorer.terms)
    if concepts <= 2 and any(held == concepts for _, _, held in scored):
        scored = [item for item in scored if item[2] == concepts or item[1] == exact_id]
    scored.sort(reverse=True)  # by score, then the newer paper first
    return [paper_id for _, paper_id, _ in scored[:MAX_RESULTS]]


def occurrences(lowered: str, terms: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    """term -> (start, end) of each word of `lowered` whose stem is the term."""
    found: dict[str, list[tuple[int, int]]] = {}
    for term in terms:
        position = lowered.find(term)
        while position >= 0:
            if position and lowered[position - 1].isalnum():  # inside a word
                position = lowered.find(term, position + 1)
                continue
            match = _WORD.match(lowered, position)
            assert match is not None  # the term starts with a letter or digit
            word, end = match.group(), match.end()
            if word == term or text.stem(word) == term:
                found.setdefault(term, []).append((position, end))
            position = lowered.find(term, end)
    return found


def _adjacent(
    lowered: str, firsts: Sequence[tuple[int, int]], seconds: Sequence[tuple[int, int]]
) -> int:
    """How often a word of `seconds` follows one of `firsts`, at most a stopword between."""
    if not firsts or not seconds:
        return 0
    starts = [start for start, _ in seconds]
    hits = 0
    for _, end in firsts:
        index = bisect.bisect_right(starts, end)
        if index < len(starts) and starts[index] - end < _GAP_CHARS:
            between = _WORD.findall(lowered, end, starts[index])
            if not between or (len(between) == 1 and between[0] in text.STOPWORDS):
                hits += 1
    return hits


def _shortest_span(found: Mapping[str, Sequence[tuple[int, int]]]) -> int:
    """Characters in the shortest stretch holding one occurrence of every term found."""
    events = sorted((start, term) for term, spans in found.items() for start, _ in spans)
    last: dict[str, int] = {}
    best = 0
    for start, term in events:
        last[term] = start
        if len(last) == len(found):
            span = start - min(last.values()) + 1
            best = span if not best else min(best, span)
    return best


def _title_bonus(title: str, query_key: str) -> float:
    """An exact title, or the title's name before ":", wins outright."""
    if query_key and query_key == text.title_key(title):
        return EXACT_TITLE_BONUS
    return _name_bonus(title, query_key)


def _name_bonus(title: str, query_key: str) -> float:
    """The query is the title's name before ":" ("TALC")."""
    if ":" in title and query_key == text.title_key(title.split(":", 1)[0]):
        return NAME_BONUS
    return 0.0
