"""Relevance at scale: the relevance tables on the seeds and on a 10k-paper archive.

The archive is benchmarks/corpus.py's (generated once, then cached under
benchmarks/.cache/) with the seed days placed as its oldest days: every query word
also occurs in thousands of generated papers, most of them newer than the paper meant.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks import corpus as corpus_module
from benchmarks import relevance
from bot.ingest import ingest_paths
from bot.search import Catalog
from bot.storage import Database

ARCHIVE_PAPERS = 10_000
MIN_MRR = 0.95


def assert_relevant(result: relevance.Relevance) -> None:
    assert result.misses == [], result.misses  # plain and typo queries rank first
    assert result.plain_first == result.plain_total
    assert result.typo_first == result.typo_total
    natural = dict(result.natural_ranks)
    assert result.natural_mrr >= MIN_MRR, natural


async def test_relevance_on_the_seeds(seeded: Catalog) -> None:
    assert_relevant(await relevance.evaluate(seeded, seeded.paper_total))


async def test_an_acronym_the_seeds_define_is_understood(seeded: Catalog) -> None:
    rank = await relevance.rank_of(
        seeded, "a survey of prompting methods in NLP", relevance.PROMPTING_SURVEY
    )
    assert rank == 1


async def test_relevance_with_the_seeds_oldest_in_a_10k_archive(tmp_path: Path) -> None:
    start = time.perf_counter()
    corpus = corpus_module.corpus(ARCHIVE_PAPERS, seed=1)
    path = tmp_path / "archive.db"
    await relevance.build(path, corpus)
    async with await Database.open(path) as database:
        catalog = await Catalog.load(database)
        assert catalog.paper_total == ARCHIVE_PAPERS + relevance.seed_paper_count()
        # Days keep arriving, as in the benchmark: newer papers that hold the query words.
        await ingest_paths(catalog, corpus.new_days[:2])
        oldest = await database.archive.papers_by_ids([1])
        assert (
            oldest[0].title
            == "TALC: Time-Aligned Captions for Multi-Scene Text-to-Video Generation"
        )
        assert_relevant(await relevance.evaluate(catalog, catalog.paper_total))
    assert time.perf_counter() - start < 60
