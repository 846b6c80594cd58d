"""All of paperboy's SQL: one SQLite file (WAL), migrated on open.

Writes are serialised through one lock and grouped in explicit transactions, so a
crash leaves each digest file, each posted message and each alert either recorded
whole or not at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosqlite

from bot.digest import Link
from bot.models import DaySummary, IngestOutcome, Paper

log = logging.getLogger(__name__)

# Numbered migrations: index + 1 is the schema version stored in PRAGMA user_version.
MIGRATIONS: tuple[str, ...] = (
    # 1: papers, their appearances on days, the digest files they came from.
    """
    CREATE TABLE papers (
        id INTEGER PRIMARY KEY,
        title_key TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        abstract TEXT NOT NULL,
        links TEXT NOT NULL DEFAULT '[]',
        first_day TEXT NOT NULL
    );
    CREATE TABLE appearances (
        day TEXT NOT NULL,
        position INTEGER NOT NULL,
        paper_id INTEGER NOT NULL REFERENCES papers(id),
        PRIMARY KEY (day, position),
        UNIQUE (day, paper_id)
    );
    CREATE INDEX appearances_by_paper ON appearances(paper_id, day);
    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        day TEXT NOT NULL,
        content_hash TEXT NOT NULL UNIQUE,
        paper_count INTEGER NOT NULL,
        ingested_at TEXT NOT NULL
    );
    -- Stemmed terms of title and abstract (see bot.text.index_text), text lives in papers.
    CREATE VIRTUAL TABLE paper_fts USING fts5(
        title, abstract, content='', tokenize='unicode61 remove_diacritics 0'
    );
    CREATE VIRTUAL TABLE paper_vocab USING fts5vocab(paper_fts, 'row');
    -- Raw title words with prefix indexes, for autocomplete as the user types.
    CREATE VIRTUAL TABLE title_fts USING fts5(
        title, content='papers', content_rowid='id', prefix='2 3'
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)


@dataclass(frozen=True)
class NewPaper:
    """A paper ready to store: display text plus its index form."""

    title_key: str
    title: str
    abstract: str
    links: tuple[Link, ...]
    index_title: str
    index_abstract: str


