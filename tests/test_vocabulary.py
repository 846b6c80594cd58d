"""bot.vocabulary: saved term counts (a start reads them and counts only the papers
added since, matching the index's own counts), and typo correction."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot import vocabulary as vocabulary_module
from bot.ingest import ingest_file, ingest_paths
from bot.models import TermCounts
from bot.search import Catalog
from bot.storage import Database
from bot.vocabulary import Vocabulary, count_terms
from tests.conftest import SEED_MAR13, SEED_MAR14, SEEDS, TODAY
from tests.helpers import paper_count

MARKER = TermCounts({"zzsavedonly": 3}, 0)  # a term in no paper: only the saved counts hold it


def vocabulary_of(catalog: Catalog) -> dict[str, int]:
    return catalog.vocabulary.counts()


async def test_counting_stored_papers_gives_the_index_counts(seeded: Catalog) -> None:
    texts = [
        (title, abstract)
        for _, title, abstract in await seeded.db.archive.texts_after(0, 10_000, 10_000)
    ]
    assert len(texts) == await paper_count(seeded.db) > 0
    assert count_terms(texts) == await seeded.db.index.count_index_terms()


async def test_counting_unusual_words_gives_the_index_counts(
    catalog: Catalog, tmp_path: Path
) -> None:
    words = "aꭓtau 𞤀𞤣𞤤𞤢𞤥 हिन्दी 深度学习 café naïve Straße x²y ½ ①② ﬁne e\u0301t ǅ ŉ it's snake_case"
    digest = tmp_path / "unusual.txt"
    digest.write_text(f"Mar 15, 2026\n\nOn {words}\n\nWe study {words} again.\n", "utf-8")
    await ingest_file(catalog, digest, TODAY)
    texts = [
        (title, abstract) for _, title, abstract in await catalog.db.archive.texts_after(0, 9, 9)
    ]
    assert count_terms(texts) == await catalog.db.index.count_index_terms()


async def test_a_start_adds_the_newer_papers_to_the_saved_counts(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        first = await Catalog.load(database)
        assert await database.index.saved_term_counts() == TermCounts({}, 0)
        await ingest_file(first, SEED_MAR13, TODAY)
        await database.index.save_term_counts(MARKER, since=0)

        second = await Catalog.load(database)
        index = await database.index.count_index_terms()
        assert vocabulary_of(second) == {**index, "zzsavedonly": 3}  # saved + newer papers
        saved = await database.index.saved_term_counts()
        assert saved == TermCounts(
            {**index, "zzsavedonly": 3}, await database.archive.max_paper_id()
        )

        await ingest_file(second, SEED_MAR14, TODAY)
        third = await Catalog.load(database)
        index = await database.index.count_index_terms()
        assert vocabulary_of(third) == {**index, "zzsavedonly": 3}
        assert vocabulary_of(third) == {**vocabulary_of(second), "zzsavedonly": 3}
        assert (
            await database.index.saved_term_counts()
        ).upto == await database.archive.max_paper_id()


async def test_a_start_with_no_newer_papers_reads_the_saved_counts_as_they_are(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
        await Catalog.load(database)  # catches up and saves
        newest = await database.archive.max_paper_id()
        assert await database.index.save_term_counts(MARKER._replace(upto=newest), since=newest)
        again = await Catalog.load(database)
        assert vocabulary_of(again) == {
            **await database.index.count_index_terms(),
            "zzsavedonly": 3,
        }


async def test_a_start_far_behind_counts_the_whole_index_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vocabulary_module, "MIN_CATCH_UP", 0)  # 79 new papers are over 1/100 of 79
    async with await Database.open(tmp_path / "p.db") as database:
        first = await Catalog.load(database)
        await ingest_file(first, SEED_MAR13, TODAY)
        await database.index.save_term_counts(MARKER, since=0)
        second = await Catalog.load(database)
        index = await database.index.count_index_terms()
        assert vocabulary_of(second) == index  # counted from the index: no marker
        assert await database.index.saved_term_counts() == TermCounts(
            index, await database.archive.max_paper_id()
        )


async def test_a_database_without_saved_counts_counts_the_index_and_saves_them(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.db"
    async with await Database.open(path) as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
    with sqlite3.connect(path) as connection:  # as migration 7 leaves an older database
        connection.execute("DELETE FROM term_counts")
        connection.execute("DELETE FROM meta WHERE key = 'term_counts_upto'")
    async with await Database.open(path) as database:
        assert await database.index.saved_term_counts() is None
        catalog = await Catalog.load(database)
        index = await database.index.count_index_terms()
        assert vocabulary_of(catalog) == index
        assert await database.index.saved_term_counts() == TermCounts(
            index, await database.archive.max_paper_id()
        )


async def test_a_start_while_another_process_writes_loads_and_saves_next_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "p.db"
    async with await Database.open(path, busy_timeout_ms=50) as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with caplog.at_level(logging.WARNING, logger="bot.search"):
                catalog = await Catalog.load(database)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        index = await database.index.count_index_terms()
        assert vocabulary_of(catalog) == index
        assert "could not save the term counts: database is locked" in caplog.text
        assert (await database.index.saved_term_counts()).upto == 0  # still the empty start's
        await Catalog.load(database)
        assert await database.index.saved_term_counts() == TermCounts(
            index, await database.archive.max_paper_id()
        )


async def test_two_starts_catching_up_at_once_add_the_newer_papers_once(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
        newest = await database.archive.max_paper_id()
        texts = [
            (title, abstract)
            for _, title, abstract in await database.archive.texts_after(0, newest, newest)
        ]
        newer = TermCounts(count_terms(texts), newest)
        assert await database.index.save_term_counts(newer, since=0)  # the first start's
        assert not await database.index.save_term_counts(newer, since=0)  # the other's: refused
        assert await database.index.saved_term_counts() == TermCounts(
            await database.index.count_index_terms(), newest
        )


async def test_saved_counts_never_go_back_to_fewer_papers(seeded: Catalog) -> None:
    database = seeded.db
    newest = await database.archive.max_paper_id()
    current = TermCounts(await database.index.count_index_terms(), newest)
    assert await database.index.save_term_counts(current)
    assert not await database.index.save_term_counts(TermCounts({"older": 1}, newest - 1))
    assert await database.index.saved_term_counts() == current


# -- the vocabulary in memory: counts and typo correction ---------------------------


def test_vocabulary_correction() -> None:
    vocabulary = Vocabulary({"concept": 10, "bottleneck": 3, "diffusion": 5, "cat": 2})
    assert vocabulary.correct("concept") == "concept"
    assert vocabulary.correct("conept") == "concept"
    assert vocabulary.correct("cocnept") == "concept"  # a transposition is one edit
    assert vocabulary.correct("botleneck") == "bottleneck"
    assert vocabulary.correct("bttlneek") is None  # three edits
    assert vocabulary.correct("cet") is None  # too short to guess
    assert vocabulary.correct("diffusi0n") is None  # not a word
    assert len(vocabulary) == 4
    assert "cat" in vocabulary


def test_vocabulary_prefers_the_commoner_of_equally_close_terms() -> None:
    vocabulary = Vocabulary({"model": 50, "modes": 2})
    assert vocabulary.correct("moded") == "model"
    vocabulary.add_counts({"modes": 100})
    assert vocabulary.count("modes") == 102
    assert vocabulary.correct("moded") == "modes"


EXPECTED_COUNTS = {"model": 7, "diffusion": 2, "bottleneck": 1, "concept": 1}


def _counts(vocabulary: Vocabulary) -> dict[str, int]:
    return {term: vocabulary.count(term) for term in [*EXPECTED_COUNTS, "absent"]}


@pytest.mark.parametrize("settled", [False, True], ids=["recent", "settled"])
def test_documents_add_counts_and_new_terms_become_corrections(settled: bool) -> None:
    vocabulary = Vocabulary({"model": 5, "diffusion": 2})
    vocabulary.add_documents([{"model", "bottleneck"}, {"model", "concept"}])
    if settled:
        vocabulary.settle()
    assert _counts(vocabulary) == {**EXPECTED_COUNTS, "absent": 0}
    assert len(vocabulary) == 4
    assert "concept" in vocabulary and "absent" not in vocabulary
    assert vocabulary.correct("botleneck") == "bottleneck"
    assert vocabulary.correct("conept") == "concept"
    assert vocabulary.correct("difusion") == "diffusion"


def test_recent_counts_break_correction_ties_before_and_after_settling() -> None:
    vocabulary = Vocabulary({"model": 50, "modes": 2})
    vocabulary.add_documents([{"modes"}] * 100)
    assert vocabulary.correct("moded") == "modes"
    vocabulary.settle()
    assert vocabulary.correct("moded") == "modes"
    assert vocabulary.count("modes") == 102


def test_a_typo_of_a_recent_term_is_corrected_from_either_end() -> None:
    vocabulary = Vocabulary({"model": 1})
    vocabulary.add_documents([{"bottleneck", "diffusion"}])
    assert vocabulary.correct("xottleneck") == "bottleneck"  # only the last letters agree
    assert vocabulary.correct("diffusiox") == "diffusion"  # only the first letters agree
    assert vocabulary.unsettled == 0  # correcting settled the recent terms first


def test_the_commonest_of_many_equally_close_terms_wins() -> None:
    letters = "abcdefghijklmnoprstuvwxz0123456789"
    vocabulary = Vocabulary({**{f"mode{c}": 1 for c in letters}, "modey": 100})
    # All 35 are one edit from "modeq"; the choice must not depend on set order.
    assert vocabulary.correct("modeq") == "modey"


def test_vocabulary_settles_by_itself_when_no_pass_settles_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(vocabulary_module, "MAX_UNSETTLED_TERMS", 3)
    vocabulary = Vocabulary({"model": 1})
    vocabulary.add_documents([{"alpha", "beta", "gamma"}])
    assert vocabulary.unsettled == 3  # not past the bound yet
    vocabulary.add_documents([{"delta"}])
    assert vocabulary.unsettled == 0
    assert len(vocabulary) == 5 and vocabulary.correct("deltaa") == "delta"
