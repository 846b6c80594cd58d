"""bot.catch_up: what a start adds for papers stored before migrations 13 and 14."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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
        await ingest_paths(await Catalog.load(database), [SEEDS], TODAY)
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
        # New papers are added as stored again: the counts reach the newest paper.
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
