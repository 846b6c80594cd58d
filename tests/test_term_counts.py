"""Saved term counts: a start reads them and counts only the papers added since, so
its vocabulary matches the index's own counts without reading the whole index."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot import search
from bot.ingest import ingest_file, ingest_paths
from bot.search import Catalog, count_terms
from bot.storage import Database, TermCounts
from tests.conftest import SEED_MAR13, SEED_MAR14, SEEDS, TODAY

MARKER = TermCounts({"zzsavedonly": 3}, 0)  # a term in no paper: only the saved counts hold it


def vocabulary_of(catalog: Catalog) -> dict[str, int]:
    return catalog.vocabulary.counts()


async def test_counting_stored_papers_gives_the_index_counts(seeded: Catalog) -> None:
    texts = [
        (title, abstract) for _, title, abstract in await seeded.db.texts_after(0, 10_000, 10_000)
    ]
    assert len(texts) == await seeded.db.paper_count() > 0
    assert count_terms(texts) == await seeded.db.vocabulary()


async def test_counting_unusual_words_gives_the_index_counts(
    catalog: Catalog, tmp_path: Path
) -> None:
    words = "aꭓtau 𞤀𞤣𞤤𞤢𞤥 हिन्दी 深度学习 café naïve Straße x²y ½ ①② ﬁne e\u0301t ǅ ŉ it's snake_case"
    digest = tmp_path / "unusual.txt"
    digest.write_text(f"Mar 15, 2026\n\nOn {words}\n\nWe study {words} again.\n", "utf-8")
    await ingest_file(catalog, digest, TODAY)
    texts = [(title, abstract) for _, title, abstract in await catalog.db.texts_after(0, 9, 9)]
    assert count_terms(texts) == await catalog.db.vocabulary()


async def test_a_start_adds_the_newer_papers_to_the_saved_counts(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        first = await Catalog.load(database)
        assert await database.saved_term_counts() == TermCounts({}, 0)
        await ingest_file(first, SEED_MAR13, TODAY)
        await database.save_term_counts(MARKER, since=0)

        second = await Catalog.load(database)
        index = await database.vocabulary()
        assert vocabulary_of(second) == {**index, "zzsavedonly": 3}  # saved + newer papers
        saved = await database.saved_term_counts()
        assert saved == TermCounts({**index, "zzsavedonly": 3}, await database.max_paper_id())

        await ingest_file(second, SEED_MAR14, TODAY)
        third = await Catalog.load(database)
        index = await database.vocabulary()
        assert vocabulary_of(third) == {**index, "zzsavedonly": 3}
        assert vocabulary_of(third) == {**vocabulary_of(second), "zzsavedonly": 3}
        assert (await database.saved_term_counts()).upto == await database.max_paper_id()


async def test_a_start_with_no_newer_papers_reads_the_saved_counts_as_they_are(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
        await Catalog.load(database)  # catches up and saves
        newest = await database.max_paper_id()
        assert await database.save_term_counts(MARKER._replace(upto=newest), since=newest)
        again = await Catalog.load(database)
        assert vocabulary_of(again) == {**await database.vocabulary(), "zzsavedonly": 3}


async def test_a_start_far_behind_counts_the_whole_index_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MIN_CATCH_UP", 0)  # 79 new papers are over 1/100 of 79
    async with await Database.open(tmp_path / "p.db") as database:
        first = await Catalog.load(database)
        await ingest_file(first, SEED_MAR13, TODAY)
        await database.save_term_counts(MARKER, since=0)
        second = await Catalog.load(database)
        index = await database.vocabulary()
        assert vocabulary_of(second) == index  # counted from the index: no marker
        assert await database.saved_term_counts() == TermCounts(
            index, await database.max_paper_id()
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
        assert await database.saved_term_counts() is None
        catalog = await Catalog.load(database)
        index = await database.vocabulary()
        assert vocabulary_of(catalog) == index
        assert await database.saved_term_counts() == TermCounts(
            index, await database.max_paper_id()
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
        index = await database.vocabulary()
        assert vocabulary_of(catalog) == index
        assert "could not save the term counts: database is locked" in caplog.text
        assert (await database.saved_term_counts()).upto == 0  # still the empty start's
        await Catalog.load(database)
        assert await database.saved_term_counts() == TermCounts(
            index, await database.max_paper_id()
        )


async def test_two_starts_catching_up_at_once_add_the_newer_papers_once(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "p.db") as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], today=TODAY)
        newest = await database.max_paper_id()
        texts = [
            (title, abstract)
            for _, title, abstract in await database.texts_after(0, newest, newest)
        ]
        newer = TermCounts(count_terms(texts), newest)
        assert await database.save_term_counts(newer, since=0)  # the first start's
        assert not await database.save_term_counts(newer, since=0)  # the other's: refused
        assert await database.saved_term_counts() == TermCounts(await database.vocabulary(), newest)


async def test_saved_counts_never_go_back_to_fewer_papers(seeded: Catalog) -> None:
    database = seeded.db
    newest = await database.max_paper_id()
    current = TermCounts(await database.vocabulary(), newest)
    assert await database.save_term_counts(current)
    assert not await database.save_term_counts(TermCounts({"older": 1}, newest - 1))
    assert await database.saved_term_counts() == current
