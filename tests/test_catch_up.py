"""bot.catch_up: what a pass's tidy adds for a day just ingested, and a start for papers
stored before migrations 13 and 14."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.ingest import ingest_paths
from bot.search import Catalog
from bot.storage import Database
from tests.conftest import SEEDS, TODAY

FOCUS = "SELECT term, doc, cnt FROM focus_vocab ORDER BY term"
ACRONYMS = "SELECT acronym, expansion, papers FROM acronyms ORDER BY acronym, expansion"


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


async def test_papers_stored_before_the_tables_are_added_at_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "upgraded.db"
    async with await Database.open(path) as database:
        catalog = await Catalog.load(database)
        await ingest_paths(catalog, [SEEDS], TODAY)
        await catalog.tidy()
    focus, acronyms = rows(path, FOCUS), rows(path, ACRONYMS)
    assert focus and acronyms
    with sqlite3.connect(path) as connection:  # as migrations 13 and 14 leave a database
        connection.execute("INSERT INTO focus_fts(focus_fts) VALUES ('delete-all')")
        connection.execute("DELETE FROM acronyms")
        connection.execute(
            "UPDATE meta SET value = '0' WHERE key IN ('focus_upto', 'acronyms_upto')"
        )
    async with await Database.open(path) as database:
        catalog = await Catalog.load(database)
        assert await database.index.focus_upto() == catalog.paper_total == 163
        assert await database.acronyms.upto() == 163
        hits = await catalog.search("tree-of-thought")
        assert hits.papers[0].title.startswith("Probabilistic Tree-of-thought")
    assert rows(path, FOCUS) == focus
    assert rows(path, ACRONYMS) == acronyms


async def test_a_focus_index_behind_the_papers_is_left_to_the_next_start(
    tmp_path: Path,
) -> None:
    path = tmp_path / "behind.db"
    async with await Database.open(path) as database:
        await database.connection.set_meta("focus_upto", "-1")  # never matches a store
        await ingest_paths(await Catalog.load(database), [SEEDS], TODAY)
        assert rows(path, "SELECT count(*) FROM focus_vocab") == [(0,)]
    async with await Database.open(path) as database:
        await database.connection.set_meta("focus_upto", "0")
        await Catalog.load(database)
        assert await database.index.focus_upto() == 163


async def test_a_day_ingested_by_the_loop_is_described_when_the_pass_tidies(
    tmp_path: Path,
) -> None:
    async with await Database.open(tmp_path / "loop.db") as database:
        catalog = await Catalog.load(database)
        (report,) = await ingest_paths(catalog, [SEEDS / "002_51c00633ee49e7be.txt"], TODAY)
        assert report.outcome is not None and report.outcome.new_papers > 0
        # Stored and searchable at once; what the papers are about waits for the tidy.
        assert await database.index.focus_upto() == await database.acronyms.upto() == 0
        hits = await catalog.search("tree-of-thought")
        assert hits.papers and hits.papers[0].title.startswith("Probabilistic Tree-of-thought")
        await catalog.tidy()
        newest = catalog.paper_total
        assert await database.index.focus_upto() == await database.acronyms.upto() == newest
        assert rows(tmp_path / "loop.db", "SELECT count(*) FROM focus_vocab") != [(0,)]
        await catalog.tidy()  # nothing left: nothing is indexed twice
        assert await database.index.focus_upto() == newest


async def test_a_start_while_another_process_writes_describes_the_papers_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "busy.db"
    async with await Database.open(path, busy_timeout_ms=50) as database:
        await ingest_paths(await Catalog.load(database), [SEEDS], TODAY)  # not tidied
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            with caplog.at_level(logging.WARNING, logger="bot.catch_up"):
                catalog = await Catalog.load(database)  # starts all the same
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert "could not describe the newest papers yet" in caplog.text
        assert await database.index.focus_upto() == 0
        await catalog.tidy()
        assert await database.index.focus_upto() == await database.acronyms.upto() == 163
