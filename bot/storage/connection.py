"""The one SQLite connection: opening, pragmas, the write lock, transactions, meta.

Writes are serialised through one lock and grouped in explicit transactions, so a
crash leaves each digest file, each posted message and each alert either recorded
whole or not at all.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence, Sized
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

R = TypeVar("R")

# SQLite's page cache for our one connection (its default is 2 MB). /search reads the
# doclists of common words; with 2 MB they were read from the OS again on every query.
# At 100k papers, multi-word /search p95 went from 7.6-8.4 ms to 5.9-6.2 ms.
PAGE_CACHE_KB = 32 * 1024


class DatabaseUnusable(Exception):
    """The database file cannot be used as it is; the message says which, why, and
    what to do. paperboy never overwrites such a file."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(
            f"{path}: {what}. paperboy will not start on it and never overwrites it: move it "
            "away to start with a new database in its place, or restore a backup."
        )


class Written(NamedTuple):
    """What a write statement did."""

    rowcount: int
    lastrowid: int | None


class Connection:
    """One aiosqlite connection with the plumbing every table family shares."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self._db = connection
        self.path = path
        self._write_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = 2000) -> Connection:
        """Open (creating folders and file as needed) and migrate the database.

        `busy_timeout_ms` bounds how long a statement waits for another process's
        lock: short enough that a command still answers within Discord's 3 seconds.
        """
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DatabaseUnusable(
                path.parent, f"cannot create its folder ({error.strerror})"
            ) from error
        connection = aiosqlite.connect(path, isolation_level=None)
        # aiosqlite's worker thread is not a daemon: a bot that is never closed (SimCord
        # never calls close) would hang the interpreter at exit. Mark it before it starts.
        worker = getattr(connection, "_thread", None)
        if worker is not None:
            worker.daemon = True
        try:
            await connection
        except sqlite3.Error as error:
            raise DatabaseUnusable(path, f"cannot be opened ({error})") from error
        opened = cls(connection, path)
        try:
            for pragma in (
                f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
                f"PRAGMA cache_size = -{PAGE_CACHE_KB}",
            ):
                await opened.pragma(pragma)
        except sqlite3.DatabaseError as error:
            await connection.close()
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise  # another process holds it: worth retrying, not the file's fault
            raise DatabaseUnusable(path, f"is not a usable SQLite database ({error})") from error
        try:
            await migrate(opened)
        except BaseException:
            await connection.close()
            raise
        return opened

    async def close(self) -> None:
        await self._db.close()

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    @property
    def total_changes(self) -> int:
        return self._db.total_changes

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """One write transaction at a time; rolled back whole on any error."""
        async with self._write_lock:
            await self.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                # SQLite has already rolled back after some errors (SQLITE_FULL, ...).
                if self._db.in_transaction:
                    await self.execute("ROLLBACK")
                raise
            await self.execute("COMMIT")

    # Each statement is one trip to aiosqlite's worker thread: executed, read and its
    # cursor closed there. A trip costs about 0.1 ms, and aiosqlite's own cursors take
    # two or three (execute, fetch, close). Closing on the worker thread matters too: a
    # cursor freed later, on whichever thread drops it last, resets its (shared, cached)
    # statement there, racing the worker thread that may be running it again.
    async def execute(self, sql: str, params: Sequence[Any] = ()) -> Written:
        return await self._on_worker(_execute, sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if isinstance(rows, Sized) and not rows:
            return  # nothing to write: no trip
        await self._on_worker(_execute_many, sql, rows)

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self._on_worker(_fetch_one, sql, params)
        return row[0] if row else None

    async def rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return await self._on_worker(_fetch_all, sql, params)

    async def _on_worker(self, function: Callable[..., R], *args: Any) -> R:
        """`function(sqlite3 connection, *args)`, run on aiosqlite's worker thread."""
        # aiosqlite runs each of its own calls this way (`_execute`) but offers no
        # public way to run one of ours.
        result: R = await self._db._execute(function, self._db._conn, *args)  # type: ignore[no-untyped-call]
        return result

    async def pragma(self, sql: str) -> None:
        # Read the result: a pragma's unread row keeps its statement open, and SQLite
        # then refuses to COMMIT.
        await self.rows(sql)

    async def get_meta(self, key: str) -> str | None:
        value = await self.scalar("SELECT value FROM meta WHERE key = ?", (key,))
        return None if value is None else str(value)

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction():
            await self.put_meta(key, value)

    async def put_meta(self, key: str, value: str) -> None:
        """Set a meta value within the caller's transaction."""
        await self.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    async def delete_meta(self, key: str) -> None:
        """Remove a meta value within the caller's transaction."""
        await self.execute("DELETE FROM meta WHERE key = ?", (key,))


def _execute(connection: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Written:
    cursor = connection.execute(sql, params)
    try:
        return Written(cursor.rowcount, cursor.lastrowid)
    finally:
        cursor.close()


def _execute_many(connection: sqlite3.Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    connection.executemany(sql, rows).close()


def _fetch_all(
    connection: sqlite3.Connection, sql: str, params: Sequence[Any]
) -> list[sqlite3.Row]:
    cursor = connection.execute(sql, params)
    try:
        return cursor.fetchall()
    finally:
        cursor.close()


def _fetch_one(connection: sqlite3.Connection, sql: str, params: Sequence[Any]) -> Any:
    cursor = connection.execute(sql, params)
    try:
        return cursor.fetchone()
    finally:
        cursor.close()


# -- migrations --------------------------------------------------------------------


def migration_scripts() -> list[tuple[int, str, str]]:
    """(number, name, SQL) of every migration file, in order. A file is named
    `NNNN_what_it_does.sql`; its number is the schema version it brings the file to."""
    folder = resources.files("bot.storage") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number = int(entry.name.split("_", 1)[0])
            scripts.append((number, entry.name, entry.read_text(encoding="utf-8")))
    scripts.sort()
    numbers = [number for number, _, _ in scripts]
    if numbers != list(range(1, len(scripts) + 1)):
        raise RuntimeError(f"migrations must be numbered 1, 2, 3, ... without gaps: {numbers}")
    return scripts


def split_statements(script: str) -> list[str]:
    """The SQL statements of a script, each whole: a `;` inside a trigger body, a string
    or a comment does not end a statement (sqlite3.complete_statement decides)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip() and not _only_comments(pending):
        raise ValueError(f"unterminated SQL statement: {pending.strip()[:80]!r}")
    return statements


def _only_comments(sql: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in sql.splitlines())


async def migrate(connection: Connection) -> None:
    """Apply every migration newer than the file's `user_version`, each in one
    transaction together with the version it brings, so a failure leaves none of it."""
    version = int(await connection.scalar("PRAGMA user_version"))
    scripts = migration_scripts()
    if version > len(scripts):
        raise DatabaseUnusable(
            connection.path,
            f"was written by a newer paperboy (schema {version}; this one knows {len(scripts)})",
        )
    for number, name, script in scripts:
        if number <= version:
            continue
        try:
            async with connection.transaction():
                for statement in split_statements(script):
                    await connection.execute(statement)
                await connection.execute(f"PRAGMA user_version = {number}")
        except sqlite3.OperationalError as error:
            if "locked" in str(error):
                raise
            what = f"could not be brought to schema {number} by {name} ({error})"
            raise DatabaseUnusable(connection.path, what) from error
        log.info("database %s migrated to version %d (%s)", connection.path, number, name)


def now_text() -> str:
    """The current UTC time as stored in the database's text columns."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
