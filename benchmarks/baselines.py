"""The naive ways, timed in the same run so the ratios hold on a noisy machine."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from benchmarks.stats import Sample, time_sync
from bot import text
from bot.matching import Keyword
from bot.models import Paper


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
