"""Digest files into the database: parse, prepare index text, store, report."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG

from bot import names, text
from bot.catch_up import describe_paper
from bot.digest import MAX_FILE_BYTES, ParsedDigest, Problem, content_hash, parse_file
from bot.models import IngestOutcome, NewDigest, NewPaper, distinct_key
from bot.search import Catalog
from bot.watcher import FolderWatcher, digest_files, file_signatures
from bot.wording import plural

log = logging.getLogger(__name__)

# From this many files on, ingest_paths takes the bulk path (worker processes).
BULK_MIN_FILES = 50
BULK_BATCH_FILES = 20  # files a worker task prepares, and the main process stores at once
MAX_BULK_WORKERS = 4

#: Told the reports of the files just stored (or found already stored), in the main
#: process, as ingest_paths goes: once a file, or once a bulk batch.
Progress = Callable[[Sequence["FileReport"]], None]


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
            f"{self.source}: {day}, {plural(self.outcome.new_papers, 'new paper')}, "
            f"{self.outcome.known_papers} already known, "
            f"{self.outcome.added_to_day} added to the day"
        )


def totals(reports: list[FileReport]) -> str:
    """One line for many files: days, appearances, new papers, problems."""
    outcomes = [r.outcome for r in reports if r.outcome and not r.outcome.already_ingested]
    days = {outcome.day for outcome in outcomes}
    problems = plural(sum(len(report.problems) for report in reports), "problem")
    read = f"{plural(len(reports), 'file')} read"
    if not outcomes:
        return f"{read}: nothing new; {problems}"
    return (
        f"{read}: {plural(len(days), 'day')}, "
        f"{plural(sum(o.added_to_day for o in outcomes), 'appearance')}, "
        f"{plural(sum(o.new_papers for o in outcomes), 'new paper')}, {problems}"
    )


def prepare(
    digest: ParsedDigest, keep_terms: bool = False, describe: bool = True
) -> list[NewPaper]:
    """Papers ready to store; a paper repeated within one file (the same arXiv id, or
    the same title without two different ids) is kept once and reported.

    `keep_terms` keeps each paper's distinct terms (see `NewPaper.terms`); `describe`
    says what each is about (`NewPaper.about`), else bot.catch_up does after posting.
    """
    papers: dict[str, NewPaper] = {}
    arxiv_ids: set[str] = set()
    for paper in digest.papers:
        key = text.title_key(paper.title)
        if not key:
            digest.problems.append(
                Problem(digest.source, paper.line, "title has no words", item=paper.item)
            )
            continue
        meta = paper.meta if paper.item is not None else None  # an item of a Hub day
        arxiv_id = meta.arxiv_id if meta else None
        if key in papers and arxiv_id and _other_id(papers[key], arxiv_id):
            key = distinct_key(key, arxiv_id)  # two papers that share a title
        if key in papers or arxiv_id in arxiv_ids:
            what = "title" if key in papers else "arXiv id"
            digest.problems.append(
                Problem(
                    digest.source,
                    paper.line,
                    f"{what} repeated in this file; kept the first",
                    item=paper.item,
                )
            )
            continue
        if arxiv_id:
            arxiv_ids.add(arxiv_id)
        title_terms = text.terms(paper.title)
        abstract_terms = text.terms(paper.abstract)
        papers[key] = NewPaper(
            title_key=key,
            title=paper.title,
            abstract=paper.abstract,
            links=paper.links,
            index_title=" ".join(title_terms),
            index_abstract=" ".join(abstract_terms),
            meta=meta,
            index_authors=names.index_text(meta.authors) if meta else "",
            terms=frozenset((*title_terms, *abstract_terms)) if keep_terms else None,
            about=describe_paper(title_terms, abstract_terms, paper.abstract) if describe else None,
        )
    return list(papers.values())


def _other_id(paper: NewPaper, arxiv_id: str) -> bool:
    known = paper.meta.arxiv_id if paper.meta else None
    return known is not None and known != arxiv_id


@dataclass
class PreparedFile:
    """A digest file parsed and prepared (in a worker process, for a bulk load)."""

    report: FileReport
    digest: NewDigest | None  # None when there is nothing to store


def prepare_file(
    path: Path, today: dt.date | None = None, keep_terms: bool = False, describe: bool = True
) -> PreparedFile:
    """Parse and prepare one file (see `prepare`); never raises for bad content.

    `today` (default: today in UTC) dates a day line without a year, and no day more
    than a day ahead of it is loaded: a typo'd year must not become the newest day.
    """
    today = today or dt.datetime.now(dt.UTC).date()
    parsed = parse_file(path, today)
    if parsed.day is not None and parsed.day > today + dt.timedelta(days=1):
        message = f"dated {parsed.day.isoformat()}, more than a day after today; not loaded"
        return PreparedFile(
            FileReport(str(path), None, problems=[Problem(str(path), None, message)]), None
        )
    papers = prepare(parsed, keep_terms, describe)
    report = FileReport(str(path), parsed.day, problems=parsed.problems)
    if parsed.day is None or not papers:
        if parsed.day is not None and not parsed.explained_empty:
            report.problems.append(Problem(str(path), None, "no papers found"))
        return PreparedFile(report, None)
    digest = NewDigest(
        str(path),
        parsed.day,
        parsed.content_hash,
        papers,
        parsed.file_signature,
        parsed.fetched_at,
    )
    return PreparedFile(report, digest)


def prepare_files(paths: Sequence[Path], today: dt.date | None) -> list[PreparedFile]:
    """`prepare_file` for each path: one task of a bulk load's worker processes."""
    return [prepare_file(path, today) for path in paths]


