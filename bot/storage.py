"""All of paperboy's SQL: one SQLite file (WAL), migrated on open.

Writes are serialised through one lock and grouped in explicit transactions, so a
crash leaves each digest file, each posted message and each alert either recorded
whole or not at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import json
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import aiosqlite

from bot.digest import Link
from bot.matching import Keyword, KeywordIndex, Subscription
from bot.models import DaySummary, IngestOutcome, Paper

log = logging.getLogger(__name__)

_FTS_TABLES = ("paper_fts", "title_fts")
# FTS5's merge settings, normally and during a bulk load. FTS5 would merge index
# segments inside the commit that wrote them (automerge); paperboy merges them in
# `tidy_index` instead, after a pass has posted, so a new day's commit never pays for
# a merge. crisismerge still bounds the segments on one level if tidying never runs.
# A bulk load buffers more terms before writing a segment and merges only when 64
# segments pile up (FTS5 refuses writes past 2,000), then merges once at the end.
# (Merging only at the end, with a 64 MB buffer and 50 files a transaction, measured
# the same at 1M papers: 219 s + 41 s for the final merge, against 240 s + 23 s.)
_FTS_NORMAL = {"automerge": 0, "crisismerge": 16, "hashsize": 1024 * 1024}
_FTS_BULK = {"automerge": 0, "crisismerge": 64, "hashsize": 8 * 1024 * 1024}
_BULK_LOAD_MARK = "bulk_load"  # meta key present while a bulk load runs
_TERM_COUNTS_UPTO = "term_counts_upto"  # meta key: the newest paper term_counts counts
# SQLite's page cache for our one connection (its default is 2 MB). /search reads the
# doclists of common words; with 2 MB they were read from the OS again on every query.
# At 100k papers, multi-word /search p95 went from 7.6-8.4 ms to 5.9-6.2 ms.
PAGE_CACHE_KB = 32 * 1024

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
    # 2: where each server's digests go, and the progress of every day's post.
    """
    CREATE TABLE guild_channels (
        guild_id INTEGER PRIMARY KEY,
        channel_id INTEGER NOT NULL,
        since_day TEXT,
        configured_by INTEGER,
        configured_at TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        retry_after TEXT,
        last_error TEXT
    );
    CREATE TABLE posts (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        day TEXT NOT NULL,
        channel_id INTEGER NOT NULL,
        requested_by INTEGER,
        header_message_id INTEGER,
        thread_id INTEGER,
        target_id INTEGER,
        papers_sent INTEGER NOT NULL DEFAULT 0,
        messages_sent INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'posted')),
        error TEXT,
        created_at TEXT NOT NULL,
        finished_at TEXT
    );
    CREATE UNIQUE INDEX posts_automatic ON posts(guild_id, day) WHERE requested_by IS NULL;
    CREATE INDEX posts_by_guild ON posts(guild_id, status, day);
    CREATE TABLE post_messages (
        post_id INTEGER NOT NULL REFERENCES posts(id),
        first_paper INTEGER NOT NULL,
        paper_count INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (post_id, first_paper)
    );
    """,
    # 3: members' keyword subscriptions, and which papers each member was alerted to.
    """
    CREATE TABLE subscriptions (
        id INTEGER PRIMARY KEY,
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        label TEXT NOT NULL,
        keyword_key TEXT NOT NULL,
        term_count INTEGER NOT NULL,
        exclude TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        UNIQUE (guild_id, user_id, keyword_key)
    );
    CREATE INDEX subscriptions_by_keyword ON subscriptions(guild_id, keyword_key);
    CREATE INDEX subscriptions_by_length ON subscriptions(guild_id, term_count);
    CREATE TABLE alerts_sent (
        guild_id INTEGER NOT NULL,
        user_id INTEGER NOT NULL,
        paper_id INTEGER NOT NULL,
        post_id INTEGER NOT NULL,
        message_id INTEGER NOT NULL,
        PRIMARY KEY (guild_id, user_id, paper_id)
    ) WITHOUT ROWID;
    """,
    # 4: a covering index so a day's alerts read subscribers grouped by keyword and
    # exclude straight from the index.
    """
    DROP INDEX subscriptions_by_keyword;
    DROP INDEX subscriptions_by_length;
    CREATE INDEX subscriptions_by_keyword ON subscriptions(guild_id, keyword_key, exclude, user_id);
    """,
    # 5: index merging moves out of commits into tidy_index (see _FTS_NORMAL). Up to
    # version 4, automerge 0 meant a bulk load was interrupted; the mark says so now.
    """
    INSERT OR IGNORE INTO meta(key, value)
        SELECT 'bulk_load', 'interrupted' FROM paper_fts_config WHERE k = 'automerge' AND v = 0;
    INSERT INTO paper_fts(paper_fts, rank) VALUES ('automerge', 0);
    INSERT INTO title_fts(title_fts, rank) VALUES ('automerge', 0);
    """,
    # 6: the size and modification time of each digest file last seen with a stored
    # content, so a restart trusts an unchanged file without reading and hashing it.
    """
    CREATE TABLE digest_files (
        source TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        content_hash TEXT NOT NULL
    );
    """,
    # 7: papers per index term as of paper id `term_counts_upto` (meta), so a start reads
    # this instead of counting the whole index, then counts only newer papers. Papers
    # are never changed or removed; a migration that re-indexes them must delete both
    # the rows and the meta key (the next start then counts the index).
    """
    CREATE TABLE term_counts (term TEXT PRIMARY KEY, papers INTEGER NOT NULL) WITHOUT ROWID;
    """,
)


class TermCounts(NamedTuple):
    """How many papers hold each index term, counting papers up to id `upto`."""

    counts: dict[str, int]
    upto: int


class Written(NamedTuple):
    """What a write statement did."""

    rowcount: int
    lastrowid: int | None


@dataclass(frozen=True)
class NewPaper:
    """A paper ready to store: display text plus its index form."""

    title_key: str
    title: str
    abstract: str
    links: tuple[Link, ...]
    index_title: str
    index_abstract: str
    # The distinct terms of both, when prepare() was asked to keep them (a bot's new
    # day, whose terms go on to the vocabulary); splitting the index text again costs
    # more than keeping the stemmed words' sets.
    terms: frozenset[str] | None = None

    def vocabulary(self) -> frozenset[str]:
        """The distinct index terms of title and abstract."""
        if self.terms is not None:
            return self.terms
        return frozenset((*self.index_title.split(), *self.index_abstract.split()))


@dataclass(frozen=True)
class NewDigest:
    """One parsed digest file ready to store."""

    source: str
    day: dt.date
    content_hash: str
    papers: Sequence[NewPaper]
    file_signature: tuple[int, int] | None = None  # see ParsedDigest


@dataclass(frozen=True)
class GuildChannel:
    """Where a server's digests go, and how posting there has been going."""

    guild_id: int
    channel_id: int
    since_day: dt.date | None
    failures: int = 0
    retry_after: dt.datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True)
