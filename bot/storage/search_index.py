"""The full-text index: what is indexed, and the FTS5 queries (its upkeep and the saved
term counts: bot.storage.index_upkeep).

`match` arguments are FTS5 expressions built by bot.search from quoted terms only;
user text never reaches them raw.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot import names
from bot.models import NewPaper
from bot.storage.index_upkeep import IndexUpkeep
from bot.text import UNSPACED

FOCUS_UPTO = "focus_upto"  # meta key: the newest paper in focus_fts
_CANDIDATE_TABLES = {"paper": "paper_fts", "title": "title_fts", "focus": "focus_fts"}
# How `candidates` ranks each table by BM25: paper_fts weighs title terms TITLE_WEIGHT
# times.
TITLE_WEIGHT = 5.0
_RANKS = {"paper": f"bm25(paper_fts, {TITLE_WEIGHT}, 1.0)", "title": "rank", "focus": "rank"}


@dataclass(frozen=True)
class CandidateQuery:
    """One bounded source of search candidates.

    `table` is "paper" (paper_fts: stemmed title and abstract terms), "title"
    (title_fts: raw title words) or "focus" (focus_fts: what papers are about).
    `order` is "newest" (cheap: FTS5 stops after `limit` rows), "rank" (the best by
    BM25, which reads every doclist of `match` and costs about 3 µs a matching row),
    or "weighted": the papers with the highest sum of the weights of the `weighted`
    (match, weight) pairs they match, `match` unused (about 0.5 µs a matching row: the
    rows are only listed, then summed).
    """

    table: Literal["paper", "title", "focus"]
    match: str
    limit: int
    order: Literal["newest", "rank", "weighted"]
    source: str = ""  # what it stands for (bot.candidates), for diagnostics
    weighted: tuple[tuple[str, float], ...] = ()


class SearchIndex(IndexUpkeep):
    """paper_fts (stemmed title and abstract), title_fts (raw titles), focus_fts (what
    each paper is about, bot.text.focus_terms), author_fts (one token per author name,
    bot.names) and term_counts."""

    async def add(self, ids: dict[str, int], papers: Sequence[NewPaper]) -> None:
        """Index new papers (`ids`: title key -> id), within the caller's transaction; what
        they are about only when `NewPaper.about` is known (else bot.catch_up does)."""
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
        described = [(ids[p.title_key], p.about) for p in papers if p.about is not None]
        if described and len(described) == len(papers):
            first = min(paper_id for paper_id, _ in described)
            await self.add_focus(
                [
                    (paper_id, about.focus_title, about.focus_repeated)
                    for paper_id, about in described
                ],
                after=first - 1,
                upto=first + len(papers) - 1,
            )
        unspaced = [p for p in papers if UNSPACED.search(p.title) or UNSPACED.search(p.abstract)]
        await self._db.execute_many(
            "INSERT INTO unspaced_fts(rowid, title, abstract) VALUES (?, ?, ?)",
            [(ids[p.title_key], p.title, p.abstract) for p in unspaced],
        )

    async def add_focus(
        self, rows: Sequence[tuple[int, str, str]], *, after: int, upto: int
    ) -> bool:
        """Within the caller's transaction: index (id, title terms, repeated terms) of the
        papers with ids in (`after`, `upto`] in focus_fts, if it holds exactly the papers
        up to `after`; False (nothing indexed) when it does not: the papers between are
        indexed first (at the next start)."""
        if await self._db.get_meta(FOCUS_UPTO) != str(after):
            return False
        await self._db.execute_many(
            "INSERT INTO focus_fts(rowid, title, repeated) VALUES (?, ?, ?)", rows
        )
        await self._db.put_meta(FOCUS_UPTO, str(upto))
        return True

    async def catch_up_focus(self, rows: Sequence[tuple[int, str, str]], *, after: int) -> bool:
        """`add_focus` in a transaction of its own, for papers stored before focus_fts
        existed (ids in (`after`, the last row's id]); False when another writer did."""
        if not rows:
            return True
        async with self._db.transaction():
            return await self.add_focus(rows, after=after, upto=rows[-1][0])

    async def focus_upto(self) -> int | None:
        """The newest paper in focus_fts (None before migration 14)."""
        upto = await self._db.get_meta(FOCUS_UPTO)
        return None if upto is None else int(upto)

    async def focus_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """term -> papers whose focus holds it, for those of `terms` any does. Counting
        reads each term's doclist in focus_fts: ask only for terms that are not common."""
        if not terms:
            return {}
        marks = ",".join("?" * len(terms))
        rows = await self._db.rows(
            f"SELECT term, doc FROM focus_vocab WHERE term IN ({marks})", list(terms)
        )
        return {row[0]: row[1] for row in rows}

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
            if query.order == "weighted":
                listed = " UNION ALL ".join(
                    f"SELECT rowid, ? AS weight FROM {table} WHERE {table} MATCH ?"
                    for _ in query.weighted
                )
                parts.append(
                    f"SELECT {index}, rowid FROM (SELECT rowid FROM ({listed}) GROUP BY rowid "
                    "ORDER BY sum(weight) DESC, rowid DESC LIMIT ?)"
                )
                params += [value for match, weight in query.weighted for value in (weight, match)]
                params.append(query.limit)
                continue
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
