"""The Hub as a live source of digest files, one pass at a time.

`HubSource.run_once(now)` asks for the days `plan_days` names and writes each complete,
non-empty one into the digest folder, where the folder watcher ingests it like any
digest. A fault ends the pass (the days before it are kept; later ones wait, so no day
is skipped) and is kept in `state` for `/setup`; repeated faults back off. The current
time is always passed in, so a test's clock drives it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot import hub_files
from bot.digest import ParsedDigest
from bot.digest_json import parse_json
from bot.hub import HubClient, HubError, HubRateLimited
from bot.hub_plan import (
    LOOKBACK_DAYS,
    REFETCH_FOR,
    SETTLE_MINUTES,
    newest_complete_day,
    plan_days,
)

log = logging.getLogger(__name__)

BACKOFF_FIRST = dt.timedelta(minutes=10)  # after the second failure in a row
BACKOFF_MAX = dt.timedelta(hours=2)
BACKFILL_ATTEMPTS = 5  # faults in a row (429s included) before a backfill gives up
BACKFILL_PAUSE_SECONDS = 5.0  # doubled after each failed attempt


@dataclass
class DayOutcome:
    """One day asked for: written with `papers` (and the file's `problems`), or empty."""

    day: dt.date
    papers: int = 0
    written: bool = False
    problems: list[str] = field(default_factory=list)


@dataclass
class FetchSummary:
    """What one pass (or a backfill) did."""

    fetched: list[dt.date] = field(default_factory=list)  # written (new or refreshed)
    papers: int = 0
    empty_days: list[dt.date] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # items that would not load
    error: str | None = None  # the fault that ended the pass early
    waiting_until: dt.datetime | None = None  # set when backing off asked nothing


@dataclass
class SourceState:
    """The source's health, for `/setup`."""

    last_success_at: dt.datetime | None = None  # the last pass that asked and got answers
    newest_day: dt.date | None = None  # the newest day written in the folder
    last_error: str | None = None
    last_error_at: dt.datetime | None = None
    consecutive_failures: int = 0
    retry_at: dt.datetime | None = None  # no request before this time


class HubSource:
    """Keeps the digest folder supplied with Hub days; one instance per bot or CLI run."""

    def __init__(
        self,
        client: HubClient,
        folder: Path,
        *,
        settle_minutes: float = SETTLE_MINUTES,
        lookback_days: int = LOOKBACK_DAYS,
    ) -> None:
        if lookback_days < 1:
            raise ValueError("lookback_days must be at least 1")
        self.client = client
        self.folder = Path(folder)
        self.settle_minutes = settle_minutes
        self.lookback_days = lookback_days
        self.state = SourceState()
        # Written days whose refetch answered `[]`: the file stays, the check counts.
        self._checked: dict[dt.date, dt.datetime] = {}

    async def run_once(self, now: dt.datetime) -> FetchSummary:
        """One pass at `now` (aware, UTC). Never raises for the Hub's or the disk's faults."""
        state = self.state
        if state.retry_at is not None and now < state.retry_at:
            return FetchSummary(waiting_until=state.retry_at)
        summary = FetchSummary()
        try:
            days = await self.plan(now)
            await self._fetch_each(days, lambda day, items: self._keep(day, items, now, summary))
        except Exception as error:  # the loop must go on; /setup shows it
            self._failed(now, error, summary)
        else:
            if days:
                state.last_success_at = now
            state.consecutive_failures, state.retry_at = 0, None
        return summary

    async def backfill(
        self,
        first: dt.date,
        clock: Callable[[], dt.datetime],
        progress: Callable[[DayOutcome, int, int], None] | None = None,
        *,
        pause_seconds: float = BACKFILL_PAUSE_SECONDS,
    ) -> FetchSummary:
        """Fetch every complete day from `first` not yet in the folder (written or known
        empty), oldest first; `progress(outcome, done, total)` after each day.

        Waits out a 429 as long as asked and pauses after other faults (`pause_seconds`,
        doubling), giving up after a few faults in a row with `error` set; a re-run
        carries on from there.
        """
        now = clock()
        written, empty = await asyncio.to_thread(self._look, now)
        last = newest_complete_day(now, self.settle_minutes)
        todo = deque(
            first + dt.timedelta(days=n)
            for n in range((last - first).days + 1)
            if first + dt.timedelta(days=n) not in written.keys() | empty.keys()
        )
        total, summary = len(todo), FetchSummary()

        async def keep(day: dt.date, items: list[Any]) -> None:
            outcome = await self._keep(day, items, clock(), summary)
            todo.popleft()
            if progress is not None:
                progress(outcome, total - len(todo), total)

        failures = 0
        while todo:
            left = len(todo)
            try:
                await self._fetch_each(list(todo), keep)
            except (HubError, OSError) as error:
                failures = 1 if len(todo) < left else failures + 1
                if failures >= BACKFILL_ATTEMPTS:
                    self._failed(clock(), error, summary)
                    break
                if isinstance(error, HubRateLimited):
                    await asyncio.sleep(error.retry_after_seconds)
                else:
                    await asyncio.sleep(pause_seconds * 2 ** (failures - 1))
        return summary

    # -- one pass's steps ------------------------------------------------------------

    async def plan(self, now: dt.datetime) -> list[dt.date]:
        """The days a pass at `now` would ask for (see `bot.hub_plan`)."""
        written, empty = await asyncio.to_thread(self._look, now)
        for day, checked in self._checked.items():
            if day in written and (written[day] is None or written[day] < checked):
                written[day] = checked
        return plan_days(
            now,
            written,
            empty,
            settle_minutes=self.settle_minutes,
            lookback_days=self.lookback_days,
        )

    def _look(self, now: dt.datetime) -> tuple[dict[dt.date, Any], dict[dt.date, Any]]:
        """The days written (with `fetched_at` for the recent ones) and known empty."""
        recent_from = newest_complete_day(now - REFETCH_FOR, self.settle_minutes)
        written = hub_files.scan_days(self.folder, recent_from)
        if written:
            self.state.newest_day = max(written)
        return written, hub_files.load_empty_days(self.folder)

    async def _fetch_each(
        self,
        days: Sequence[dt.date],
        keep: Callable[[dt.date, list[Any]], Awaitable[Any]],
    ) -> None:
        """Fetch `days`, as many at once as the client allows, handing each to `keep` in
        order; the first fault is raised and nothing after it is kept."""
        waiting = iter(days)
        pending: deque[tuple[dt.date, asyncio.Task[list[Any]]]] = deque()

        def top_up() -> None:
            while (
                len(pending) < self.client.max_in_flight
                and (day := next(waiting, None)) is not None
            ):
                pending.append((day, asyncio.create_task(self.client.fetch_day(day))))

        try:
            top_up()
            while pending:
                day, task = pending.popleft()
                items = await task
                top_up()
                await keep(day, items)
        finally:
            for _, task in pending:
                task.cancel()
            await asyncio.gather(*(task for _, task in pending), return_exceptions=True)

    async def _keep(
        self, day: dt.date, items: list[Any], now: dt.datetime, summary: FetchSummary
    ) -> DayOutcome:
        """Write a fetched day, or record it as empty; count it in `summary`."""
        outcome = DayOutcome(day)
        if not items:
            if hub_files.day_path(self.folder, day).exists():
                self._checked[day] = now  # an earlier answer had papers: keep them
                log.warning("the Hub now lists no papers for %s; kept the file", day)
            else:
                await asyncio.to_thread(hub_files.save_empty_days, self.folder, {day: now})
                summary.empty_days.append(day)
            return outcome
        source = self.client.day_url(day)
        parsed = await asyncio.to_thread(_write_day, self.folder, day, source, now, items)
        outcome.papers, outcome.written = len(parsed.papers), True
        outcome.problems = [str(problem) for problem in parsed.problems]
        summary.fetched.append(day)
        summary.papers += outcome.papers
        summary.problems += outcome.problems
        self.state.newest_day = max(day, self.state.newest_day or day)
        return outcome

    def _failed(self, now: dt.datetime, error: Exception, summary: FetchSummary) -> None:
        state = self.state
        if isinstance(error, HubError):
            message = str(error)
        elif isinstance(error, OSError):
            message = f"cannot write to the digest folder: {error.strerror or error}"
        else:
            log.exception("Hub pass failed unexpectedly")
            message = f"unexpected error: {type(error).__name__}: {str(error)[:200]}"
        day = getattr(error, "day", None)
        summary.error = f"{day}: {message}" if day else message
        state.last_error, state.last_error_at = summary.error, now
        state.consecutive_failures += 1
        wait = backoff(state.consecutive_failures)
        if isinstance(error, HubRateLimited):
            wait = max(wait, dt.timedelta(seconds=error.retry_after_seconds))
        state.retry_at = now + wait if wait else None
        log.warning(
            "Hub source: %s (failure %d in a row)", summary.error, state.consecutive_failures
        )


def _write_day(
    folder: Path, day: dt.date, source: str, now: dt.datetime, items: list[Any]
) -> ParsedDigest:
    """Write the day's file, drop it from the empty days, and parse what was written."""
    data = hub_files.day_file_bytes(day, source, now, items)
    path = hub_files.day_path(folder, day)
    hub_files.write_atomically(path, data)
    hub_files.forget_empty_day(folder, day)
    return parse_json(data, str(path))


def backoff(failures: int) -> dt.timedelta:
    """The wait after `failures` faults in a row: none after one (the next pass retries),
    then 10 minutes, doubling, at most 2 hours."""
    if failures < 2:
        return dt.timedelta(0)
    wait: dt.timedelta = BACKOFF_FIRST * 2 ** min(failures - 2, 16)
    return min(wait, BACKOFF_MAX)