class Post:
    """One day's post in one server: how far it got."""

    id: int
    guild_id: int
    day: dt.date
    channel_id: int
    requested_by: int | None
    header_message_id: int | None
    thread_id: int | None
    target_id: int | None
    papers_sent: int
    messages_sent: int
    status: str
    error: str | None
    finished_at: str | None


_POST_COLUMNS = (
    "id, guild_id, day, channel_id, requested_by, header_message_id, thread_id, target_id, "
    "papers_sent, messages_sent, status, error, finished_at"
)


def _post(row: Sequence[Any]) -> Post:
    return Post(row[0], row[1], dt.date.fromisoformat(row[2]), *row[3:])


class Database:
    """One aiosqlite connection with paperboy's queries as methods."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()
        self._keyword_indexes: dict[int, KeywordIndex] = {}

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
                f"PRAGMA cache_size = -{PAGE_CACHE_KB}",
            ):
                # Read each result: a pragma's unread row keeps its statement open,
                # and SQLite then refuses to COMMIT.
                async with connection.execute(pragma) as cursor:
                    await cursor.fetchall()
            database = cls(connection, path)
            await database._migrate()
            await database._finish_interrupted_bulk_load()
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
                    await self._execute(statement)
                await self._execute(f"PRAGMA user_version = {number}")
            log.info("database %s migrated to version %d", self.path, number)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction at a time; rolled back whole on any error."""
        async with self._write_lock:
            await self._execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                # SQLite has already rolled back after some errors (SQLITE_FULL, ...).
                if self._db.in_transaction:
                    await self._execute("ROLLBACK")
                raise
            await self._execute("COMMIT")

    # Every statement's cursor is closed by aiosqlite's worker thread: a cursor left to
    # be freed later, on whichever thread drops it last, resets its (shared, cached)
    # statement there, racing the worker thread that may be running it again.
    async def _execute(self, sql: str, params: Sequence[Any] = ()) -> Written:
        cursor = await self._db.execute(sql, params)
        written = Written(cursor.rowcount, cursor.lastrowid)
        await cursor.close()
        return written

    async def _execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        cursor = await self._db.executemany(sql, rows)
        await cursor.close()

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
        async with self.transaction():
            await self._put_meta(key, value)

    async def _put_meta(self, key: str, value: str) -> None:
        """Set a meta value within the caller's transaction."""
        await self._execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    # -- ingest -----------------------------------------------------------------

    async def digest_known(self, content_hash: str) -> bool:
        return bool(
            await self._scalar("SELECT 1 FROM digests WHERE content_hash = ?", (content_hash,))
        )

    async def digest_days_by_hash(self) -> dict[str, dt.date]:
        """The day of every stored digest file, by content hash."""
        rows = await self._rows("SELECT content_hash, day FROM digests")
        return {row[0]: dt.date.fromisoformat(row[1]) for row in rows}

    async def known_file_hashes(self) -> dict[str, tuple[int, int, str]]:
        """source -> (size, mtime_ns, content hash) of each digest file seen stored."""
        rows = await self._rows("SELECT source, size, mtime_ns, content_hash FROM digest_files")
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    async def remember_files(self, files: Iterable[tuple[str, tuple[int, int], str]]) -> None:
        """Record (source, (size, mtime_ns), content hash) of files found already stored."""
        files = list(files)
        if not files:
            return
        async with self.transaction():
            for source, signature, content_hash in files:
                await self._remember_file(source, signature, content_hash)

    async def _remember_file(
        self, source: str, signature: tuple[int, int], content_hash: str
    ) -> None:
        await self._execute(
            "INSERT OR REPLACE INTO digest_files(source, size, mtime_ns, content_hash) "
            "VALUES (?, ?, ?, ?)",
            (source, *signature, content_hash),
        )

    async def add_digest(
        self, source: str, day: dt.date, content_hash: str, papers: Sequence[NewPaper]
    ) -> IngestOutcome:
        """Store one digest file in one transaction; papers already known are linked, not copied."""
        return (await self.add_digests([NewDigest(source, day, content_hash, papers)]))[0]

    async def add_digests(self, digests: Sequence[NewDigest]) -> list[IngestOutcome]:
        """Store digest files, in order, in one transaction (see `add_digest`)."""
        async with self.transaction():
            return [await self._store_digest(digest) for digest in digests]

    async def _store_digest(self, digest: NewDigest) -> IngestOutcome:
        day, papers = digest.day, digest.papers
        day_text = day.isoformat()
        if digest.file_signature is not None:
            await self._remember_file(digest.source, digest.file_signature, digest.content_hash)
        if await self.digest_known(digest.content_hash):
            return IngestOutcome(day, already_ingested=True)
        ids = await self._ids_by_key(paper.title_key for paper in papers)
        fresh = [paper for paper in papers if paper.title_key not in ids]
        # Ids are given, not looked up after: this transaction is the only writer.
        first_id = await self.max_paper_id() + 1
        new_ids = {paper.title_key: first_id + n for n, paper in enumerate(fresh)}
        await self._execute_many(
            "INSERT INTO papers(id, title_key, title, abstract, links, first_day) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    new_ids[p.title_key],
                    p.title_key,
                    p.title,
                    p.abstract,
                    _links_json(p.links),
                    day_text,
                )
                for p in fresh
            ],
        )
        ids.update(new_ids)
        await self._execute_many(
            "INSERT INTO paper_fts(rowid, title, abstract) VALUES (?, ?, ?)",
            [(new_ids[p.title_key], p.index_title, p.index_abstract) for p in fresh],
        )
        await self._execute_many(
            "INSERT INTO title_fts(rowid, title) VALUES (?, ?)",
            [(new_ids[p.title_key], p.title) for p in fresh],
        )
        added = await self._append_to_day(day_text, [ids[p.title_key] for p in papers])
        await self._execute(
            "INSERT INTO digests(source, day, content_hash, paper_count, ingested_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (digest.source, day_text, digest.content_hash, len(papers), _now()),
        )
        return IngestOutcome(
            day,
            new_papers=len(fresh),
            known_papers=len(papers) - len(fresh),
            added_to_day=added,
            new_title_keys=tuple(p.title_key for p in fresh),
        )

    @asynccontextmanager
    async def bulk_load(self) -> AsyncIterator[None]:
        """Defer full-text index merging while many digests load, then merge once.

        FTS5 merges its index segments as it goes; over a whole archive that merging
        costs more than the indexing itself, and one final merge does the same work
        once. The final merge rewrites the whole index, so it runs only when the load
        wrote most of it; after a smaller load `tidy_index` merges as usual. A load cut
        short (a crash) is finished when the database is next opened.
        """
        before = await self.max_paper_id()
        async with self.transaction():
            await self._apply_fts_settings(_FTS_BULK)
            await self._execute(
                "INSERT OR REPLACE INTO meta(key, value) VALUES (?, 'running')", (_BULK_LOAD_MARK,)
            )
        try:
            yield
        finally:
            after = await self.max_paper_id()
            await self._end_bulk_load(optimize=(after - before) * 2 > after)

    async def _end_bulk_load(self, optimize: bool = True) -> None:
        async with self.transaction():
            await self._apply_fts_settings(_FTS_NORMAL)
            if optimize:
                for table in _FTS_TABLES:
                    await self._execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            await self._execute("DELETE FROM meta WHERE key = ?", (_BULK_LOAD_MARK,))
        await self._pragma("PRAGMA wal_checkpoint(PASSIVE)")

    async def _finish_interrupted_bulk_load(self) -> None:
        if await self.get_meta(_BULK_LOAD_MARK) is not None:
            log.warning("a bulk load was interrupted; merging the full-text index now")
            await self._end_bulk_load()

    async def _apply_fts_settings(self, settings: dict[str, int]) -> None:
        for table in _FTS_TABLES:
            for name, value in settings.items():
                await self._execute(
                    f"INSERT INTO {table}({table}, rank) VALUES (?, ?)", (name, value)
                )

    async def tidy_index(self, pages: int = 500, max_steps: int = 8) -> int:
        """Merge the full-text index's small segments, then checkpoint the WAL.

        The bot calls this after each pass has posted, so that commits of new days never
        merge (see `_FTS_NORMAL`). Each step merges about `pages` pages and holds the
        database only that long; it stops when FTS5 has nothing left to merge, or after
        `max_steps` (the next call goes on). Returns the steps that merged something.
        """
        steps = 0
        for _ in range(max_steps):
            merged = False
            async with self.transaction():
                for table in _FTS_TABLES:
                    before = self._db.total_changes
                    await self._execute(
                        f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (pages,)
                    )
                    # FTS5's documented test: a merge that wrote anything changed 2+ rows.
                    merged |= self._db.total_changes - before >= 2
            if not merged:
                break
            steps += 1
        await self._pragma("PRAGMA wal_checkpoint(PASSIVE)")
        return steps

    async def _pragma(self, sql: str) -> None:
        # Read the result: a pragma's unread row keeps its statement open.
        await self._rows(sql)

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
        await self._execute_many(
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

    async def titles_by_ids(self, ids: Sequence[int]) -> dict[int, str]:
        """id -> title, in the order of `ids` (unknown ids left out)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._rows(f"SELECT id, title FROM papers WHERE id IN ({marks})", ids)
        found = {row[0]: row[1] for row in rows}
        return {paper_id: found[paper_id] for paper_id in ids if paper_id in found}

    async def texts_and_title_match(
        self, ids: Sequence[int], title_key: str
    ) -> tuple[dict[int, tuple[str, str]], int | None]:
        """id -> (title, abstract) in the order of `ids` (unknown ids left out), plus the
        paper whose title key is `title_key` (its id returned, its text included), in one
        query: /search asks for both."""
        # With no ids, `id IN ()` would turn the OR into a scan of every paper.
        where = f"id IN ({','.join('?' * len(ids))}) OR title_key = ?" if ids else "title_key = ?"
        rows = await self._rows(
            f"SELECT id, title, abstract, title_key = ? FROM papers WHERE {where}",
            (title_key, *ids, title_key),
        )
        found = {row[0]: (row[1], row[2]) for row in rows}
        texts = {paper_id: found[paper_id] for paper_id in ids if paper_id in found}
        exact_id = next((row[0] for row in rows if row[3]), None)
        if exact_id is not None:
            texts.setdefault(exact_id, found[exact_id])
        return texts, exact_id

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

    async def day_paper_count(self, day: dt.date) -> int:
        return int(
            await self._scalar("SELECT count(*) FROM appearances WHERE day = ?", (day.isoformat(),))
        )

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

    async def newest_matches(self, match: str, limit: int) -> list[int]:
        """Ids of up to `limit` of the newest papers matching, unscored (nothing is ranked)."""
        rows = await self._rows(
            "SELECT rowid FROM paper_fts WHERE paper_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
        return [row[0] for row in rows]

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

    async def reopen_posts(self, day: dt.date) -> None:
        """A day grew: finished posts of it continue with the papers not yet sent."""
        async with self.transaction():
            await self._execute(
                "UPDATE posts SET status = 'pending', finished_at = NULL "
                "WHERE day = ? AND status = 'posted'",
                (day.isoformat(),),
            )

    # -- servers and posts ------------------------------------------------------

    async def set_channel(
        self, guild_id: int, channel_id: int, user_id: int, since_day: dt.date | None
    ) -> GuildChannel | None:
        """Point a server's digests at a channel; returns the previous setting.

        The first setup remembers `since_day` (days up to it are not posted
        automatically); moving the channel keeps it, and unfinished posts move along.
        """
        previous = await self.guild_channel(guild_id)
        since = since_day.isoformat() if since_day else None
        async with self.transaction():
            await self._execute(
                "INSERT INTO guild_channels(guild_id, channel_id, since_day, configured_by, "
                "configured_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "configured_by = excluded.configured_by, configured_at = excluded.configured_at, "
                "failures = 0, retry_after = NULL, last_error = NULL",
                (guild_id, channel_id, since, user_id, _now()),
            )
            if previous and previous.channel_id != channel_id:
                await self._execute(
                    "UPDATE posts SET channel_id = ?, header_message_id = NULL, thread_id = NULL, "
                    "target_id = NULL WHERE guild_id = ? AND status = 'pending'",
                    (channel_id, guild_id),
                )
        return previous

    async def guild_channel(self, guild_id: int) -> GuildChannel | None:
        rows = await self._rows(
            "SELECT guild_id, channel_id, since_day, failures, retry_after, last_error "
            "FROM guild_channels WHERE guild_id = ?",
            (guild_id,),
        )
        return _guild_channel(rows[0]) if rows else None

    async def guild_channels(self) -> list[GuildChannel]:
        rows = await self._rows(
            "SELECT guild_id, channel_id, since_day, failures, retry_after, last_error "
            "FROM guild_channels ORDER BY guild_id"
        )
        return [_guild_channel(row) for row in rows]

    async def record_guild_failure(
        self, guild_id: int, error: str, retry_after: dt.datetime
    ) -> None:
        async with self.transaction():
            await self._execute(
                "UPDATE guild_channels SET failures = failures + 1, last_error = ?, "
                "retry_after = ? WHERE guild_id = ?",
                (error, retry_after.isoformat(), guild_id),
            )

    async def clear_guild_failure(self, guild_id: int) -> None:
        async with self.transaction():
            await self._execute(
                "UPDATE guild_channels SET failures = 0, last_error = NULL, retry_after = NULL "
                "WHERE guild_id = ? AND failures > 0",
                (guild_id,),
            )

    async def schedule_automatic_posts(
        self, guild_id: int, channel_id: int, days: Iterable[dt.date]
    ) -> None:
        """Create the automatic post of each day, once ever per server and day."""
        async with self.transaction():
            await self._execute_many(
                "INSERT INTO posts(guild_id, day, channel_id, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(guild_id, day.isoformat(), channel_id, _now()) for day in days],
            )

    async def automatic_post_days(self, guild_id: int) -> set[dt.date]:
        rows = await self._rows(
            "SELECT day FROM posts WHERE guild_id = ? AND requested_by IS NULL", (guild_id,)
        )
        return {dt.date.fromisoformat(row[0]) for row in rows}

    async def request_post(
        self, guild_id: int, channel_id: int, day: dt.date, user_id: int
    ) -> Post:
        """An admin's explicit request to post a day (again)."""
        async with self.transaction():
            cursor = await self._execute(
                "INSERT INTO posts(guild_id, day, channel_id, requested_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (guild_id, day.isoformat(), channel_id, user_id, _now()),
            )
            post_id = cursor.lastrowid
        post = await self.post(post_id)
        assert post is not None
        return post

    async def post(self, post_id: int) -> Post | None:
        rows = await self._rows(f"SELECT {_POST_COLUMNS} FROM posts WHERE id = ?", (post_id,))
        return _post(rows[0]) if rows else None

    async def open_posts(self, guild_id: int) -> list[Post]:
        """Unfinished posts of a server, oldest day first."""
        rows = await self._rows(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE guild_id = ? AND status = 'pending' "
            "ORDER BY day, id",
            (guild_id,),
        )
        return [_post(row) for row in rows]

    async def latest_post(self, guild_id: int) -> Post | None:
        rows = await self._rows(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE guild_id = ? ORDER BY id DESC LIMIT 1",
            (guild_id,),
        )
        return _post(rows[0]) if rows else None

    async def record_header(self, post_id: int, message_id: int | None) -> None:
        await self._update_post(post_id, "header_message_id = ?", message_id)

    async def record_target(
        self, post_id: int, thread_id: int | None, target_id: int | None
    ) -> None:
        await self._update_post(post_id, "thread_id = ?, target_id = ?", thread_id, target_id)

    async def record_post_error(self, post_id: int, error: str | None) -> None:
        await self._update_post(post_id, "error = ?", error)

    async def record_post_message(
        self, post_id: int, first_paper: int, paper_count: int, message_id: int
    ) -> None:
        """One message of a post was sent: remember it before sending the next."""
        async with self.transaction():
            await self._execute(
                "INSERT INTO post_messages(post_id, first_paper, paper_count, message_id) "
                "VALUES (?, ?, ?, ?)",
                (post_id, first_paper, paper_count, message_id),
            )
            await self._execute(
                "UPDATE posts SET papers_sent = ?, messages_sent = messages_sent + 1, "
                "error = NULL WHERE id = ?",
                (first_paper + paper_count, post_id),
            )

    async def finish_post(self, post_id: int) -> None:
        await self._update_post(post_id, "status = 'posted', error = NULL, finished_at = ?", _now())

    async def _update_post(self, post_id: int, assignments: str, *values: Any) -> None:
        async with self.transaction():
            await self._execute(f"UPDATE posts SET {assignments} WHERE id = ?", (*values, post_id))

    # -- subscriptions and alerts -----------------------------------------------

    async def add_subscription(
        self, guild_id: int, user_id: int, keyword: Keyword, limit: int
    ) -> str:
        """Store a subscription: returns "added", "duplicate" or "limit"."""
        async with self.transaction():
            if await self._scalar(
                "SELECT 1 FROM subscriptions WHERE guild_id = ? AND user_id = ? "
                "AND keyword_key = ?",
                (guild_id, user_id, keyword.key),
            ):
                return "duplicate"
            count = await self._scalar(
                "SELECT count(*) FROM subscriptions WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            if count >= limit:
                return "limit"
            await self._execute(
                "INSERT INTO subscriptions(guild_id, user_id, label, keyword_key, term_count, "
                "exclude, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    user_id,
                    keyword.label,
                    keyword.key,
                    len(keyword.terms),
                    " ".join(keyword.exclude),
                    _now(),
                ),
            )
        if (index := self._keyword_indexes.get(guild_id)) is not None:
            index.add(keyword.key, " ".join(keyword.exclude), user_id)
        return "added"

    async def remove_subscription(self, guild_id: int, user_id: int, keyword_key: str) -> bool:
        async with self.transaction():
            cursor = await self._execute(
                "DELETE FROM subscriptions WHERE guild_id = ? AND user_id = ? AND keyword_key = ?",
                (guild_id, user_id, keyword_key),
            )
        if (index := self._keyword_indexes.get(guild_id)) is not None:
            index.remove(keyword_key, user_id)
        return cursor.rowcount > 0

    async def subscriptions_of(self, guild_id: int, user_id: int) -> list[Subscription]:
        rows = await self._rows(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE guild_id = ? AND user_id = ? "
            "ORDER BY label",
            (guild_id, user_id),
        )
        return [_subscription(row) for row in rows]

    async def keyword_index(self, guild_id: int) -> KeywordIndex:
        """The server's subscriptions as a KeywordIndex: read once, then kept in step."""
        index = self._keyword_indexes.get(guild_id)
        if index is None:
            async with self._db.execute(
                "SELECT keyword_key, exclude, user_id FROM subscriptions WHERE guild_id = ?",
                (guild_id,),
            ) as cursor:
                index = KeywordIndex(await cursor.fetchall())
            self._keyword_indexes[guild_id] = index
            # Long-lived and large: keep the cyclic GC from re-scanning it on every
            # full collection (measured: 100 ms pauses in alert decisions otherwise).
            gc.freeze()
        return index

    async def already_alerted(
        self, guild_id: int, user_ids: Sequence[int], paper_ids: Sequence[int]
    ) -> set[tuple[int, int]]:
        """(user, paper) pairs among these that were already alerted in this server."""
        if not user_ids or not paper_ids:
            return set()
        pairs: set[tuple[int, int]] = set()
        paper_marks = ",".join("?" * len(paper_ids))
        for start in range(0, len(user_ids), 400):
            chunk = list(user_ids[start : start + 400])
            rows = await self._rows(
                "SELECT user_id, paper_id FROM alerts_sent WHERE guild_id = ? "
                f"AND user_id IN ({','.join('?' * len(chunk))}) AND paper_id IN ({paper_marks})",
                (guild_id, *chunk, *paper_ids),
            )
            pairs.update((row[0], row[1]) for row in rows)
        return pairs

    async def record_alert(
        self, guild_id: int, user_id: int, paper_ids: Iterable[int], post_id: int, message_id: int
    ) -> None:
        """An alert message was sent: these papers are never alerted to this member again."""
        async with self.transaction():
            await self._execute_many(
                "INSERT INTO alerts_sent(guild_id, user_id, paper_id, post_id, message_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(guild_id, user_id, paper_id, post_id, message_id) for paper_id in paper_ids],
            )

    # -- term counts (the search vocabulary) ---------------------------------------

    async def vocabulary(self) -> dict[str, int]:
        """Every indexed term with the number of papers containing it, counted from the
        index: it reads every doclist (7.4 s at 1M papers)."""
        rows = await self._rows("SELECT term, doc FROM paper_vocab")
        return {row[0]: row[1] for row in rows}

    async def saved_term_counts(self) -> TermCounts | None:
        """The term counts last saved, or None when there are none (or a save ran
        while they were being read: saves only ever move `upto` forward)."""
        upto = await self.get_meta(_TERM_COUNTS_UPTO)
        if upto is None:
            return None
        rows = await self._rows("SELECT term, papers FROM term_counts")
        if await self.get_meta(_TERM_COUNTS_UPTO) != upto:
            return None
        return TermCounts({row[0]: row[1] for row in rows}, int(upto))

    async def save_term_counts(self, counts: TermCounts, *, since: int | None = None) -> bool:
        """Save `counts` as the term counts up to `counts.upto`, replacing those saved.

        With `since`, `counts` are those of the papers after `since` only: they are added
        to the saved counts if those still count up to `since` (another process may have
        added them already), else nothing is saved and the result is False. Without, they
        are saved unless the saved ones count further.
        """
        async with self.transaction():
            saved_upto = await self.get_meta(_TERM_COUNTS_UPTO)
            if since is not None:
                if saved_upto != str(since):
                    return False
                await self._execute_many(
                    "INSERT INTO term_counts(term, papers) VALUES (?, ?) "
                    "ON CONFLICT(term) DO UPDATE SET papers = papers + excluded.papers",
                    counts.counts.items(),
                )
            else:
                if saved_upto is not None and int(saved_upto) > counts.upto:
                    return False
                await self._execute("DELETE FROM term_counts")
                await self._execute_many(
                    "INSERT INTO term_counts(term, papers) VALUES (?, ?)", counts.counts.items()
                )
            await self._put_meta(_TERM_COUNTS_UPTO, str(counts.upto))
        return True

    async def texts_after(self, paper_id: int, upto: int, limit: int) -> list[tuple[int, str, str]]:
        """(id, title, abstract) of the first `limit` papers after `paper_id` and up to
        `upto`, oldest first."""
        rows = await self._rows(
            "SELECT id, title, abstract FROM papers WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
            (paper_id, upto, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]


_SUBSCRIPTION_COLUMNS = "id, guild_id, user_id, label, keyword_key, exclude"


def _subscription(row: Sequence[Any]) -> Subscription:
    keyword = Keyword(row[3], tuple(row[4].split()), tuple(row[5].split()))
    return Subscription(row[0], row[1], row[2], keyword)


def _guild_channel(row: Sequence[Any]) -> GuildChannel:
    return GuildChannel(
        guild_id=row[0],
        channel_id=row[1],
        since_day=dt.date.fromisoformat(row[2]) if row[2] else None,
        failures=row[3],
        retry_after=dt.datetime.fromisoformat(row[4]) if row[4] else None,
        last_error=row[5],
    )


def _statements(script: str) -> list[str]:
    return [statement.strip() for statement in script.split(";") if statement.strip()]


def _links_json(links: Iterable[Link]) -> str:
    return json.dumps([[link.url, link.kind] for link in links])


def _links(raw: str) -> tuple[Link, ...]:
    return tuple(Link(url, kind) for url, kind in json.loads(raw))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
