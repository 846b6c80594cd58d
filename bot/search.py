"""The search core: what `/search`, `/paper`, `/random` and `/digest` ask of the archive.

User text never reaches FTS5 syntax: it is cut into terms (bot.text), each term is
quoted, and only the operators built here join them. Ranking works on a bounded
candidate set so its cost does not grow with the archive.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import OSA

from bot import matching, text
from bot.matching import Keyword, PaperText
from bot.models import DaySummary, Paper
from bot.storage import Database, TermCounts

log = logging.getLogger(__name__)

TITLE_WEIGHT = 5.0
CANDIDATES = 200  # newest matches scored by BM25
RERANKED = 60  # best of those re-scored for title evidence
PROXIMITY_CHECKED = 12  # best of those re-read for how close the query words stand
COMMON_SHARE = 0.4
MAX_RESULTS = 50
MAX_UNSETTLED_TERMS = 200_000  # the vocabulary settles by itself past this (see Vocabulary)
# A start counts the terms of papers newer than the saved counts when they are at most
# this share of the archive, else it counts the whole index again. Measured at 1M papers:
# about 240 us a newer paper (stemming, then saving), against 8 us a paper for the whole
# index plus 0.9 s to save it; even at 1/100, catching up costs a quarter of a recount.
CATCH_UP_SHARE = 1 / 100
MIN_CATCH_UP = 1_000
CATCH_UP_BATCH = 2_000  # papers read at a time while catching up
AUTOCOMPLETE_CHOICES = 25
RANDOM_DRAWS = 64
_EXACT_TITLE_BONUS = 1000.0
_ACRONYM_BONUS = 500.0
_PHRASE_BONUS = 6.0


@dataclass(frozen=True)
class SearchResults:
    papers: list[Paper]
    total: int
    terms: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()  # see QueryPlan
    # The corrections as a reader sees them (see readable_corrections).
    readable_corrections: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryPlan:
    """A query cut into index terms, with typos replaced by known terms."""

    terms: tuple[str, ...]
    corrections: dict[str, str]
    # Words in no paper and too far from any indexed word to correct: left out
    # (as typed, lowercased).
    unknown: tuple[str, ...] = ()
    typed: dict[str, str] = field(default_factory=dict)  # term -> the word as typed

    @property
    def all_terms(self) -> str:
        return " ".join(quote(term) for term in self.terms)

    @property
    def any_term(self) -> str:
        return " OR ".join(quote(term) for term in self.terms)


def quote(term: str) -> str:
    """One FTS5 string token; the only way user-derived text enters a MATCH."""
    return '"' + term.replace('"', '""') + '"'


def keyword_expression(keyword: Keyword) -> str:
    """An FTS5 query equal to `matching.matches`: the phrase, and NOT each exclude term."""
    expression = quote(" ".join(keyword.terms))
    for term in keyword.exclude:
        expression += " NOT " + quote(term)
    return expression


class Vocabulary:
    """The index's terms with their document counts, for typo correction.

    Like the full-text index, it takes new papers cheaply and merges later: the terms of
    papers added since the last `settle()` are tallied apart, in a small tally. At 1M
    papers the main tally holds 850k terms spread over ~100 MB, so each update misses
    the TLB (about 0.5 µs), and a new day brings 16k (term, paper) pairs. `Catalog.tidy`
    settles after each pass; correcting a typo settles first, if that has not happened.
    """

    def __init__(self, counts: Mapping[str, int] | None = None) -> None:
        self._settled: Counter[str] = Counter()
        self._recent: Counter[str] = Counter()
        # Candidates for correction, by (length, first two letters) and (length, last two):
        # one edit in a word of four or more letters leaves one of its ends intact.
        self._by_ends: dict[tuple[int, str], list[str]] = {}
        self.add_counts(counts or {})

    def __contains__(self, term: object) -> bool:
        return term in self._recent or term in self._settled

    def __len__(self) -> int:
        settled = self._settled
        return len(settled) + sum(term not in settled for term in self._recent)

    @property
    def unsettled(self) -> int:
        """Distinct terms counted since the last `settle()`."""
        return len(self._recent)

    def count(self, term: str) -> int:
        """The number of papers that hold `term`."""
        return self._settled.get(term, 0) + self._recent.get(term, 0)

    def counts(self) -> dict[str, int]:
        """Every term with its document count (a copy)."""
        return dict(self._settled + self._recent)

    def add_counts(self, counts: Mapping[str, int]) -> None:
        """Add document counts; terms seen for the first time become correction targets."""
        self.settle()
        new_terms = [term for term in counts if term not in self._settled]
        self._settled.update(counts)
        _index_ends(self._by_ends, new_terms)

    def add_documents(self, documents: Iterable[Iterable[str]]) -> None:
        """Count each document's distinct terms (one collection each)."""
        self._recent.update(chain.from_iterable(documents))  # Counter.update counts in C
        if len(self._recent) > MAX_UNSETTLED_TERMS:  # nothing settled it (no pass ran)
            self.settle()

    def settle(self) -> None:
        """Fold the tally of recent papers into the main one."""
        recent, settled = self._recent, self._settled
        if not recent:
            return
        new_terms = [term for term in recent if term not in settled]
        settled.update(recent)
        _index_ends(self._by_ends, new_terms)
        recent.clear()

    def correct(self, term: str) -> str | None:
        """`term` if indexed, else the closest indexed term of similar spelling, else None.

        Of equally close terms, the one in most papers wins (then the first alphabetically).
        """
        if term in self:
            return term
        if len(term) < 4 or not term.isalpha():
            return None
        self.settle()  # recent terms become candidates: at most once per new day
        # One edit (a transposition counts as one) per short word, two for long words.
        max_edits = 1 if len(term) < 8 else 2
        candidates = {
            candidate
            for length in range(len(term) - max_edits, len(term) + max_edits + 1)
            for key in _end_keys(term, length)
            for candidate in self._by_ends.get(key, ())
        }
        matches = process.extract(
            term, candidates, scorer=OSA.distance, score_cutoff=max_edits, limit=None
        )
        if not matches:
            return None
        counts = self._settled
        best = min(matches, key=lambda match: (match[1], -counts[match[0]], match[0]))
        return best[0]


