"""A server's posting time: `HH:MM` or `now`, in an IANA time zone, as admins type them."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from functools import cache

from bot.errors import UserError

TIME_FORMS = "`09:00`, `9:30`, `21:15` (24-hour clock) or `now`"
ZONE_FORMS = "an IANA name such as `Europe/Berlin`, `America/New_York` or `UTC`"
_TIME = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
CHOICES = 25
# Big cities whose zone is named after another city (the names users type first).
CITY_ZONES = {
    "beijing": "Asia/Shanghai",
    "shenzhen": "Asia/Shanghai",
    "hangzhou": "Asia/Shanghai",
    "mumbai": "Asia/Kolkata",
    "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata",
    "bangalore": "Asia/Kolkata",
    "bengaluru": "Asia/Kolkata",
    "hyderabad": "Asia/Kolkata",
    "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles",
    "boston": "America/New_York",
    "washington": "America/New_York",
    "montreal": "America/Toronto",
    "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin",
    "hamburg": "Europe/Berlin",
    "zurich": "Europe/Zurich",
    "geneva": "Europe/Zurich",
    "milan": "Europe/Rome",
    "barcelona": "Europe/Madrid",
    "edinburgh": "Europe/London",
    "cambridge": "Europe/London",
    "oxford": "Europe/London",
    "tel aviv": "Asia/Jerusalem",
    "osaka": "Asia/Tokyo",
    "kyoto": "Asia/Tokyo",
    "seoul": "Asia/Seoul",
    "sydney": "Australia/Sydney",
    "melbourne": "Australia/Melbourne",
}


def parse_post_time(typed: str) -> dt.time | None:
    """`HH:MM` as a time of day, or None for `now` (post as soon as a day is ready)."""
    text = typed.strip().lower()
    if text == "now":
        return None
    match = _TIME.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2))
        if hour < 24 and minute < 60:
            return dt.time(hour, minute)
    shown = re.sub(r"[^0-9A-Za-z:.]", "", text)[:20]
    raise UserError(f"“{shown}” is not a posting time. Use {TIME_FORMS}.")


def parse_zone(typed: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone named (any case; a common city name works too)."""
    text = typed.strip()
    name = _zone_names_folded().get(_fold(text)) or CITY_ZONES.get(text.lower())
    if name is None:
        shown = re.sub(r"[^0-9A-Za-z/_+-]", "", text)[:40]
        raise UserError(f"“{shown}” is not a time zone. Use {ZONE_FORMS}.")
    return zoneinfo.ZoneInfo(name)


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The zone a server's settings name (stored valid; UTC if the system lost it)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def zone_choices(typed: str, limit: int = CHOICES) -> list[str]:
    """IANA zone names for autocomplete: the name or its city starting with what is
    typed first, then names holding it, then a city's zone; `UTC` for nothing typed."""
    needle = _fold(typed)
    names = sorted(_zone_names_folded().values())
    if not needle:
        return ["UTC", *[n for n in names if n.startswith(("Europe/", "America/"))]][:limit]
    starts = [n for n in names if _fold(n).startswith(needle) or _city(n).startswith(needle)]
    holds = [n for n in names if needle in _fold(n) and n not in starts]
    cities = [
        zone for city, zone in CITY_ZONES.items() if city.replace(" ", "_").startswith(needle)
    ]
    return list(dict.fromkeys([*starts, *holds, *cities]))[:limit]


def describe_time(post_time: dt.time | None, zone: str) -> str:
    """`09:00 Europe/Berlin`, or `as soon as a day is ready`."""
    if post_time is None:
        return "as soon as a day is ready"
    return f"{post_time:%H:%M} {zone}"


def _fold(text: str) -> str:
    return text.strip().lower().replace(" ", "_")


def _city(name: str) -> str:
    return _fold(name.rsplit("/", 1)[-1])


@cache
def _zone_names_folded() -> dict[str, str]:
    """Every IANA zone name this system knows, by its folded form."""
    return {_fold(name): name for name in zoneinfo.available_timezones()}