async def ingest_settled(
    catalog: Catalog, watcher: FolderWatcher, today: dt.date | None = None
) -> list[FileReport]:
    """The loop's first step: ingest the folder's files that are new or changed and
    have settled, one transaction each."""
    reports = []
    for path in await watcher.ready():
        reports.append(await ingest_file(catalog, path, today))
        watcher.mark_done(path)
    return reports


async def ingest_startup(
    catalog: Catalog, watcher: FolderWatcher, today: dt.date | None = None
) -> list[FileReport]:
    """Everything settled in the folder at startup (in bulk when it is many files);
    a file still being written is left to the loop, which waits for it to settle."""
    settled = watcher.start()
    return await ingest_paths(catalog, settled, today) if settled else []


async def ingest_file(catalog: Catalog, path: Path, today: dt.date | None = None) -> FileReport:
    """Ingest one digest file in one transaction; never raises for bad content."""
    # What the papers are about waits for the catch-up after posting (Catalog.tidy):
    # a day's papers are candidates for /search as its newest meanwhile.
    prepared = await asyncio.to_thread(prepare_file, path, today, keep_terms=True, describe=False)
    if prepared.digest is not None:
        outcome = (await catalog.db.archive.add_digests([prepared.digest]))[0]
        prepared.report.outcome = outcome
        fresh = set(outcome.new_title_keys)
        catalog.note_ingested(
            [p.vocabulary() for p in prepared.digest.papers if p.title_key in fresh]
        )
    _log(prepared.report)
    return prepared.report


def _log(report: FileReport) -> None:
    """The one place a file's outcome and problems are logged."""
    log.info("%s", report.summary())
    for problem in report.problems:
        log.warning("digest problem: %s", problem)


