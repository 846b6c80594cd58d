"""The full-text index: FTS5 queries, its upkeep, and the saved term counts.

`match` arguments are FTS5 expressions built by bot.search from quoted terms only;
user text never reaches them raw.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from bot import names
from bot.models import NewPaper, TermCounts
from bot.storage.connection import Connection
from bot.text import UNSPACED

log = logging.getLogger(__name__)

FTS_TABLES = ("paper_fts", "title_fts", "author_fts")
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
_CANDIDATE_TABLES = {"paper": "paper_fts", "title": "title_fts"}
# How `candidates` ranks each table: paper_fts weighs title terms TITLE_WEIGHT times.
TITLE_WEIGHT = 5.0
_RANKS = {"paper": f"bm25(paper_fts, {TITLE_WEIGHT}, 1.0)", "title": "rank"}


@dataclass(frozen=True)
class CandidateQuery:
    """One bounded source of search candidates.

    `table` is "paper" (paper_fts: stemmed title and abstract terms) or "title"
    (title_fts: raw title words); `order` is "newest" (cheap: FTS5 stops after `limit`
    rows) or "rank" (the best by BM25, which reads every doclist of `match`).
    """

    table: Literal["paper", "title"]
    match: str
    limit: int
    order: Literal["newest", "rank"]


class SearchIndex:
    """paper_fts (stemmed title and abstract), title_fts (raw titles), author_fts (one
    token per author name, bot.names) and term_counts."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def add(self, ids: dict[str, int], papers: Sequence[NewPaper]) -> None:
        """Index new papers (`ids`: title key -> id), within the caller's transaction."""
        await self._db.execute_many(
            "INSERT INTO paper_fts(rowid, title, abstract) VALUES (?, ?, ?)",
            [(ids[p.title_key], p.index_title, p.index_abstract) for p in papers],
        )
        await self._db.execute_many(
            "INSERT INTO title_fts(rowid, title) VALUES (?, ?)",
            [(ids[p.title_key], p.title) for p in papers],
        )
        await self._db.execute_many(
            "INSERT INTO author_fts(rowid, names) VALUES (?, ?)",
            [(ids[p.title_key], p.index_authors) for p in papers if p.index_authors],
        )
        unspaced = [p for p in papers if UNSPACED.search(p.title) or UNSPACED.search(p.abstract)]
        await self._db.execute_many(
            "INSERT INTO unspaced_fts(rowid, title, abstract) VALUES (?, ?, ?)",
            [(ids[p.title_key], p.title, p.abstract) for p in unspaced],
        )

    async def replace_authors(self, paper_id: int, old: Sequence[str], new: Sequence[str]) -> None:
        """Re-index a paper's authors, within the caller's transaction."""
        # author_fts keeps no text: a row is deleted by giving the values it was indexed
        # with, and exists only while the paper has authors.
        if before := names.index_text(old):
            await self._db.execute(
                "INSERT INTO author_fts(author_fts, rowid, names) VALUES ('delete', ?, ?)",
                (paper_id, before),
            )
        if after := names.index_text(new):
            await self._db.execute(
                "INSERT INTO author_fts(rowid, names) VALUES (?, ?)", (paper_id, after)
            )

    # -- queries ----------------------------------------------------------------------

    async def ranked_matches(
        self, match: str, limit: int, title_weight: float
    ) -> list[tuple[int, float]]:
        """Up to `limit` (paper id, BM25 score) for the newest matches, higher is better.

        Ordering by rowid keeps the cost bounded by `limit` however common the terms
        are; BM25 is computed only for the rows visited.
        """
        rows = await self._db.rows(
            "SELECT rowid, -bm25(paper_fts, ?, 1.0) FROM paper_fts WHERE paper_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?",
            (title_weight, match, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def candidates(self, queries: Sequence[CandidateQuery]) -> list[list[int]]:
        """Several bounded full-text queries in one statement: for each, the ids of its
        matches (see `CandidateQuery`), in its order."""
        if not queries:
            return []
        parts: list[str] = []
        params: list[object] = []
        for index, query in enumerate(queries):
            table = _CANDIDATE_TABLES[query.table]
            by = "rowid DESC" if query.order == "newest" else _RANKS[query.table]
            parts.append(
                f"SELECT {index}, rowid FROM (SELECT rowid FROM {table} WHERE {table} MATCH ? "
                f"ORDER BY {by} LIMIT ?)"
            )
            params += [query.match, query.limit]
        found: list[list[int]] = [[] for _ in queries]
        for index, paper_id in await self._db.rows(" UNION ALL ".join(parts), params):
            found[index].append(paper_id)
        return found

    async def field_lengths(self) -> tuple[float, float]:
        """Average terms per title and per abstract in paper_fts (FTS5's own totals, read
        from its averages record), or (0, 0) when it is empty."""
        block = await self._db.scalar("SELECT block FROM paper_fts_data WHERE id = 1")
        values = _varints(block or b"")
        if len(values) < 3 or values[0] == 0:
            return 0.0, 0.0
        return values[1] / values[0], values[2] / values[0]

    async def newest_matches(self, match: str, limit: int) -> list[int]:
        """Ids of up to `limit` of the newest papers matching, unscored (nothing is ranked)."""
        rows = await self._db.rows(
            "SELECT rowid FROM paper_fts WHERE paper_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
        return [row[0] for row in rows]

    async def title_matches(self, match: str, limit: int) -> list[tuple[int, str]]:
        """Up to `limit` (id, title) whose raw title words match, newest first."""
        rows = await self._db.rows(
            "SELECT rowid, title FROM title_fts WHERE title_fts MATCH ? "
            "ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
        return [(row[0], row[1]) for row in rows]

    async def unspaced_matches(self, runs: Sequence[str], limit: int) -> list[int]:
        """Ids of up to `limit` papers, newest first, whose title or abstract contains
        every run (text in scripts written without spaces) as a substring.

        Runs of three characters or more use the trigram index; shorter ones are
        checked on the few papers that hold such text at all.
        """
        long_runs = [run for run in runs if len(run) >= 3]
        conditions = ["(instr(title, ?) OR instr(abstract, ?))" for run in runs if len(run) < 3]
        params: list[object] = [value for run in runs if len(run) < 3 for value in (run, run)]
        if long_runs:
            conditions.insert(0, "unspaced_fts MATCH ?")
            params.insert(0, " AND ".join('"' + run.replace('"', '""') + '"' for run in long_runs))
        if not conditions:
            return []
        rows = await self._db.rows(
            f"SELECT rowid FROM unspaced_fts WHERE {' AND '.join(conditions)} "
            "ORDER BY rowid DESC LIMIT ?",
            (*params, limit),
        )
        return [row[0] for row in rows]

    async def matching_among(self, match: str, paper_ids: Sequence[int]) -> list[int]:
        """Those of `paper_ids` that match, by direct rowid lookups."""
        ids = list(dict.fromkeys(paper_ids))
        marks = ",".join("?" * len(ids))
        rows = await self._db.rows(
            f"SELECT rowid FROM paper_fts WHERE paper_fts MATCH ? AND rowid IN ({marks})",
            (match, *ids),
        )
        return [row[0] for row in rows]

    async def known_authors(self, tokens: Sequence[str]) -> list[str]:
        """Those of `tokens` (bot.names.author_token) that name an author of some paper."""
        if not tokens:
            return []
        marks = ",".join("?" * len(tokens))
        rows = await self._db.rows(
            f"SELECT term FROM author_vocab WHERE term IN ({marks}) AND doc > 0", tokens
        )
        return [row[0] for row in rows]

    async def authors_starting(self, prefix: str, limit: int) -> list[str]:
        """Up to `limit` author tokens that begin with `prefix`, the most prolific first."""
        end = prefix[:-1] + chr(ord(prefix[-1]) + 1) if prefix else "\U0010ffff"
        rows = await self._db.rows(
            "SELECT term FROM author_vocab WHERE term >= ? AND term < ? AND doc > 0 "
            "ORDER BY doc DESC, term LIMIT ?",
            (prefix, end, limit),
        )
        return [row[0] for row in rows]

    async def author_matches(self, match: str, limit: int) -> list[int]:
        """Ids of the newest papers (up to `limit`) whose authors match, newest first."""
        rows = await self._db.rows(
            "SELECT rowid FROM author_fts WHERE author_fts MATCH ? ORDER BY rowid DESC LIMIT ?",
            (match, limit),
        )
        return [row[0] for row in rows]

    async def count_matches(self, match: str) -> int:
        return int(
            await self._db.scalar(
                "SELECT count(*) FROM paper_fts WHERE paper_fts MATCH ?", (match,)
            )
        )

    async def nth_match(self, match: str, index: int) -> int | None:
        found = await self._db.scalar(
            "SELECT rowid FROM paper_fts WHERE paper_fts MATCH ? ORDER BY rowid LIMIT 1 OFFSET ?",
            (match, index),
        )
        return None if found is None else int(found)

    # -- upkeep -----------------------------------------------------------------------

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


def _varints(data: bytes) -> list[int]:
    """SQLite's big-endian varints (FTS5's averages record is a run of them)."""
    values: list[int] = []
    index = 0
    while index < len(data):
        value = 0
        for step in range(9):
            if index >= len(data):  # cut short: not FTS5's record
                return values
            byte = data[index]
            index += 1
            if step == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values
