"""The rules of daily posting, free of Discord: which days, when to retry, what to say."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.dates import short_day
from bot.models import SkippedDay
from bot.wording import plural

MAX_BACKOFF = dt.timedelta(hours=6)
# At most this many new days at once are each posted (a bot back from a weekend's
# downtime catches up); more at once is a backfill or a restored folder, of which only
# the newest day is posted.
MAX_CATCH_UP_DAYS = 3


@dataclass(frozen=True)
class NewDays:
    """What a server's automatic posts do with the days that arrived since last time."""

    post: list[dt.date] = field(default_factory=list)  # oldest first
    skip: list[SkippedDay] = field(default_factory=list)


def plan_new_days(
    known_days: Iterable[dt.date],
    since_day: dt.date | None,
    posted: set[dt.date],
    skipped: set[dt.date],
    paused: bool = False,
) -> NewDays:
    """Which of the days newer than the server's setup to post automatically.

    `posted`: days with an automatic post already (sent or not); `skipped`: days passed
    over before. A day older than the newest posted one arrived late and is skipped;
    of more than MAX_CATCH_UP_DAYS new days at once only the newest is posted; while
    the server is `paused`, every new day is passed over (for good).
    """
    fresh = sorted(
        day
        for day in known_days
        if (since_day is None or day > since_day) and day not in posted and day not in skipped
    )
    newest_posted = max(posted, default=None)
    late = [day for day in fresh if newest_posted is not None and day < newest_posted]
    newer = [day for day in fresh if newest_posted is None or day > newest_posted]
    skip = [SkippedDay(day, "late", newest_posted) for day in late if newest_posted]
    if paused:
        return NewDays([], skip + [SkippedDay(day, "paused", day) for day in newer])
    if len(newer) > MAX_CATCH_UP_DAYS:
        skip += [SkippedDay(day, "burst", newer[-1]) for day in newer[:-1]]
        newer = newer[-1:]
    return NewDays(newer, skip)


def due_at(ready_at: dt.datetime, post_time: dt.time | None, zone: dt.tzinfo) -> dt.datetime:
    """When a day that became ready at `ready_at` is posted: at once when the server has
    no posting time, else at the first `post_time` in `zone` at or after `ready_at`.

    Local times are what the admin chose whatever the season: 09:00 in Berlin is 08:00
    UTC in winter and 07:00 in summer. A time that a clock change skips (02:30 on the
    spring-forward night) is read with the offset before the change, one hour later.
    """
    if post_time is None:
        return ready_at
    local_day = ready_at.astimezone(zone).date()
    for offset in range(3):  # today, tomorrow; a day more covers any clock change
        day = local_day + dt.timedelta(days=offset)
        candidate = dt.datetime.combine(day, post_time, tzinfo=zone).astimezone(dt.UTC)
        if candidate >= ready_at:
            return candidate
    raise AssertionError("a posting time always comes within two days")


def describe_skipped(skipped: SkippedDay) -> str:
    """One line for `/setup` on a day the automatic posts passed over."""
    day, newer = short_day(skipped.day), short_day(skipped.newer_day)
    if skipped.reason == "paused":
        return f"{day} came while posting was paused; `/post` posts it."
    if skipped.reason == "late":
        return f"{day} arrived after {newer} was posted; use `/post` to post it."
    return (
        f"{day} came with many days at once; only {newer} was posted. "
        "The others are in `/digest`; `/post` posts one."
    )


def failures_after(previous: int, progressed: bool) -> int:
    """Failures in a row after one more: a pass that sent anything starts the count again,
    so a few unrelated Discord errors never stretch a half-posted day over hours."""
    return 1 if progressed else previous + 1


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
        return f"{when}: posted ({plural(paper_count, 'paper')})."
    if error:
        return f"{when}: failed after {papers_sent}/{paper_count} papers: {error}. Retrying."
    return f"{when}: in progress, {papers_sent}/{paper_count} papers sent."
