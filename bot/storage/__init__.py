"""All of paperboy's SQL: one SQLite file (WAL), migrated on open.

Each table family has its module and its object on `Database`: `db.archive` (papers,
days, digest files), `db.index` (full-text search, term counts), `db.acronyms` (the
acronyms abstracts define), `db.posts` (servers' channels and posts),
`db.subscriptions` (keywords and alerts sent). A new query goes
in the module of the tables it reads; a new table or column goes in a new numbered
file in `migrations/`.
"""

from __future__ import annotations

from pathlib import Path

from bot.storage.acronym_counts import AcronymCounts
from bot.storage.archive import Archive
from bot.storage.connection import Connection
from bot.storage.posts import Posts
from bot.storage.search_index import SearchIndex
from bot.storage.subscriptions import Subscriptions

__all__ = ["Database"]


class Database:
    """The connection and one object per table family."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.index = SearchIndex(connection)
        self.acronyms = AcronymCounts(connection)
        self.archive = Archive(connection, self.index, self.acronyms)
        self.posts = Posts(connection)
        self.subscriptions = Subscriptions(connection)

    @classmethod
    async def open(cls, path: Path, busy_timeout_ms: int = 2000) -> Database:
        """Open (creating it if needed) and migrate the database file; finish a bulk
        load that a crash interrupted."""
        connection = await Connection.open(path, busy_timeout_ms)
        database = cls(connection)
        try:
            await database.index.finish_interrupted_bulk_load()
        except BaseException:
            await connection.close()
            raise
        return database

    @property
    def path(self) -> Path:
        return self.connection.path

    async def get_meta(self, key: str) -> str | None:
        return await self.connection.get_meta(key)

    async def set_meta(self, key: str, value: str) -> None:
        await self.connection.set_meta(key, value)

    async def close(self) -> None:
        await self.connection.close()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
