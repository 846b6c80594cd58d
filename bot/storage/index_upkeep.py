"""The full-text index's upkeep: bulk loads, merging, and the saved term counts.

`SearchIndex` (bot.storage.search_index) inherits these; they are apart only to keep
each module short.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.models import TermCounts
from bot.storage.connection import Connection

log = logging.getLogger(__name__)

FTS_TABLES = ("paper_fts", "title_fts", "author_fts", "focus_fts")
# FTS5's merge settings, normally and during a bulk load. FTS5 would merge index
# segments inside the commit that wrote them (automerge); paperboy merges them in
# `tidy` instead, after a pass has posted, so a new day's commit never pays for a
# merge. crisismerge still bounds the segments on one level if tidying never runs.
# A bulk load buffers more terms before writing a segment and merges only when 64
# segments pile up (FTS5 refuses writes past 2,000), then merges once at the end.
# (Merging only at the end, with a 64 MB buffer and 50 files a transaction, measured
# the same at 1M papers: 219 s + 41 s for the final merge, against 240 s + 23 s.)
FTS_NORMAL = {"automerge": 0, "crisismerge": 16, "hashsize": 1024 * 1024}
FTS_BULK = {"automerge": 0, "crisismerge": 64, "hashsize": 8 * 1024 * 1024}
BULK_LOAD_MARK = "bulk_load"  # meta key present while a bulk load runs
TERM_COUNTS_UPTO = "term_counts_upto"  # meta key: the newest paper term_counts counts


class IndexUpkeep:
    """Bulk loads, merging and term counts of the full-text tables (FTS_TABLES)."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    @asynccontextmanager
    async def bulk_load(self) -> AsyncIterator[None]:
        """Defer index merging while many digests load, then merge once.

        FTS5 merges its index segments as it goes; over a whole archive that merging
        costs more than the indexing itself, and one final merge does the same work
        once. The final merge rewrites the whole index, so it runs only when the load
        wrote most of it; after a smaller load `tidy` merges as usual. A load cut short
        (a crash) is finished when the database is next opened
        (`finish_interrupted_bulk_load`).
        """
        before = await self._newest_paper()
        async with self._db.transaction():
            await self._apply_settings(FTS_BULK)
            await self._db.put_meta(BULK_LOAD_MARK, "running")
        try:
            yield
        finally:
            after = await self._newest_paper()
            await self._end_bulk_load(optimize=(after - before) * 2 > after)

    async def _newest_paper(self) -> int:
        # Index rowids are paper ids; papers' primary key answers this at once.
        return int(await self._db.scalar("SELECT coalesce(max(id), 0) FROM papers"))

    async def finish_interrupted_bulk_load(self) -> None:
        if await self._db.get_meta(BULK_LOAD_MARK) is not None:
            log.warning("a bulk load was interrupted; merging the full-text index now")
            await self._end_bulk_load()

    async def _end_bulk_load(self, optimize: bool = True) -> None:
        async with self._db.transaction():
            await self._apply_settings(FTS_NORMAL)
            if optimize:
                for table in FTS_TABLES:
                    await self._db.execute(f"INSERT INTO {table}({table}) VALUES ('optimize')")
            await self._db.delete_meta(BULK_LOAD_MARK)
        await self._db.pragma("PRAGMA wal_checkpoint(PASSIVE)")

    async def _apply_settings(self, settings: dict[str, int]) -> None:
        for table in FTS_TABLES:
            for name, value in settings.items():
                await self._db.execute(
                    f"INSERT INTO {table}({table}, rank) VALUES (?, ?)", (name, value)
                )

    async def tidy(self, pages: int = 500, max_steps: int = 8) -> int:
        """Merge the full-text index's small segments, then checkpoint the WAL.

        The bot calls this after each pass has posted, so that commits of new days never
        merge (see `FTS_NORMAL`). Each step merges about `pages` pages and holds the
        database only that long; it stops when FTS5 has nothing left to merge, or after
        `max_steps` (the next call goes on). Returns the steps that merged something.
        """
        steps = 0
        for _ in range(max_steps):
            merged = False
            async with self._db.transaction():
                for table in FTS_TABLES:
                    before = self._db.total_changes
                    await self._db.execute(
                        f"INSERT INTO {table}({table}, rank) VALUES ('merge', ?)", (pages,)
                    )
                    # FTS5's documented test: a merge that wrote anything changed 2+ rows.
                    merged |= self._db.total_changes - before >= 2
            if not merged:
                break
            steps += 1
        await self._db.pragma("PRAGMA wal_checkpoint(PASSIVE)")
        return steps

    # -- term counts (the search vocabulary) --------------------------------------------

    async def count_index_terms(self) -> dict[str, int]:
        """Every indexed term with the number of papers containing it, counted from the
        index: it reads every doclist (7.4 s at 1M papers)."""
        rows = await self._db.rows("SELECT term, doc FROM paper_vocab")
        return {row[0]: row[1] for row in rows}

    async def saved_term_counts(self) -> TermCounts | None:
        """The term counts last saved, or None when there are none (or a save ran
        while they were being read: saves only ever move `upto` forward)."""
        upto = await self._db.get_meta(TERM_COUNTS_UPTO)
        if upto is None:
            return None
        rows = await self._db.rows("SELECT term, papers FROM term_counts")
        if await self._db.get_meta(TERM_COUNTS_UPTO) != upto:
            return None
        return TermCounts({row[0]: row[1] for row in rows}, int(upto))

    async def save_term_counts(self, counts: TermCounts, *, since: int | None = None) -> bool:
        """Save `counts` as the term counts up to `counts.upto`, replacing those saved.

        With `since`, `counts` are those of the papers after `since` only: they are added
        to the saved counts if those still count up to `since` (another process may have
        added them already), else nothing is saved and the result is False. Without, they
        are saved unless the saved ones count further.
        """
        async with self._db.transaction():
            saved_upto = await self._db.get_meta(TERM_COUNTS_UPTO)
            if since is not None:
                if saved_upto != str(since):
                    return False
                await self._db.execute_many(
                    "INSERT INTO term_counts(term, papers) VALUES (?, ?) "
                    "ON CONFLICT(term) DO UPDATE SET papers = papers + excluded.papers",
                    counts.counts.items(),
                )
            else:
                if saved_upto is not None and int(saved_upto) > counts.upto:
                    return False
                await self._db.execute("DELETE FROM term_counts")
                await self._db.execute_many(
                    "INSERT INTO term_counts(term, papers) VALUES (?, ?)", counts.counts.items()
                )
            await self._db.put_meta(TERM_COUNTS_UPTO, str(counts.upto))
        return True
