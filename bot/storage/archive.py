"""The archive: papers, the days they appeared on, and the digest files they came from."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.digest import PaperMeta
from bot.models import DaySummary, IngestOutcome, NewDigest, NewPaper, Paper, distinct_key
from bot.storage.acronym_counts import AcronymCounts
from bot.storage.connection import Connection, now_text
from bot.storage.paper_rows import (
    META_COLUMNS,
    META_FIELDS,
    merge,
    meta_of,
    meta_row,
    time_text,
)
from bot.storage.search_index import SearchIndex

_CHUNK = 500  # ids or keys per `IN (...)` list


class Archive:
    """papers, appearances, digests and digest_files; storing papers also indexes them,
    and counts the acronyms they define when they come described (`NewPaper.about`), in
    the same transaction."""

    def __init__(self, connection: Connection, index: SearchIndex, acronyms: AcronymCounts) -> None:
        self._db = connection
        self._index = index
        self._acronyms = acronyms

    # -- storing digests ----------------------------------------------------------------

    async def add_digests(self, digests: Sequence[NewDigest]) -> list[IngestOutcome]:
        """Store digest files, in order, in one transaction; papers already known are
        linked to the day, not copied."""
        async with self._db.transaction():
            return [await self._store_digest(digest) for digest in digests]

    async def _store_digest(self, digest: NewDigest) -> IngestOutcome:
        day_text = digest.day.isoformat()
        if digest.file_signature is not None:
            await self._remember_file(digest.source, digest.file_signature, digest.content_hash)
        if await self.digest_known(digest.content_hash):
            return IngestOutcome(digest.day, already_ingested=True)
        papers, ids = await self._identify(digest.papers)
        fresh = [paper for paper in papers if paper.title_key not in ids]
        fetched = time_text(digest.fetched_at)
        # Ids are given, not looked up after: this transaction is the only writer.
        first_id = await self.max_paper_id() + 1
        new_ids = {paper.title_key: first_id + n for n, paper in enumerate(fresh)}
        await self._db.execute_many(
            f"INSERT INTO papers(id, title_key, title, abstract, first_day, {META_COLUMNS}) "
            f"VALUES (?, ?, ?, ?, ?, {', '.join('?' * len(META_FIELDS))})",
            [
                (
                    new_ids[p.title_key],
                    p.title_key,
                    p.title,
                    p.abstract,
                    day_text,
                    *meta_row(p.links, p.meta or PaperMeta(), fetched if p.meta else None),
                )
                for p in fresh
            ],
        )
        await self._index.add(new_ids, fresh)
        defined = [p.about.acronyms for p in fresh if p.about is not None]
        if defined and len(defined) == len(fresh):  # else bot.catch_up counts them
            await self._acronyms.add(defined, after=first_id - 1, upto=first_id + len(fresh) - 1)
        await self._refresh(papers, ids, fetched)
        ids.update(new_ids)
        added = await self._append_to_day(day_text, [ids[p.title_key] for p in papers])
        await self._db.execute(
            "INSERT INTO digests(source, day, content_hash, paper_count, ingested_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (digest.source, day_text, digest.content_hash, len(papers), now_text()),
        )
        return IngestOutcome(
            digest.day,
            new_papers=len(fresh),
            known_papers=len(papers) - len(fresh),
            added_to_day=added,
            # As given: a paper stored under a distinct key is still named by its own.
            new_title_keys=tuple(
                given.title_key
                for given, paper in zip(digest.papers, papers, strict=True)
                if paper.title_key in new_ids
            ),
        )

    async def _identify(self, papers: Sequence[NewPaper]) -> tuple[list[NewPaper], dict[str, int]]:
        """The papers as they will be stored (in the same order), and title key -> id of
        those already stored.

        A paper with an arXiv id is the stored paper with that id (whatever its title);
        else the stored paper with its title, unless that one has another id: then it
        is a new paper sharing the title, stored under a distinct key.
        """
        arxiv_ids = [p.meta.arxiv_id for p in papers if p.meta and p.meta.arxiv_id]
        by_arxiv = {row[0]: row[1] for row in await self._in("arxiv_id", "id", arxiv_ids)}
        by_key = {
            row[0]: (row[1], row[2])
            for row in await self._in("title_key", "id, arxiv_id", [p.title_key for p in papers])
        }
        stored: list[NewPaper] = []
        ids: dict[str, int] = {}
        for paper in papers:
            arxiv_id = paper.meta.arxiv_id if paper.meta else None
            key = paper.title_key
            if arxiv_id and arxiv_id in by_arxiv:
                ids[key] = by_arxiv[arxiv_id]
            elif key in by_key:
                paper_id, known_arxiv_id = by_key[key]
                if arxiv_id and known_arxiv_id and known_arxiv_id != arxiv_id:
                    paper = replace(paper, title_key=distinct_key(key, arxiv_id))
                else:
                    ids[key] = paper_id
            stored.append(paper)
        return stored, ids

    async def _refresh(
        self, papers: Sequence[NewPaper], ids: dict[str, int], fetched: str | None
    ) -> None:
        """Known papers seen again on a Hub day: a title-only paper gains its arXiv id, and
        the metadata is updated unless what is stored was fetched later."""
        seen = {ids[p.title_key]: p for p in papers if p.title_key in ids and p.meta}
        if not seen:
            return
        rows = await self._in("id", META_COLUMNS, list(seen))
        updates = []
        for row in rows:
            new = seen[row[0]].meta
            assert new is not None
            links, old, stored_at = meta_of(row[1:])
            at: str | None = stored_at
            if fetched is not None and stored_at is not None and fetched < stored_at:
                merged = replace(old, arxiv_id=old.arxiv_id or new.arxiv_id)
            else:
                merged, at = merge(old, new), fetched or stored_at
                links = seen[row[0]].links or links
            if merged.authors != old.authors:
                await self._index.replace_authors(row[0], old.authors, merged.authors)
            updates.append((*meta_row(links, merged, at), row[0]))
        await self._db.execute_many(
            f"UPDATE papers SET ({META_COLUMNS}) = ({', '.join('?' * len(META_FIELDS))}) "
            "WHERE id = ?",
            updates,
        )

    async def _in(self, column: str, wanted: str, values: Sequence[object]) -> list[sqlite3.Row]:
        """(column, wanted...) of the papers whose `column` is one of `values`."""
        rows: list[sqlite3.Row] = []
        unique = list(dict.fromkeys(values))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += await self._db.rows(
                f"SELECT {column}, {wanted} FROM papers WHERE {column} IN ({marks})", chunk
            )
        return rows

    async def digest_known(self, content_hash: str) -> bool:
        found = await self._db.scalar(
            "SELECT 1 FROM digests WHERE content_hash = ?", (content_hash,)
        )
        return bool(found)

    async def _append_to_day(self, day: str, paper_ids: list[int]) -> int:
        rows = await self._db.rows(
            "SELECT paper_id, position FROM appearances WHERE day = ?", (day,)
        )
        present = {row[0] for row in rows}
        next_position = max((row[1] for row in rows), default=0) + 1
        added = []
        for paper_id in dict.fromkeys(paper_ids):
            if paper_id not in present:
                added.append((day, next_position, paper_id))
                next_position += 1
        await self._db.execute_many(
            "INSERT INTO appearances(day, position, paper_id) VALUES (?, ?, ?)", added
        )
        return len(added)

    # -- digest files -------------------------------------------------------------------

    async def digest_days_by_hash(self) -> dict[str, dt.date]:
        """The day of every stored digest file, by content hash."""
        rows = await self._db.rows("SELECT content_hash, day FROM digests")
        return {row[0]: dt.date.fromisoformat(row[1]) for row in rows}

    async def known_file_hashes(self) -> dict[str, tuple[int, int, str]]:
        """source -> (size, mtime_ns, content hash) of each digest file seen stored."""
        rows = await self._db.rows("SELECT source, size, mtime_ns, content_hash FROM digest_files")
        return {row[0]: (row[1], row[2], row[3]) for row in rows}

    async def remember_files(self, files: Iterable[tuple[str, tuple[int, int], str]]) -> None:
        """Record (source, (size, mtime_ns), content hash) of files found already stored."""
        files = list(files)
        if not files:
            return
        async with self._db.transaction():
            for source, signature, content_hash in files:
                await self._remember_file(source, signature, content_hash)

    async def _remember_file(
        self, source: str, signature: tuple[int, int], content_hash: str
    ) -> None:
        await self._db.execute(
            "INSERT OR REPLACE INTO digest_files(source, size, mtime_ns, content_hash) "
            "VALUES (?, ?, ?, ?)",
            (source, *signature, content_hash),
        )

    # -- papers -------------------------------------------------------------------------

    async def papers_by_ids(self, ids: Sequence[int]) -> list[Paper]:
        """Papers in the order of `ids`, each with every day it appeared."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        # One statement: each paper's days come as one text, oldest first.
        rows = await self._db.rows(
            f"SELECT id, title, abstract, {META_COLUMNS}, (SELECT group_concat(day, ' ') "
            "FROM (SELECT day FROM appearances WHERE paper_id = papers.id ORDER BY day)) "
            f"FROM papers WHERE id IN ({marks})",
            ids,
        )
        by_id = {}
        for row in rows:
            links, meta, _fetched_at = meta_of(row[3:-1])
            days = tuple(dt.date.fromisoformat(day) for day in (row[-1] or "").split())
            by_id[row[0]] = Paper(row[0], row[1], row[2], links, days, meta)
        return [by_id[paper_id] for paper_id in ids if paper_id in by_id]

    async def titles_by_ids(self, ids: Sequence[int]) -> dict[int, str]:
        """id -> title, in the order of `ids` (unknown ids left out)."""
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        rows = await self._db.rows(f"SELECT id, title FROM papers WHERE id IN ({marks})", ids)
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
        rows = await self._db.rows(
            f"SELECT id, title, abstract, title_key = ? FROM papers WHERE {where}",
            (title_key, *ids, title_key),
        )
        found = {row[0]: (row[1], row[2]) for row in rows}
        texts = {paper_id: found[paper_id] for paper_id in ids if paper_id in found}
        exact_id = next((row[0] for row in rows if row[3]), None)
        if exact_id is not None:
            texts.setdefault(exact_id, found[exact_id])
        return texts, exact_id

    async def texts_after(self, paper_id: int, upto: int, limit: int) -> list[tuple[int, str, str]]:
        """(id, title, abstract) of the first `limit` papers after `paper_id` and up to
        `upto`, oldest first."""
        rows = await self._db.rows(
            "SELECT id, title, abstract FROM papers WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
            (paper_id, upto, limit),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def paper_id_by_key(self, title_key: str) -> int | None:
        found = await self._db.scalar("SELECT id FROM papers WHERE title_key = ?", (title_key,))
        return None if found is None else int(found)

    async def paper_id_by_arxiv_id(self, arxiv_id: str) -> int | None:
        found = await self._db.scalar("SELECT id FROM papers WHERE arxiv_id = ?", (arxiv_id,))
        return None if found is None else int(found)

    async def max_paper_id(self) -> int:
        """The newest paper's id; ids are dense, so also the number of papers."""
        return int(await self._db.scalar("SELECT coalesce(max(id), 0) FROM papers"))

    async def nearest_paper_id(self, at_least: int) -> int | None:
        found = await self._db.scalar(
            "SELECT id FROM papers WHERE id >= ? ORDER BY id LIMIT 1", (at_least,)
        )
        return None if found is None else int(found)

    async def latest_titles(self, limit: int) -> list[tuple[int, str]]:
        rows = await self._db.rows(
            "SELECT id, title FROM papers ORDER BY id DESC LIMIT ?", (limit,)
        )
        return [(row[0], row[1]) for row in rows]

    # -- days ---------------------------------------------------------------------------

    async def day_paper_ids(self, day: dt.date) -> list[int]:
        rows = await self._db.rows(
            "SELECT paper_id FROM appearances WHERE day = ? ORDER BY position",
            (day.isoformat(),),
        )
        return [row[0] for row in rows]

    async def day_paper_count(self, day: dt.date) -> int:
        return int(
            await self._db.scalar(
                "SELECT count(*) FROM appearances WHERE day = ?", (day.isoformat(),)
            )
        )

    async def known_days(self) -> list[DaySummary]:
        """Every day with papers, newest first."""
        rows = await self._db.rows(
            "SELECT day, count(*) FROM appearances GROUP BY day ORDER BY day DESC"
        )
        return [DaySummary(dt.date.fromisoformat(row[0]), row[1]) for row in rows]

    async def latest_day(self) -> dt.date | None:
        day = await self._db.scalar("SELECT max(day) FROM appearances")
        return dt.date.fromisoformat(day) if day else None