def count_terms(
    texts: Iterable[tuple[str, str]], stems: text.StemCache | None = None
) -> Counter[str]:
    """Papers per index term over (title, abstract) pairs: a paper counts once for each
    of its distinct terms, as the index's own counts (`Database.vocabulary`) do.

    The one difference: FTS5 cuts a term over 32 KB short, which no search can ask for.
    """
    counts: Counter[str] = Counter()
    for title, abstract in texts:
        counts.update({*text.terms(title, stems), *text.terms(abstract, stems)})
    return counts


def _worth_catching_up(saved_upto: int, newest: int) -> bool:
    behind = newest - saved_upto
    return 0 <= behind <= max(newest * CATCH_UP_SHARE, MIN_CATCH_UP)


def _index_ends(by_ends: dict[tuple[int, str], list[str]], terms: Iterable[str]) -> None:
    for term in terms:
        for key in _end_keys(term, len(term)):
            by_ends.setdefault(key, []).append(term)


def _end_keys(term: str, length: int) -> tuple[tuple[int, str], tuple[int, str]]:
    return (length, "^" + term[:2]), (length, term[-2:] + "$")


class Catalog:
    """Search, browse and sample the archive; the functions the cogs and CLI call."""

    def __init__(self, database: Database, vocabulary: Vocabulary | None = None) -> None:
        self.db = database
        self.vocabulary = vocabulary or Vocabulary()
        self._days: list[DaySummary] | None = None
        self.paper_total = 0

    def note_ingested(self, new_papers: Sequence[Iterable[str]]) -> None:
        """Learn the terms of newly stored papers (their distinct terms, one collection
        each); forget the cached days."""
        self.vocabulary.add_documents(new_papers)
        self.paper_total += len(new_papers)
        self._days = None

    async def tidy(self) -> int:
        """Upkeep after a pass has posted: settle the vocabulary, merge the index
        (`Database.tidy_index`, whose merge steps it returns)."""
        self.vocabulary.settle()
        return await self.db.tidy_index()

    @classmethod
    async def load(cls, database: Database) -> Catalog:
        catalog = cls(database)
        await catalog.reload()
        return catalog

    async def reload(self) -> None:
        """Read the vocabulary and paper count afresh (at start, after a bulk load)."""
        self.vocabulary = Vocabulary(await self._term_counts())
        self.paper_total = await self.db.max_paper_id()
        self._days = None

    async def _term_counts(self) -> dict[str, int]:
        """The saved term counts plus those of newer papers; or, when there are many
        newer papers, the counts of the whole index (7.4 s at 1M papers), saved."""
        saved = await self.db.saved_term_counts()
        newest = await self.db.max_paper_id()
        if saved is not None and _worth_catching_up(saved.upto, newest):
            added = await self._count_terms_between(saved.upto, newest)
            if added.upto == saved.upto:
                return saved.counts
            await self._save_term_counts(added, since=saved.upto)
            counts = saved.counts
            for term, papers in added.counts.items():
                counts[term] = counts.get(term, 0) + papers
            return counts
        counts = await self.db.vocabulary()
        # Papers stored while the index was read may or may not be counted: save only
        # counts that end exactly at `newest`.
        if await self.db.max_paper_id() == newest:
            await self._save_term_counts(TermCounts(counts, newest))
        return counts

    async def _count_terms_between(self, after: int, upto: int) -> TermCounts:
        """The term counts of the papers with ids in (`after`, `upto`], read a batch at
        a time; stopping at `upto` bounds the work while another process stores more."""
        counts: Counter[str] = Counter()
        done = after
        while batch := await self.db.texts_after(done, upto, CATCH_UP_BATCH):
            texts = [(title, abstract) for _, title, abstract in batch]
            # A stem cache of its own, freed after: these words need not stay in memory.
            counts.update(await asyncio.to_thread(count_terms, texts, text.StemCache()))
            done = batch[-1][0]
        return TermCounts(counts, done)

    async def _save_term_counts(self, counts: TermCounts, since: int | None = None) -> None:
        try:
            await self.db.save_term_counts(counts, since=since)
        except sqlite3.OperationalError as error:  # busy, full: the next start counts again
            log.warning("could not save the term counts: %s", error)

    def plan(self, query: str) -> QueryPlan:
        corrections: dict[str, str] = {}
        kept: list[str] = []
        unknown: list[str] = []
        words = text.words(query)
        terms = text.terms(query)
        typed = dict(zip(reversed(terms), reversed(words), strict=True))  # first word per term
        for term in text.content_terms(terms):
            corrected = self.vocabulary.correct(term)
            if corrected is None:
                unknown.append(typed[term])
                continue
            if corrected != term:
                corrections[term] = corrected
            if corrected not in kept:
                kept.append(corrected)
        return QueryPlan(tuple(kept), corrections, tuple(unknown), typed)

    # -- /search ----------------------------------------------------------------

    async def search(self, query: str, limit: int = 5, offset: int = 0) -> SearchResults:
        """The best matches for `query`, best first: `limit` of them from `offset`."""
        plan = self.plan(query)
        ranked = await self.rank(query, plan)
        page_ids = ranked[offset : offset + limit]
        papers = await self.db.papers_by_ids(page_ids)
        readable = readable_corrections(plan, papers)
        return SearchResults(
            papers, len(ranked), plan.terms, plan.corrections, plan.unknown, readable
        )

    async def rank(self, query: str, plan: QueryPlan | None = None) -> list[int]:
        """Ids of the best matches for `query` (at most MAX_RESULTS), best first.

        Pass the `plan` already made for `query` to avoid planning it twice.
        """
        plan = plan or self.plan(query)
        if not plan.terms:
            return []
        selected = self._selective(plan.terms)
        selective = " ".join(quote(term) for term in selected)
        if all(self._in_most_papers(term) for term in selected):
            # FTS5 clamps the IDF of a term held by over half the papers to ~0, so BM25
            # would score every match alike, after reading each term's whole doclist.
            newest = await self.db.newest_matches(selective, CANDIDATES)
            scored = [(paper_id, 0.0) for paper_id in newest]
        else:
            scored = await self.db.ranked_matches(selective, CANDIDATES, TITLE_WEIGHT)
        if not scored and len(plan.terms) > 1:
            scored = await self.db.ranked_matches(plan.any_term, CANDIDATES, TITLE_WEIGHT)
        scored.sort(key=lambda item: item[1], reverse=True)
        head = [paper_id for paper_id, _ in scored[:RERANKED]]
        query_key = text.title_key(query)
        texts, exact_id = await self.db.texts_and_title_match(head, query_key)
        if exact_id is not None and exact_id not in head:
            head.insert(0, exact_id)
        scores = dict(scored)
        titles = {paper_id: texts[paper_id][0] for paper_id in head if paper_id in texts}
        close = _closeness(
            plan.terms, [(i, texts[i][1]) for i in head[:PROXIMITY_CHECKED] if i in texts]
        )
        rescored = sorted(
            titles,
            key=lambda paper_id: (
                scores.get(paper_id, 0.0)
                + close.get(paper_id, 0.0)
                + _title_bonus(titles[paper_id], query_key, plan.terms)
            ),
            reverse=True,
        )
        ordered = rescored + [paper_id for paper_id, _ in scored[RERANKED:]]
        return ordered[:MAX_RESULTS]

    def _in_most_papers(self, term: str) -> bool:
        return self.vocabulary.count(term) * 2 > max(self.paper_total, 1)

    def _selective(self, terms: Sequence[str]) -> list[str]:
        """The terms worth matching on: those in most papers say little and cost a lot.

        FTS5's BM25 counts every paper holding each term; a term in over
        COMMON_SHARE of papers is left out when rarer terms remain (it still counts
        for title and proximity bonuses).
        """
        limit = COMMON_SHARE * max(self.paper_total, 1)
        rare = [term for term in terms if self.vocabulary.count(term) <= limit]
        return rare or list(terms)

    async def papers(self, ids: Sequence[int]) -> list[Paper]:
        """Papers by id, in the order given."""
        return await self.db.papers_by_ids(ids)

    # -- /paper -----------------------------------------------------------------

    async def titles_like(
        self, fragment: str, limit: int = AUTOCOMPLETE_CHOICES
    ) -> list[tuple[int, str]]:
        """Up to `limit` (id, title) fuzzy matches for a partly typed title, best first."""
        raw_words = text.words(fragment)[:12]
        if not raw_words:
            return await self.db.latest_titles(limit)
        *whole, last = raw_words
        if len(last) < 2 and not whole:
            return await self.db.latest_titles(limit)  # one letter says too little
        # Prefixes of 2+ letters use the prefix index; one letter would scan every term.
        partial = [quote(last) + "*"] if len(last) >= 2 else []
        prefix_query = " ".join([*map(quote, whole), *partial])
        candidates = dict(await self.db.title_matches(prefix_query, 200))
        if len(candidates) < limit:
            plan = self.plan(fragment)
            if plan.terms:
                # Unscored: BM25 would read every title holding a common word.
                loose = await self.db.newest_matches("{title} : (" + plan.any_term + ")", 200)
                extra = [paper_id for paper_id in loose if paper_id not in candidates]
                candidates.update(await self.db.titles_by_ids(extra))
        best = process.extract(
            fragment,
            candidates,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=limit,
        )
        return [(paper_id, title) for title, _score, paper_id in best]

    async def find_paper(self, title: str) -> Paper | None:
        """The paper a `/paper` value names: exact title, a cut-off title, or best match."""
        key = text.title_key(title)
        if not key:
            return None
        paper_id = await self.db.paper_id_by_key(key)
        if paper_id is None:
            ranked = await self.rank(title)
            paper_id = ranked[0] if ranked else None
        if paper_id is None:
            return None
        papers = await self.db.papers_by_ids([paper_id])
        return papers[0] if papers else None

    # -- /random ----------------------------------------------------------------

    async def random_paper(
        self, topic: str | None = None, rng: random.Random | None = None
    ) -> Paper | None:
        """A paper drawn uniformly from all papers, or from those matching `topic`."""
        rng = rng or random.Random()
        highest = self.paper_total or await self.db.max_paper_id()  # ids are dense
        if highest == 0:
            return None
        if topic is None or not topic.strip():
            paper_id = await self.db.nearest_paper_id(rng.randint(1, highest))
        else:
            plan = self.plan(topic)
            if not plan.terms:
                return None
            paper_id = await self._random_match(plan.all_terms, highest, rng)
        if paper_id is None:
            return None
        papers = await self.db.papers_by_ids([paper_id])
        return papers[0] if papers else None

    async def _random_match(self, match: str, highest: int, rng: random.Random) -> int | None:
        # Rejection sampling: uniform draws over all ids, keep the first that matches.
        # Cheap when the topic is common; the exact count-and-pick fallback is cheap
        # when it is rare. Each way is uniform over the matches, so the mix is too.
        draws = [rng.randint(1, highest) for _ in range(RANDOM_DRAWS)]
        hits = set(await self.db.matching_among(match, draws))
        for paper_id in draws:
            if paper_id in hits:
                return paper_id
        count = await self.db.count_matches(match)
        if count == 0:
            return None
        return await self.db.nth_match(match, rng.randrange(count))

    # -- /subscribe previews -----------------------------------------------------

    async def keyword_matches(self, keyword: Keyword, examples: int = 2) -> tuple[int, list[Paper]]:
        """How many archived papers match `keyword`, and the newest few that do.

        The index holds the same terms the matcher uses, so a phrase query with the
        excludes negated finds exactly the papers `matching.matches` accepts; the
        examples are checked against that definition all the same.
        """
        expression = keyword_expression(keyword)
        count = await self.db.count_matches(expression)
        candidates = await self.db.ranked_matches(expression, examples * 5, TITLE_WEIGHT)
        papers = await self.db.papers_by_ids([paper_id for paper_id, _ in candidates])
        confirmed = [paper for paper in papers if matching.matches(keyword, PaperText.of(paper))]
        return count, confirmed[:examples]

    # -- /digest ----------------------------------------------------------------

    async def day(self, day: dt.date) -> list[Paper]:
        """The day's papers in page order."""
        return await self.db.papers_by_ids(await self.db.day_paper_ids(day))

    async def known_days(self) -> list[DaySummary]:
        """Every day with papers, newest first (cached until the next ingest)."""
        if self._days is None:
            self._days = await self.db.known_days()
        return self._days


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


