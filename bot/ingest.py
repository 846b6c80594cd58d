"""Digest files into the database: parse, prepare index text, store, report."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from bot import text
from bot.digest import ParsedDigest, Problem, parse_file
from bot.models import IngestOutcome
from bot.search import Catalog
from bot.storage import NewPaper

log = logging.getLogger(__name__)

# A file modified this recently may still be being written (see FolderWatcher).
SETTLE_SECONDS = 1.0


@dataclass
class FileReport:
    """What happened to one file: its day, what it added, and its problems."""

    source: str
    day: dt.date | None = None
    outcome: IngestOutcome | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return self.outcome is not None

    def summary(self) -> str:
        if self.outcome is None:
            return f"{self.source}: nothing stored"
        day = self.day.isoformat() if self.day else "?"
        if self.outcome.already_ingested:
            return f"{self.source}: {day}, already ingested, nothing new"
        return (
            f"{self.source}: {day}, {self.outcome.new_papers} new papers, "
            f"{self.outcome.known_papers} already known, "
            f"{self.outcome.added_to_day} added to the day"
        )


def digest_files(paths: Iterable[Path]) -> list[Path]:
    """The files named, and the visible files inside the folders named, sorted by name."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(
                sorted(
                    child
                    for child in path.iterdir()
                    if child.is_file() and not child.name.startswith(".")
                )
            )
        else:
            found.append(path)
    return found


def prepare(digest: ParsedDigest) -> list[NewPaper]:
    """Papers ready to store; a title repeated within one file is kept once and reported."""
    papers: dict[str, NewPaper] = {}
    for paper in digest.papers:
        key = text.title_key(paper.title)
        if not key:
            digest.problems.append(Problem(digest.source, paper.line, "title has no words"))
            continue
        if key in papers:
            digest.problems.append(
                Problem(digest.source, paper.line, "title repeated in this file; kept the first")
            )
            continue
        title_terms, abstract_terms = text.terms(paper.title), text.terms(paper.abstract)
        papers[key] = NewPaper(
            title_key=key,
            title=paper.title,
            abstract=paper.abstract,
            links=paper.links,
            index_title=" ".join(title_terms),
            index_abstract=" ".join(abstract_terms),
            vocabulary=frozenset(title_terms).union(abstract_terms),
        )
    return list(papers.values())


def _parse_and_prepare(path: Path, today: dt.date | None) -> tuple[ParsedDigest, list[NewPaper]]:
    digest = parse_file(path, today)
    return digest, prepare(digest)


async def ingest_file(catalog: Catalog, path: Path, today: dt.date | None = None) -> FileReport:
    """Ingest one digest file in one transaction; never raises for bad content."""
    digest, papers = await asyncio.to_thread(_parse_and_prepare, path, today)
    report = FileReport(str(path), digest.day, problems=digest.problems)
    if digest.day is None or not papers:
        if digest.day is not None and not any(p.message.startswith("no") for p in report.problems):
            report.problems.append(Problem(str(path), None, "no papers found"))
        return report
    if await catalog.db.digest_known(digest.content_hash):
        report.outcome = IngestOutcome(digest.day, already_ingested=True)
        return report
    report.outcome = await catalog.db.add_digest(str(path), digest.day, digest.content_hash, papers)
    fresh = set(report.outcome.new_title_keys)
    # Document counts of the new papers' terms, counted in C: this runs on the event loop.
    catalog.note_ingested(
        Counter(chain.from_iterable(p.vocabulary for p in papers if p.title_key in fresh)),
        len(fresh),
    )
    for problem in report.problems:
        log.warning("digest problem: %s", problem)
    return report


async def ingest_paths(
    catalog: Catalog, paths: Iterable[Path], today: dt.date | None = None
) -> list[FileReport]:
    """Ingest every digest file named or found in the folders named, in name order."""
    return [await ingest_file(catalog, path, today) for path in digest_files(paths)]


class FolderWatcher:
    """Decides which files in the digest folder are ready to (re)ingest.

    A file is ready once two looks at it, at least `settle_seconds` apart (the
    previous pass, or a short wait within this one), see the same size and
    modification time, so a digest still being written by a scraper is not taken
    for a short day. A later, longer version is ingested again as additions.
    """

    def __init__(self, folder: Path, settle_seconds: float = SETTLE_SECONDS) -> None:
        self.folder = folder
        self.settle_seconds = settle_seconds
        self._seen: dict[Path, tuple[int, int]] = {}
        self._seen_at = float("-inf")  # time.time() of the look that filled _seen
        self._done: dict[Path, tuple[int, int]] = {}

    async def ready(self) -> list[Path]:
        """Files new or changed since they were last ingested, and settled."""
        first = self._scan()
        changed = {path: sig for path, sig in first.items() if self._done.get(path) != sig}
        now = time.time()
        # The previous pass's look proves nothing if it was less than settle_seconds ago.
        recent = now - self._seen_at < self.settle_seconds
        unproven = [path for path, sig in changed.items() if recent or self._seen.get(path) != sig]
        if any(now - changed[path][1] / 1e9 < self.settle_seconds for path in unproven):
            await asyncio.sleep(self.settle_seconds)
            second = self._scan()
        else:
            second = first
        self._seen, self._seen_at = second, time.time()
        return [path for path, sig in changed.items() if second.get(path) == sig]

    def _scan(self) -> dict[Path, tuple[int, int]]:
        if not self.folder.is_dir():
            return {}
        signatures = {}
        for path in digest_files([self.folder]):
            try:
                stat = path.stat()
            except OSError:
                continue
            signatures[path] = (stat.st_size, stat.st_mtime_ns)
        return signatures

    def mark_done(self, path: Path) -> None:
        """Remember the version of `path` just ingested (as last seen)."""
        signature = self._seen.get(path) or self._scan().get(path)
        if signature is not None:
            self._done[path] = signature

    def mark_all_done(self) -> None:
        """Everything in the folder now counts as ingested (used at startup)."""
        self._seen, self._seen_at = self._scan(), time.time()
        self._done = dict(self._seen)