class Database:
    """One aiosqlite connection with paperboy's queries as methods."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = 2000) -> Database:
        """Open (creating folders and file as needed) and migrate the database.

        `busy_timeout_ms` bounds how long a statement waits for another process's
        lock: short enough that a command still answers within Discord's 3 seconds.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = aiosqlite.connect(path, isolation_level=None)
        # aiosqlite's worker thread is not a daemon: a bot that is never closed (SimCord
        # never calls close) would hang the interpreter at exit. Mark it before it starts.
        worker = getattr(connection, "_thread", None)
        if worker is not None:
            worker.daemon = True
        await connection
        try:
            for pragma in (
                f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
            ):
                # Read each result: a pragma's unread row keeps its statement open,
                # and SQLite then refuses to COMMIT.
                async with connection.execute(pragma) as cursor:
                    await cursor.fetchall()
            database = cls(connection, path)
            await database._migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self) -> None:
        await self._db.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- plumbing ---------------------------------------------------------------

    async def _migrate(self) -> None:
        version = await self._scalar("PRAGMA user_version")
        for number, script in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            async with self.transaction():
                for statement in _statements(script):
                    await self._db.execute(statement)
                await self._db.execute(f"PRAGMA user_version = {number}")
            log.info("database %s migrated to version %d", self.path, number)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back whole on any error."""
        async with self._write_lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return row[0] if row else None

    async def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._db.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def schema_version(self) -> int:
        return int(await self._scalar("PRAGMA user_version"))

    async def get_meta(self, key: str) -> str | None:
        return await self._scalar("SELECT value FROM meta WHERE key = ?", (key,))

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as db:
            await db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # -- ingest -----------------------------------------------------------------

    async def digest_known(self, content_hash: str) -> bool:
        return bool(
            await self._scalar("SELECT 1 FROM digests WHERE content_hash = ?", (content_hash,))
        )

    async def add_digest(
        self, source: str, day: dt.date, content_hash: str, papers: Sequence[NewPaper]
    ) -> IngestOutcome:
        """Store one digest file in one transaction; papers already known are linked, not copied."""
        day_text = day.isoformat()
        async with self.transaction() as db:
            if await self._scalar("SELECT 1 FROM digests WHERE content_hash = ?", (content_hash,)):
                return IngestOutcome(day, already_ingested=True)
            ids = await self._ids_by_key(paper.title_key for paper in papers)
            fresh = [paper for paper in papers if paper.title_key not in ids]
            await db.executemany(
                "INSERT INTO papers(title_key, title, abstract, links, first_day) "
                "VALUES (?, ?, ?, ?, ?)",
                [(p.title_key, p.title, p.abstract, _links_json(p.links), day_text) for p in fresh],
            )
            new_ids = await self._ids_by_key(paper.title_key for paper in fresh)
            ids.update(new_ids)
            await db.executemany(
                "INSERT INTO paper_fts(rowid, title, abstract) VALUES (?, ?, ?)",
                [(new_ids[p.title_key], p.index_title, p.index_abstract) for p in fresh],
            )
            await db.executemany(
                "INSERT INTO title_fts(rowid, title) VALUES (?, ?)",
                [(new_ids[p.title_key], p.title) for p in fresh],
            )
            added = await self._append_to_day(day_text, [ids[p.title_key] for p in papers])
            await db.execute(
                "INSERT INTO digests(source, day, content_hash, paper_count, ingested_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (source, day_text, content_hash, len(papers), _now()),
            )
        return IngestOutcome(
            day,
            new_papers=len(fresh),
            known_papers=len(papers) - len(fresh),
            added_to_day=added,
            new_title_keys=tuple(p.title_key for p in fresh),
        )

    async def _ids_by_key(self, keys: Iterable[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        key_list = list(dict.fromkeys(keys))
        for start in range(0, len(key_list), 500):
            chunk = key_list[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in await self._rows(
                f"SELECT title_key, id FROM papers WHERE title_key IN ({marks})", chunk
            ):
                found[row[0]] = row[1]
        return found

    async def _append_to_day(self, day: str, paper_ids: list[int]) -> int:
        rows = await self._rows("SELECT paper_id, position FROM appearances WHERE day = ?", (day,))
        present = {row[0] for row in rows}
        next_position = max((row[1] for row in rows), default=0) + 1
        added = []
        for paper_id in dict.fromkeys(paper_ids):
            if paper_id not in present:
                added.append((day, next_position, paper_id))
                next_position += 1
        await self._db.executemany(
            "INSERT INTO appearances(day, position, paper_id) VALUES (?, ?, ?)", added
        )
        return len(added)

    # -- papers -----------------------------------------------------------------

    async def papers_by_ids(self, ids: Sequence[int]) -> list[Paper]:
        """Papers in the order of `ids`, each with every day it appeared."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._rows(
            f"SELECT id, title, abstract, links FROM papers WHERE id IN ({marks})", ids
        )
        days: dict[int, list[dt.date]] = {}
        for paper_id, day in await self._rows(
            f"SELECT paper_id, day FROM appearances WHERE paper_id IN ({marks}) ORDER BY day",
            ids,
        ):
            days.setdefault(paper_id, []).append(dt.date.fromisoformat(day))
        by_id = {
            row[0]: Paper(row[0], row[1], row[2], _links(row[3]), tuple(days.get(row[0], ())))
            for row in rows
        }
        return [by_id[paper_id] for paper_id in ids if paper_id in by_id]

    async def paper_id_by_key(self, title_key: str) -> int | None:
        return await self._scalar("SELECT id FROM papers WHERE title_key = ?", (title_key,))

    async def paper_ids_by_keys(self, title_keys: Iterable[str]) -> dict[str, int]:
        return await self._ids_by_key(title_keys)

    async def paper_count(self) -> int:
        return int(await self._scalar("SELECT count(*) FROM papers"))

    async def max_paper_id(self) -> int:
        return int(await self._scalar("SELECT coalesce(max(id), 0) FROM papers"))

    async def day_paper_ids(self, day: dt.date) -> list[int]:
        rows = await self._rows(
            "SELECT paper_id FROM appearances WHERE day = ? ORDER BY position",
            (day.isoformat(),),
        )
        return [row[0] for row in rows]

    async def known_days(self) -> list[DaySummary]:
        """Every day with papers, newest first."""
        rows = await self._rows(
            "SELECT day, count(*) FROM appearances GROUP BY day ORDER BY day DESC"
        )
        return [DaySummary(dt.date.fromisoformat(row[0]), row[1]) for row in rows]

    async def latest_day(self) -> dt.date | None:
        day = await self._scalar("SELECT max(day) FROM appearances")
        return dt.date.fromisoformat(day) if day else None

    async def days_before(self, paper_id: int, day: dt.date) -> bool:
        """Whether the paper appeared on a day earlier than `day`."""
        return bool(
            await self._scalar(
                "SELECT 1 FROM appearances WHERE paper_id = ? AND day < ? LIMIT 1",
                (paper_id, day.isoformat()),
            )
        )

    # -- full-text --------------------------------------------------------------
    # `match` arguments are built by bot.search from quoted terms only; never user text.

    async def ranked_matches(
        self, match: str, limit: int, title_weight: float
    ) -> list[tuple[int, float]]:
        """Up to `limit` (paper id, BM25 score) for the newest matches, higher is better.

        Ordering by rowid keeps the cost bounded by `limit` however common the terms
        are; BM25 is computed only for the rows visited.
        """
        rows = await self._rows(
            "SELECT rowid, -bm25(paper_fts, ?, 1.0) FROM paper_fts WHERE paper_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?",
            (title_weight, match, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def title_matches(self, match: str, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` (id, title) whose raw title words match, newest first."""
        rows = await self._rows(
            "SELECT rowid, title FROM title_fts WHERE title_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def latest_titles(self, limit: int) -> list[tuple[int, str]]:
        rows = await self._rows("SELECT id, title FROM papers ORDER BY id DESC LIMIT ?", (limit,))
        return [(row[0], row[1]) for row in rows]

    async def matching_among(self, match: str, paper_ids: Sequence[int]) -> list[int]:
        """Those of `paper_ids` that match, by direct rowid lookups."""
        ids = list(dict.fromkeys(paper_ids))
        marks = ",".join("?" * len(ids))
        rows = await self._rows(
            f"SELECT rowid FROM paper_fts WHERE paper_fts MATCH ? AND rowid IN ({marks})",
            (match, *ids),
        )
        return [row[0] for row in rows]

    async def count_matches(self, match: str) -> int:
        return int(
            await self._scalar("SELECT count(*) FROM paper_fts WHERE paper_fts MATCH ?", (match,))
        )

    async def nth_match(self, match: str, index: int) -> int | None:
        return await self._scalar(
            "SELECT rowid FROM paper_fts WHERE paper_fts MATCH ? ORDER BY rowid LIMIT 1 OFFSET ?",
            (match, index),
        )

    async def nearest_paper_id(self, at_least: int) -> int | None:
        return await self._scalar(
            "SELECT id FROM papers WHERE id >= ? ORDER BY id LIMIT 1", (at_least,)
        )

    async def vocabulary(self) -> dict[str, int]:
        """Every indexed term with the number of papers containing it."""
        rows = await self._rows("SELECT term, doc FROM paper_vocab")
        return {row[0]: row[1] for row in rows}


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _links_json(links: Iterable[Link]) -> str:
    return json.dumps([[link.url, link.kind] for link in links])


def _links(raw: str) -> tuple[Link, ...]:
    return tuple(Link(url, kind) for url, kind in json.loads(raw))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
