"""The search core: what `/search`, `/paper`, `/random` and `/digest` ask of the archive.

User text never reaches FTS5 syntax: it is cut into terms (bot.text), each term is
quoted, and only the operators built here join them. Ranking works on a bounded
candidate set so its cost does not grow with the archive.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import OSA

from bot import matching, text
from bot.arxiv import arxiv_reference
from bot.author_search import author_preview, author_query
from bot.errors import UserError
from bot.matching import Keyword, PaperText
from bot.models import DaySummary, Paper
from bot.storage import Database
from bot.vocabulary import Vocabulary, load_term_counts

log = logging.getLogger(__name__)

TITLE_WEIGHT = 5.0
CANDIDATES = 200  # newest matches scored by BM25
RERANKED = 60  # best of those re-scored for title evidence
PROXIMITY_CHECKED = 12  # best of those re-read for how close the query words stand
COMMON_SHARE = 0.4
MAX_RESULTS = 50
MAX_QUERY_CHARS = 300  # a search query, title or topic, in Discord and the CLI alike
AUTOCOMPLETE_CHOICES = 25
RANDOM_DRAWS = 64
_EXACT_TITLE_BONUS = 1000.0
_ACRONYM_BONUS = 500.0
_PHRASE_BONUS = 6.0


@dataclass(frozen=True)
class SearchResults:
    """One page of a search, with every ranked id so that later pages can be drawn."""

    papers: list[Paper]
    ids: list[int]  # every match, best first (at most MAX_RESULTS)
    terms: tuple[str, ...] = ()
    corrections: dict[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()  # see QueryPlan
    # The corrections as a reader sees them (see readable_corrections).
    readable_corrections: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.ids)


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
        (`SearchIndex.tidy`, whose merge steps it returns)."""
        self.vocabulary.settle()
        return await self.db.index.tidy()

    @classmethod
    async def load(cls, database: Database) -> Catalog:
        catalog = cls(database)
        await catalog.reload()
        return catalog

    async def reload(self) -> None:
        """Read the vocabulary and paper count afresh (at start, after a bulk load)."""
        self.vocabulary = Vocabulary(await load_term_counts(self.db))
        self.paper_total = await self.db.archive.max_paper_id()
        self._days = None

    def plan(self, query: str) -> QueryPlan:
        corrections: dict[str, str] = {}
        kept: list[str] = []
        unknown: list[str] = []
        words = text.words(query)
        terms = text.terms(query)
        typed = dict(zip(reversed(terms), reversed(words), strict=True))  # first word per term
        for term in text.content_terms(terms):
            if term not in self.vocabulary and text.UNSPACED.search(term):
                continue  # looked up by substring instead (see search)
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

    async def search(self, query: str, limit: int = 5) -> SearchResults:
        """The best matches for `query`, best first: the first `limit` as papers, and
        every match's id (`papers` draws the later pages)."""
        ranked, plan = await self.ranked(query)
        runs = [run for run in text.unspaced_runs(query) if run not in self.vocabulary]
        unknown = plan.unknown
        if runs:  # text in scripts without spaces is found by substring
            found = await self.db.index.unspaced_matches(runs, MAX_RESULTS)
            ranked = _narrowed(ranked, found)
            unknown = unknown if found else (*unknown, *runs)
        papers = await self.papers(ranked[:limit])
        readable = readable_corrections(plan, papers)
        return SearchResults(papers, ranked, plan.terms, plan.corrections, unknown, readable)

    async def ranked(self, query: str) -> tuple[list[int], QueryPlan]:
        """The best matches for `query` and the plan of the words they were ranked by.

        A query naming an author (bot.author_search) gives that author's papers, best
        for its other words first; when none has them all, the query is ranked as text.
        """
        authored = await author_query(self.db.index, query)
        if authored is not None:
            plan = self.plan(authored.rest)
            ids = authored.paper_ids
            if plan.terms:
                # Unscored: BM25 would count each term's papers again for every id.
                hits = set(await self.db.index.matching_among(plan.all_terms, ids))
                ids = [paper_id for paper_id in ids if paper_id in hits]  # newest first
                titles = await self.db.archive.titles_by_ids(ids[:RERANKED])
                ids.sort(key=lambda i: -_title_bonus(titles.get(i, ""), "", plan.terms))
            if ids:
                return ids[:MAX_RESULTS], plan
        plan = self.plan(query)
        return await self.rank(query, plan), plan

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
            newest = await self.db.index.newest_matches(selective, CANDIDATES)
            scored = [(paper_id, 0.0) for paper_id in newest]
        else:
            scored = await self.db.index.ranked_matches(selective, CANDIDATES, TITLE_WEIGHT)
        if not scored and len(plan.terms) > 1:
            scored = await self.db.index.ranked_matches(plan.any_term, CANDIDATES, TITLE_WEIGHT)
        scored.sort(key=lambda item: item[1], reverse=True)
        head = [paper_id for paper_id, _ in scored[:RERANKED]]
        query_key = text.title_key(query)
        texts, exact_id = await self.db.archive.texts_and_title_match(head, query_key)
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
        return await self.db.archive.papers_by_ids(ids)

    # -- /paper -----------------------------------------------------------------

    async def titles_like(
        self, fragment: str, limit: int = AUTOCOMPLETE_CHOICES
    ) -> list[tuple[int, str]]:
        """Up to `limit` (id, title) fuzzy matches for a partly typed title, best first."""
        raw_words = text.words(fragment)[:12]
        if not raw_words:
            return await self.db.archive.latest_titles(limit)
        *whole, last = raw_words
        if len(last) < 2 and not whole:
            return await self.db.archive.latest_titles(limit)  # one letter says too little
        # Prefixes of 2+ letters use the prefix index; one letter would scan every term.
        partial = [quote(last) + "*"] if len(last) >= 2 else []
        prefix_query = " ".join([*map(quote, whole), *partial])
        candidates = dict(await self.db.index.title_matches(prefix_query, 200))
        if len(candidates) < limit:
            plan = self.plan(fragment)
            if plan.terms:
                # Unscored: BM25 would read every title holding a common word.
                loose = await self.db.index.newest_matches("{title} : (" + plan.any_term + ")", 200)
                extra = [paper_id for paper_id in loose if paper_id not in candidates]
                candidates.update(await self.db.archive.titles_by_ids(extra))
        best = process.extract(
            fragment,
            candidates,
            scorer=fuzz.WRatio,
            processor=utils.default_process,
            limit=limit,
        )
        return [(paper_id, title) for title, _score, paper_id in best]

    async def find_paper(self, title: str) -> Paper | None:
        """The paper a `/paper` value names: an arXiv id or paper URL (bot.arxiv), an
        exact title, a cut-off title, or the best match."""
        if (arxiv_id := arxiv_reference(title)) is not None:
            found = await self.db.archive.paper_id_by_arxiv_id(arxiv_id)
            return (await self.db.archive.papers_by_ids([found]))[0] if found else None
        key = text.title_key(title)
        if not key:
            return None
        paper_id = await self.db.archive.paper_id_by_key(key)
        if paper_id is None:
            ranked = await self.rank(title)
            paper_id = ranked[0] if ranked else None
        if paper_id is None:
            return None
        papers = await self.db.archive.papers_by_ids([paper_id])
        return papers[0] if papers else None

    # -- /random ----------------------------------------------------------------

    async def random_paper(
        self, topic: str | None = None, rng: random.Random | None = None
    ) -> Paper | None:
        """A paper drawn uniformly from all papers, or from those matching `topic`."""
        rng = rng or random.Random()
        highest = self.paper_total or await self.db.archive.max_paper_id()  # ids are dense
        if highest == 0:
            return None
        if topic is None or not topic.strip():
            paper_id = await self.db.archive.nearest_paper_id(rng.randint(1, highest))
        else:
            plan = self.plan(topic)
            if not plan.terms:
                return None
            paper_id = await self._random_match(plan.all_terms, highest, rng)
        if paper_id is None:
            return None
        papers = await self.db.archive.papers_by_ids([paper_id])
        return papers[0] if papers else None

    async def _random_match(self, match: str, highest: int, rng: random.Random) -> int | None:
        # Rejection sampling: uniform draws over all ids, keep the first that matches.
        # Cheap when the topic is common; the exact count-and-pick fallback is cheap
        # when it is rare. Each way is uniform over the matches, so the mix is too.
        draws = [rng.randint(1, highest) for _ in range(RANDOM_DRAWS)]
        hits = set(await self.db.index.matching_among(match, draws))
        for paper_id in draws:
            if paper_id in hits:
                return paper_id
        count = await self.db.index.count_matches(match)
        if count == 0:
            return None
        return await self.db.index.nth_match(match, rng.randrange(count))

    # -- /subscribe previews -----------------------------------------------------

    async def keyword_matches(self, keyword: Keyword, examples: int = 2) -> tuple[int, list[Paper]]:
        """How many archived papers match `keyword`, and the newest few that do.

        The index holds the same terms the matcher uses, so a phrase query with the
        excludes negated finds exactly the papers `matching.matches` accepts; the
        examples are checked against that definition all the same.
        """
        if keyword.kind == "author":
            return await author_preview(self.db, keyword, examples)
        expression = keyword_expression(keyword)
        count = await self.db.index.count_matches(expression)
        candidates = await self.db.index.ranked_matches(expression, examples * 5, TITLE_WEIGHT)
        papers = await self.db.archive.papers_by_ids([paper_id for paper_id, _ in candidates])
        confirmed = [paper for paper in papers if matching.matches(keyword, PaperText.of(paper))]
        return count, confirmed[:examples]

    # -- /digest ----------------------------------------------------------------

    async def day(self, day: dt.date) -> list[Paper]:
        """The day's papers in page order."""
        return await self.db.archive.papers_by_ids(await self.db.archive.day_paper_ids(day))

    async def known_days(self) -> list[DaySummary]:
        """Every day with papers, newest first (cached until the next ingest)."""
        if self._days is None:
            self._days = await self.db.archive.known_days()
        return self._days


def _narrowed(ranked: list[int], substring_matches: list[int]) -> list[int]:
    """The ranked matches that also hold the substrings, if any do; else the substring
    matches first, then the rest."""
    holding = set(substring_matches)
    both = [paper_id for paper_id in ranked if paper_id in holding]
    if both:
        return both
    rest = [paper_id for paper_id in ranked if paper_id not in holding]
    return (substring_matches + rest)[:MAX_RESULTS]


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
