"""`paperboy fetch`: Hub days into the digest folder with a progress display, then into
the archive. A bar on a terminal; one plain line a day otherwise (logs, pipes, CI)."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from bot.config import Settings
from bot.hub import HubClient
from bot.hub_plan import newest_complete_day
from bot.hub_source import BACKFILL_PAUSE_SECONDS, DayOutcome, FetchSummary, HubSource
from bot.ingest import ingest_paths, totals
from bot.search import Catalog

Progress = Callable[[DayOutcome, int, int], None]


async def fetch_days(
    catalog: Catalog,
    settings: Settings,
    since: dt.date | None,
    days: int | None,
    out: TextIO | None = None,
    *,
    clock: Callable[[], dt.datetime] | None = None,
    pause_seconds: float = BACKFILL_PAUSE_SECONDS,
) -> int:
    """Fetch every complete day from `since` (or the last `days`, or the lookback) not
    already in the folder, load the folder, and print a summary. 0 unless a fault
    stopped the fetch (a re-run goes on from there)."""
    out = out or sys.stdout
    clock = clock or (lambda: dt.datetime.now(dt.UTC))
    if settings.hf_url is None:
        print("The Hub source is off (PAPERBOY_HF_URL=off); nothing to fetch.", file=out)
        return 2
    if days is not None and days < 1:
        print("--days must be at least 1.", file=out)
        return 2
    newest = newest_complete_day(clock(), settings.hf_settle_minutes)
    first = since or newest - dt.timedelta(days=(days or settings.hf_lookback_days) - 1)
    folder = settings.digest_dir
    folder.mkdir(parents=True, exist_ok=True)
    async with HubClient(settings.hf_url, timeout=settings.hf_timeout_seconds) as client:
        source = HubSource(client, folder, settle_minutes=settings.hf_settle_minutes)
        with _display(out) as progress:
            summary = await source.backfill(first, clock, progress, pause_seconds=pause_seconds)
    print(summary_line(summary, first, newest), file=out)
    for problem in summary.problems:
        print(f"  problem: {problem}", file=out)
    if summary.error:
        print(f"Stopped: {summary.error}. Run it again to go on from there.", file=out)
    if summary.fetched:
        reports = await ingest_paths(catalog, [folder])
        await catalog.tidy()
        print(f"Loaded into the archive: {totals(reports)}", file=out)
    return 1 if summary.error else 0


def summary_line(summary: FetchSummary, first: dt.date, newest: dt.date) -> str:
    if first > newest:
        return f"Nothing to fetch: the newest complete day is {newest}."
    span = f"{first} to {newest}"
    if not summary.fetched and not summary.empty_days and not summary.error:
        return f"{span}: every day is already in the folder; nothing fetched."
    return (
        f"{span}: {len(summary.fetched)} days fetched, {summary.papers} papers, "
        f"{len(summary.empty_days)} empty days, {len(summary.problems)} problems"
    )


@contextmanager
def _display(out: TextIO) -> Iterator[Progress]:
    """A progress callback: a rich bar on a terminal, plain lines elsewhere."""
    if not out.isatty():
        yield lambda outcome, done, total: print(_line(outcome, done, total), file=out)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=Console(file=out)) as bar:
        task = bar.add_task("fetching days", total=None)

        def advance(outcome: DayOutcome, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=_label(outcome))

        yield advance


def _label(outcome: DayOutcome) -> str:
    if not outcome.written:
        return f"{outcome.day}: no papers"
    problems = f", {len(outcome.problems)} problems" if outcome.problems else ""
    return f"{outcome.day}: {outcome.papers} papers{problems}"


def _line(outcome: DayOutcome, done: int, total: int) -> str:
    return f"[{done}/{total}] {_label(outcome)}"