def _closeness(terms: Sequence[str], abstracts: list[tuple[int, str]]) -> dict[int, float]:
    """Bonus for the best candidates holding a multi-word query's words close together.

    Only the first PROXIMITY_CHECKED (best by BM25) are passed in: proximity reorders
    the top of the list, and re-reading every candidate would cost more.
    """
    if len(terms) < 2:
        return {}
    bonus = {}
    wanted = set(terms)
    for paper_id, abstract in abstracts:
        occurrences = [(i, term) for i, term in enumerate(text.terms(abstract)) if term in wanted]
        if span := _shortest_span(occurrences, terms):
            bonus[paper_id] = _PHRASE_BONUS * len(terms) / span
    return bonus


def _title_bonus(title: str, query_key: str, terms: Sequence[str]) -> float:
    """Title evidence that BM25 does not see: an exact title, an acronym, coverage.

    `query_key` is the query's `text.title_key`.
    """
    if query_key and query_key == text.title_key(title):
        return _EXACT_TITLE_BONUS
    bonus = 0.0
    head = title.split(":", 1)[0]
    if ":" in title and query_key == text.title_key(head):
        bonus += _ACRONYM_BONUS
    title_terms = text.terms(title)
    covered = sum(1 for term in terms if term in title_terms)
    return bonus + 4.0 * covered / max(len(terms), 1)


def _shortest_span(occurrences: Sequence[tuple[int, str]], terms: Sequence[str]) -> int:
    """Words in the shortest stretch holding every term, from (position, term) pairs.

    0 when some term never occurs.
    """
    wanted = set(terms)
    last_seen: dict[str, int] = {}
    best = 0
    for position, term in occurrences:
        if term not in wanted:
            continue
        last_seen[term] = position
        if len(last_seen) == len(wanted):
            span = position - min(last_seen.values()) + 1
            best = span if not best else min(best, span)
    return best
