"""Days typed by users, in `/digest`, `/post` and `paperboy day`: one reading for all."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence

from bot.digest import month_number, parse_date
from bot.errors import UserError

DATE_FORMS = "`Mar 14`, `March 14, 2026` or `2026-03-14`"
NO_DIGESTS = "No digests are loaded yet."
# What of a typed day is shown back: characters a date can hold, none that Discord
# reads as markdown or mentions.
_NOT_SHOWN = re.compile(r"[^0-9A-Za-z ,./-]")
# A date with a day its month does not have, such as `Feb 30` or `2026-04-31`.
_MONTH_DAY = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})\b")
_ISO_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def parse_day_option(value: str, today: dt.date | None = None) -> dt.date | None:
    """A day as typed: any form a digest date line accepts, spacing ignored."""
    return parse_date(" ".join(value.split())[:40], today)


def nearest_days(day: dt.date, known: Sequence[dt.date], count: int = 5) -> list[dt.date]:
    """The `count` known days closest to `day`, in date order."""
    closest = sorted(known, key=lambda other: (abs((other - day).days), other))[:count]
    return sorted(closest)


def resolve_day(
    typed: str | None, known: Sequence[dt.date], today: dt.date | None = None
) -> dt.date:
    """The known day a user asked for (the latest when `typed` is None or blank).

    Raises UserError saying what is wrong: no days at all, not a date (with the
    accepted forms), or a date with no digest (with the nearest known days).
    """
    if not known:
        raise UserError(NO_DIGESTS)
    if typed is None or not typed.strip():
        return max(known)
    day = parse_day_option(typed, today)
    if day is None:
        shown = _NOT_SHOWN.sub("", " ".join(typed.split()))[:50]
        message = f"“{shown}” is not a date. Try {DATE_FORMS}."
        if (close := _closest_date(typed, today)) is not None:
            near = ", ".join(short_day(other) for other in nearest_days(close, known))
            message += f" Nearest days with digests: {near}."
        raise UserError(message)
    if day not in known:
        near = ", ".join(short_day(other) for other in nearest_days(day, known))
        raise UserError(f"No digest for {short_day(day)}. Nearest days: {near}.")
    return day


def _closest_date(typed: str, today: dt.date | None) -> dt.date | None:
    """The real date nearest to a month and day that do not go together (`Feb 30` is
    taken as the last day of February), or None when `typed` names no month."""
    text = " ".join(typed.split())
    today = today or dt.date.today()
    if match := _ISO_DAY.match(text):
        year, month, day = (int(part) for part in match.groups())
        if not 1 <= month <= 12 or not 1 <= year <= 9999:
            return None
    elif (match := _MONTH_DAY.match(text)) and (found := month_number(match.group(1))):
        year, month, day = today.year, found, int(match.group(2))
    else:
        return None
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(max(day, 1), last))


def format_day(day: dt.date) -> str:
    """`Saturday, March 14, 2026`."""
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def short_day(day: dt.date) -> str:
    """`Mar 14, 2026`."""
    return f"{day:%b} {day.day}, {day.year}"
