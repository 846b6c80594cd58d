"""Which Hub days to ask for now: pure, given the time and what the folder already holds.

A day is *complete* once it has ended in UTC and the settle time has passed. A fresh
folder starts with the last `lookback_days` complete days. After that each pass asks
for every complete day after the newest one known (written, or found empty), and asks
again for the known days of the last week: a written day once a day, an empty day
every few hours (a weekday's list can show up late; a weekend's usually never does).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

SETTLE_MINUTES = 120
LOOKBACK_DAYS = 3
MAX_NEW_DAYS = 31  # a bot that was off for a year catches up 31 days a pass, oldest first
REFETCH_FOR = dt.timedelta(days=7)  # after a day is complete
REFETCH_EVERY = dt.timedelta(hours=24)
EMPTY_RECHECK_EVERY = dt.timedelta(hours=6)

_LONG_AGO = dt.datetime.min.replace(tzinfo=dt.UTC)


def completed_at(day: dt.date, settle_minutes: float = SETTLE_MINUTES) -> dt.datetime:
    """When `day`'s list is taken as complete: its end in UTC plus the settle time."""
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC)
    return end + dt.timedelta(minutes=settle_minutes)


def newest_complete_day(now: dt.datetime, settle_minutes: float = SETTLE_MINUTES) -> dt.date:
    """The latest day complete at `now` (an aware datetime)."""
    settled = now.astimezone(dt.UTC) - dt.timedelta(minutes=settle_minutes)
    return settled.date() - dt.timedelta(days=1)


def plan_days(
    now: dt.datetime,
    written: Mapping[dt.date, dt.datetime | None],
    empty: Mapping[dt.date, dt.datetime] | None = None,
    *,
    settle_minutes: float = SETTLE_MINUTES,
    lookback_days: int = LOOKBACK_DAYS,
    max_new_days: int = MAX_NEW_DAYS,
) -> list[dt.date]:
    """The days to fetch at `now`, oldest first.

    `written` maps each day saved as a file to its `fetched_at` (None when unreadable:
    due again if still recent); `empty` maps each day the Hub answered `[]` for to when
    it did. A day in both counts as written.
    """
    if lookback_days < 1:
        raise ValueError("lookback_days must be at least 1")
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    empty = {day: at for day, at in (empty or {}).items() if day not in written}
    newest_complete = newest_complete_day(now, settle_minutes)
    known = written.keys() | empty.keys()
    if not known:
        first = newest_complete - dt.timedelta(days=lookback_days - 1)
        return _days_between(first, newest_complete)
    new = _days_between(max(known) + dt.timedelta(days=1), newest_complete)[:max_new_days]
    again = [
        day
        for checks, every in ((written, REFETCH_EVERY), (empty, EMPTY_RECHECK_EVERY))
        for day, fetched_at in checks.items()
        if day <= newest_complete
        and now <= completed_at(day, settle_minutes) + REFETCH_FOR
        and now - (fetched_at or _LONG_AGO) >= every
    ]
    return sorted({*new, *again})


def _days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """first..last inclusive; [] when last is before first."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
