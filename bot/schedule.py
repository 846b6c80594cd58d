"""The rules of daily posting, free of Discord: which days, when to retry, what to say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.dates import short_day

MAX_BACKOFF = dt.timedelta(hours=6)


def days_to_schedule(
    known_days: Iterable[dt.date], since_day: dt.date | None, scheduled: set[dt.date]
) -> list[dt.date]:
    """Days newer than the server's setup that have no automatic post yet, oldest first."""
    return sorted(
        day for day in known_days if (since_day is None or day > since_day) and day not in scheduled
    )


def retry_after(now: dt.datetime, failures: int, poll_seconds: float) -> dt.datetime:
    """When a server whose posting failed `failures` times in a row is tried again.

    The first failure retries on the next pass; each further one doubles the wait,
    up to six hours, so a broken channel costs little but recovers on its own.
    """
    if failures <= 1:
        return now
    wait = dt.timedelta(seconds=poll_seconds * 2 ** (failures - 1))
    return now + min(wait, MAX_BACKOFF)


def is_due(retry_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Whether a server may be tried now (never failed, or its pause is over)."""
    return retry_at is None or retry_at <= now


def describe_status(
    status: str, papers_sent: int, paper_count: int, error: str | None, day: dt.date
) -> str:
    """One line for `/setup`: how the latest post is going."""
    when = short_day(day)
    if status == "posted":
        return f"{when}: posted ({paper_count} papers)."
    if error:
        return f"{when}: failed after {papers_sent}/{paper_count} papers: {error}. Retrying."
    return f"{when}: in progress, {papers_sent}/{paper_count} papers sent."
