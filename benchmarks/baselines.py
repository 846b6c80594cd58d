"""The naive ways, timed in the same run so the ratios hold on a noisy machine."""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.stats import Sample, time_sync
from bot import text
from bot.ingest import default_workers, prepare_files
from bot.matching import Keyword
from bot.models import Paper
from bot.watcher import digest_files


def naive_search(path: Path, queries: Sequence[str], runs: int) -> Sample:
    """`title LIKE '%w%' OR abstract LIKE '%w%'` for every word, over a plain connection."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        durations: list[float] = []
        for query in queries:
            sql, params = _like_query(query)
            sample = time_sync(
                lambda sql=sql, params=params: connection.execute(sql, params).fetchall(), runs
            )
            durations.extend(sample.seconds)
        return Sample(tuple(durations))
    finally:
        connection.close()


def _like_query(query: str) -> tuple[str, list[str]]:
    words = [word for word in text.words(query) if word not in text.STOPWORDS] or text.words(query)
    clause = " AND ".join("(title LIKE ? OR abstract LIKE ?)" for _ in words)
    params = [f"%{word}%" for word in words for _ in (0, 1)]
    return f"SELECT id FROM papers WHERE {clause}", params


def naive_alerts(
    papers: Sequence[Paper], keywords: Sequence[tuple[int, Keyword]]
) -> dict[int, set[int]]:
    """Every keyword's regex against every paper of the day: user -> matched paper ids."""
    alerts: dict[int, set[int]] = {}
    for user_id, keyword in keywords:
        phrase = re.compile(r"\b" + r"\W+".join(map(re.escape, keyword.terms)) + r"\b", re.I)
        vetoes = [re.compile(rf"\b{re.escape(word)}\b", re.I) for word in keyword.exclude]
        for paper in papers:
            if not (phrase.search(paper.title) or phrase.search(paper.abstract)):
                continue
            if any(veto.search(paper.title) or veto.search(paper.abstract) for veto in vetoes):
                continue
            alerts.setdefault(user_id, set()).add(paper.id)
    return alerts


FLOOR_BATCH_FILES = 100  # files a transaction for the floor: fewer, larger segments


def fts5_index_alone(archive: Path, path: Path) -> float:
    """Seconds SQLite spends building just the papers' FTS5 index: the floor of one writer.

    The archive's index text, made as the bulk load makes it (in worker processes, not
    timed), goes into one FTS5 table like `paper_fts` in FTS5's best setting measured
    (no merging until one optimize at the end, a 64 MB pending-term buffer, 100 files a
    transaction). Only SQLite's time counts: no Python, no other table.
    """
    path.unlink(missing_ok=True)
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = NORMAL")
        connection.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(title, abstract, content='', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        for name, value in (("automerge", 0), ("crisismerge", 1999), ("hashsize", 64 << 20)):
            connection.execute("INSERT INTO fts(fts, rank) VALUES (?, ?)", (name, value))
        files = digest_files([archive])
        batches = [
            files[i : i + FLOOR_BATCH_FILES] for i in range(0, len(files), FLOOR_BATCH_FILES)
        ]
        context = multiprocessing.get_context("spawn")
        seconds, rowid = 0.0, 0
        with ProcessPoolExecutor(default_workers(), mp_context=context) as pool:
            for texts in pool.map(index_texts_of, batches):
                rows = [
                    (rowid + n, title, abstract) for n, (title, abstract) in enumerate(texts, 1)
                ]
                rowid += len(rows)
                start = time.perf_counter()
                connection.execute("BEGIN")
                connection.executemany(
                    "INSERT INTO fts(rowid, title, abstract) VALUES (?, ?, ?)", rows
                )
                connection.execute("COMMIT")
                seconds += time.perf_counter() - start
        start = time.perf_counter()
        connection.execute("INSERT INTO fts(fts) VALUES ('optimize')")
        return seconds + time.perf_counter() - start
    finally:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


def index_texts_of(paths: list[Path]) -> list[tuple[str, str]]:
    """The index text of every paper in these files, as the bulk load makes it."""
    return [
        (paper.index_title, paper.index_abstract)
        for prepared in prepare_files(paths, None)
        for paper in (prepared.digest.papers if prepared.digest else ())
    ]
