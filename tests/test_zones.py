"""bot.zones and bot.schedule.due_at: a server's posting time, across clock changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from bot.errors import UserError
from bot.schedule import due_at
from bot.zones import parse_post_time, parse_zone, zone_choices

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
UTC = dt.UTC


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("09:00", dt.time(9)),
        ("9:30", dt.time(9, 30)),
        ("21.15", dt.time(21, 15)),
        ("0:00", dt.time(0)),
        ("now", None),
        (" NOW ", None),
    ],
)
def test_posting_times_as_typed(typed: str, expected: dt.time | None) -> None:
    assert parse_post_time(typed) == expected


@pytest.mark.parametrize("typed", ["25:00", "12:60", "noon", "9", "", "-1:00", "<@123>"])
def test_bad_posting_times_name_the_accepted_forms(typed: str) -> None:
    with pytest.raises(UserError, match=r"is not a posting time\. Use `09:00`"):
        parse_post_time(typed)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("UTC", "UTC"),
        ("America/New York", "America/New_York"),
        ("Beijing", "Asia/Shanghai"),
    ],
)
def test_zones_by_name_any_case_or_a_common_city(typed: str, name: str) -> None:
    assert parse_zone(typed).key == name


def test_a_zone_that_does_not_exist_names_the_accepted_forms() -> None:
    with pytest.raises(UserError, match=r"“Mars/Base” is not a time zone\. Use an IANA name"):
        parse_zone("Mars/Base")


def test_zone_suggestions_by_prefix_city_and_alias() -> None:
    assert zone_choices("europe/ber")[0] == "Europe/Berlin"
    assert "Europe/Berlin" in zone_choices("berl")
    assert "America/New_York" in zone_choices("new y")
    assert "Asia/Kolkata" in zone_choices("bangal")
    assert zone_choices("")[0] == "UTC"
    assert all(len(choice) <= 100 for choice in zone_choices("a")) and len(zone_choices("a")) <= 25


def test_without_a_posting_time_a_day_goes_at_once() -> None:
    assert due_at(at(2026, 1, 14, 3, 0), None, BERLIN) == at(2026, 1, 14, 3, 0)


@pytest.mark.parametrize(
    ("ready", "due"),
    [
        # Winter (CET, UTC+1): 09:00 in Berlin is 08:00 UTC.
        (at(2026, 1, 14, 3, 0), at(2026, 1, 14, 8, 0)),
        # Ready after today's time: tomorrow's.
        (at(2026, 1, 14, 8, 30), at(2026, 1, 15, 8, 0)),
        # Exactly at the time: now.
        (at(2026, 1, 14, 8, 0), at(2026, 1, 14, 8, 0)),
        # Summer (CEST, UTC+2): 07:00 UTC.
        (at(2026, 7, 14, 3, 0), at(2026, 7, 14, 7, 0)),
        # Ready the evening before the spring change (Mar 29, 2026): the next 09:00 is CEST.
        (at(2026, 3, 28, 20, 0), at(2026, 3, 29, 7, 0)),
        # Ready before the autumn change (Oct 25, 2026): 09:00 CET.
        (at(2026, 10, 24, 20, 0), at(2026, 10, 25, 8, 0)),
        # Just after midnight UTC is already the next local day in Berlin.
        (at(2026, 1, 13, 23, 30), at(2026, 1, 14, 8, 0)),
    ],
)
def test_a_day_waits_for_the_local_posting_time_across_clock_changes(ready, due) -> None:
    assert due_at(ready, dt.time(9), BERLIN) == due


def test_a_time_the_clock_change_skips_is_an_hour_later() -> None:
    # New York skips 02:00-03:00 on Mar 8, 2026: 02:30 is read as 03:30 EDT = 07:30 UTC.
    assert due_at(at(2026, 3, 8, 5, 0), dt.time(2, 30), NEW_YORK) == at(2026, 3, 8, 7, 30)
    assert due_at(at(2026, 3, 9, 5, 0), dt.time(2, 30), NEW_YORK) == at(2026, 3, 9, 6, 30)


def test_a_day_missed_during_downtime_is_due_at_once_on_return() -> None:
    # Ready at 05:00 UTC, due 08:00 UTC (09:00 Berlin); a bot back at 10:30 finds it due.
    due = due_at(at(2026, 1, 15, 5, 0), dt.time(9), BERLIN)
    assert due == at(2026, 1, 15, 8, 0) and due <= at(2026, 1, 15, 10, 30)
