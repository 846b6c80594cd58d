"""Day options typed by users: the digest date forms, and the nearest known days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.digest import parse_date


def parse_day_option(value: str, today: dt.date | None = None) -> dt.date | None:
    """A day as typed in `/digest` or `/post`: any form a digest date line accepts."""
    return parse_date(" ".join(value.split())[:40], today)


def nearest_days(day: dt.date, known: Sequence[dt.date], count: int = 5) -> list[dt.date]:
    """The `count` known days closest to `day`, in date order."""
    closest = sorted(known, key=lambda other: (abs((other - day).days), other))[:count]
    return sorted(closest)
