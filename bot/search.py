"""The search core: what `/search`, `/paper`, `/random` and `/digest` ask of the archive.

`Catalog` is the façade the cogs and the CLI call. A query is planned into index
terms (bot.query), candidates are gathered from the whole archive by bounded sources
(bot.candidates), and scored alike (bot.ranking), so the cost of a search does not
grow with the archive and an old paper is found as readily as a new one.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils

from bot import matching, ranking, text
from bot.arxiv import arxiv_reference
from bot.author_search import author_preview, author_query
from bot.candidates import CandidateFinder
from bot.catch_up import catch_up
from bot.concepts import ConceptReader, concept_papers
from bot.matching import Keyword, PaperText
from bot.models import DaySummary, Paper
from bot.query import (
    MAX_QUERY_CHARS,
    QueryPlan,
    keyword_expression,
    make_plan,
    query_text,
    quote,
    readable_corrections,
)
from bot.ranking import MAX_RESULTS, Lengths, Scorer
from bot.storage import Database
from bot.storage.search_index import TITLE_WEIGHT
from bot.vocabulary import Vocabulary, load_term_counts

__all__ = [
    "MAX_QUERY_CHARS",
    "MAX_RESULTS",
    "Catalog",
    "QueryPlan",
    "SearchResults",
    "keyword_expression",
    "query_text",
    "quote",
    "readable_corrections",
]

log = logging.getLogger(__name__)

AUTHOR_RERANKED = 60  # an author's papers holding the other words, re-sorted by title
AUTOCOMPLETE_CHOICES = 25
RANDOM_DRAWS = 64
CATCH_UP_PAPERS = 5_000  # papers described per tidy: a day is 100; an upgrade, in steps


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


class Catalog:
    """Search, browse and sample the archive; the functions the cogs and CLI call."""

    def __init__(self, database: Database, vocabulary: Vocabulary | None = None) -> None:
        self.db = database
        self.vocabulary = vocabulary or Vocabulary()
        self._days: list[DaySummary] | None = None
        self.paper_total = 0
        self._lengths = Lengths()
        self._finder = CandidateFinder(database.index)
        self._concepts = ConceptReader(database.acronyms)

    def note_ingested(self, new_papers: Sequence[Iterable[str]]) -> None:
        """Learn the terms of newly stored papers (their distinct terms, one collection
        each); forget the cached days. (Their acronyms and focus terms come with the
        tidy, which forgets what they change.)"""
        self.vocabulary.add_documents(new_papers)
        self.paper_total += len(new_papers)
        self._days = None

    async def tidy(self) -> int:
        """Upkeep after a pass has posted: settle the vocabulary, index what new papers
        are about (bot.catch_up, CATCH_UP_PAPERS at a time), merge the index
        (`SearchIndex.tidy`, whose merge steps it returns)."""
        self.vocabulary.settle()
        if await catch_up(self.db, most=CATCH_UP_PAPERS):
            self._concepts.forget()
            self._finder.forget()
        return await self.db.index.tidy()

    @classmethod
    async def load(cls, database: Database) -> Catalog:
        catalog = cls(database)
        await catalog.reload()
        return catalog

    async def reload(self) -> None:
        """Read the vocabulary and paper count afresh (at start, after a bulk load);
        count and index what papers stored before an upgrade lack (bot.catch_up)."""
        self.vocabulary = Vocabulary(await load_term_counts(self.db))
        self.paper_total = await self.db.archive.max_paper_id()
        self._days = None
        title, abstract = await self.db.index.field_lengths()
        self._lengths = Lengths(title, abstract) if title and abstract else Lengths()
        await catch_up(self.db)
        self._concepts.forget()
        self._finder.forget()

    def plan(self, query: str) -> QueryPlan:
        return make_plan(self.vocabulary, query)

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
                titles = await self.db.archive.titles_by_ids(ids[:AUTHOR_RERANKED])
                ids.sort(key=lambda i: -_title_coverage(titles.get(i, ""), plan.terms))
            if ids:
                return ids[:MAX_RESULTS], plan
        plan = self.plan(query)
        return await self.rank(query, plan), plan

    async def rank(self, query: str, plan: QueryPlan | None = None) -> list[int]:
        """Ids of the best matches for `query` (at most MAX_RESULTS), best first.

        Pass the `plan` already made for `query` to avoid planning it twice.

        Candidates come from bounded sources over the whole archive (bot.candidates),
        so a strong match is found however old it is; every candidate is then scored
        alike (bot.ranking), and the newer paper wins a tie.
        """
        plan = plan or self.plan(query)
        if not plan.terms:
            return []
        total = max(self.paper_total, 1)
        concepts = await self._concepts.read(query, plan, self.vocabulary.count, total)
        count = self.vocabulary.count
        papers = {concept.term: concept_papers(concept, count) for concept in concepts}
        candidates = await self._finder.find(query, plan, concepts, papers, total, count)
        query_key = text.title_key(query)
        texts, exact_id = await self.db.archive.texts_and_title_match(list(candidates), query_key)
        idfs = {term: ranking.idf(count, total) for term, count in papers.items()}
        scorer = Scorer(concepts, idfs, query_key, self._lengths)
        return ranking.best(scorer, texts, exact_id)

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


def _title_coverage(title: str, terms: Sequence[str]) -> int:
    """How many of `terms` the title holds."""
    title_terms = set(text.terms(title))
    return sum(term in title_terms for term in terms)