async def ingest_paths(
    catalog: Catalog,
    paths: Iterable[Path],
    today: dt.date | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> list[FileReport]:
    """Ingest every digest file named or found in the folders named, in name order.

    Many files take the bulk path: parsed in `workers` processes (default:
    `default_workers()`) while this process stores them, many files a transaction, with the
    full-text index merged once at the end. `progress` hears of each file as it is
    stored (of a bulk batch's files at once); the list returned is in name order.
    """
    tell = progress or _ignore
    files = digest_files(paths)
    if len(files) < BULK_MIN_FILES:
        return await _one_by_one(catalog, files, today, tell)
    # A folder loaded before (every bot start) is mostly known: skip those files unparsed.
    reports = await _known_files(catalog, files)
    if reports:
        log.info("%d of %d digest files already ingested", len(reports), len(files))
        tell(list(reports.values()))
    todo = [path for path in files if path not in reports]
    if len(todo) < BULK_MIN_FILES:
        fresh = await _one_by_one(catalog, todo, today, tell)
    else:
        fresh = await _ingest_bulk(catalog, todo, today, workers or default_workers(), tell)
    reports.update(zip(todo, fresh, strict=True))
    return [reports[path] for path in files]


def _ignore(_reports: Sequence[FileReport]) -> None:
    pass


async def _one_by_one(
    catalog: Catalog, files: list[Path], today: dt.date | None, tell: Progress
) -> list[FileReport]:
    reports = []
    for path in files:
        report = await ingest_file(catalog, path, today)
        tell([report])
        reports.append(report)
    return reports


async def _known_files(catalog: Catalog, files: list[Path]) -> dict[Path, FileReport]:
    """Reports for the files whose exact content is already stored.

    A file seen before with the same size and modification time is trusted unread;
    any other is read and recognised by its content hash (and remembered for next time).
    """
    archive = catalog.db.archive
    days = await archive.digest_days_by_hash()
    if not days:  # a first load: nothing to skip, and nothing to hash
        return {}
    seen = await archive.known_file_hashes()
    found: dict[Path, str] = {}
    unproven: list[Path] = []
    for path, signature in file_signatures(files).items():
        size, mtime_ns, known_hash = seen.get(str(path), (None, None, ""))
        if (size, mtime_ns) == signature and known_hash in days:
            found[path] = known_hash
        else:
            unproven.append(path)
    hashed = await asyncio.to_thread(_content_hashes, unproven)
    recognised = {path: item for path, item in hashed.items() if item[1] in days}
    await archive.remember_files(
        (str(path), signature, content_hash)
        for path, (signature, content_hash) in recognised.items()
    )
    found.update((path, content_hash) for path, (_, content_hash) in recognised.items())
    return {
        path: FileReport(
            str(path), days[content_hash], IngestOutcome(days[content_hash], already_ingested=True)
        )
        for path, content_hash in found.items()
    }


def _content_hashes(files: list[Path]) -> dict[Path, tuple[tuple[int, int], str]]:
    """(signature taken before reading, content hash) of each readable file."""
    hashes = {}
    for path in files:
        try:
            stat = path.stat()
            # Larger files, devices and pipes: the parser reports them.
            if S_ISREG(stat.st_mode) and stat.st_size <= MAX_FILE_BYTES:
                with path.open("rb") as handle:
                    data = handle.read(MAX_FILE_BYTES + 1)
                hashes[path] = ((stat.st_size, stat.st_mtime_ns), content_hash(data))
        except OSError:
            continue  # the parser reports it
    return hashes


def default_workers() -> int:
    """Worker processes for a bulk load: the cores this process may use, at most 4.

    More do not help: the storing process is the bottleneck (at 100k papers here,
    1 worker took 19 s, 2 took 17 s, 3 took 18 s).
    """
    try:
        usable = len(os.sched_getaffinity(0))  # honours a container's CPU set
    except AttributeError:  # not available off Linux
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_BULK_WORKERS))


async def _ingest_bulk(
    catalog: Catalog, files: list[Path], today: dt.date | None, workers: int, tell: Progress
) -> list[FileReport]:
    loop = asyncio.get_running_loop()
    batches = [files[i : i + BULK_BATCH_FILES] for i in range(0, len(files), BULK_BATCH_FILES)]
    reports: list[FileReport] = []
    started = time.perf_counter()
    # spawn, not fork: this process runs threads (aiosqlite's), which fork does not copy.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        async with catalog.db.index.bulk_load():
            in_flight: deque[asyncio.Future[list[PreparedFile]]] = deque()
            for batch in batches:
                in_flight.append(loop.run_in_executor(pool, prepare_files, batch, today))
                if len(in_flight) > 2 * workers:  # bounds memory; keeps every worker busy
                    reports += await _store(catalog, await in_flight.popleft(), tell)
            while in_flight:
                reports += await _store(catalog, await in_flight.popleft(), tell)
    await catalog.reload()
    stored = sum(report.outcome.new_papers for report in reports if report.outcome)
    log.info(
        "bulk load: %d files, %d new papers in %.1f s",
        len(files),
        stored,
        time.perf_counter() - started,
    )
    return reports


async def _store(
    catalog: Catalog, prepared: list[PreparedFile], tell: Progress
) -> list[FileReport]:
    storable = [item for item in prepared if item.digest is not None]
    outcomes = await catalog.db.archive.add_digests(
        [item.digest for item in storable if item.digest]
    )
    for item, outcome in zip(storable, outcomes, strict=True):
        item.report.outcome = outcome
    for item in prepared:
        _log(item.report)
    stored = [item.report for item in prepared]
    tell(stored)
    return stored
