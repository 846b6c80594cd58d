"""bot.dates: a typed day, read the same way by /digest, /post and `paperboy day`."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.dates import format_day, nearest_days, parse_day_option, resolve_day, short_day
from bot.errors import UserError

TODAY = dt.date(2026, 11, 22)
KNOWN = [dt.date(2026, 3, 14), dt.date(2026, 3, 13), dt.date(2026, 3, 1)]


@pytest.mark.parametrize(
    "typed", ["Mar 14", "  march   14 ", "Mar 14, 2026", "2026-03-14", "March 14th"]
)
def test_every_digest_date_form_is_accepted(typed: str) -> None:
    assert parse_day_option(typed, TODAY) == dt.date(2026, 3, 14)
    assert resolve_day(typed, KNOWN, TODAY) == dt.date(2026, 3, 14)


def test_no_day_typed_means_the_latest() -> None:
    assert resolve_day(None, KNOWN, TODAY) == dt.date(2026, 3, 14)
    assert resolve_day("   ", KNOWN, TODAY) == dt.date(2026, 3, 14)


def test_an_empty_archive_says_so() -> None:
    with pytest.raises(UserError, match="No digests are loaded yet"):
        resolve_day("Mar 14", [], TODAY)


def test_not_a_date_names_the_forms_and_shows_no_markup() -> None:
    with pytest.raises(UserError) as raised:
        resolve_day("next *tuesday* @everyone <@1>", KNOWN, TODAY)
    message = raised.value.message
    assert message.startswith("“next tuesday everyone 1” is not a date.")
    assert "`Mar 14`, `March 14, 2026` or `2026-03-14`" in message


def test_a_day_without_a_digest_offers_the_nearest_days() -> None:
    with pytest.raises(UserError) as raised:
        resolve_day("Mar 15", KNOWN, TODAY)
    assert raised.value.message == (
        "No digest for Mar 15, 2026. Nearest days: Mar 1, 2026, Mar 13, 2026, Mar 14, 2026."
    )


def test_nearest_days_are_in_date_order() -> None:
    assert nearest_days(dt.date(2026, 3, 12), KNOWN, count=2) == [
        dt.date(2026, 3, 13),
        dt.date(2026, 3, 14),
    ]


def test_day_formats() -> None:
    assert format_day(dt.date(2026, 3, 1)) == "Sunday, March 1, 2026"
    assert short_day(dt.date(2026, 3, 1)) == "Mar 1, 2026"


@pytest.mark.parametrize("typed", ["Feb 30", "2026-02-30", "Mar 32", "april 31"])
def test_a_day_its_month_does_not_have_also_offers_the_nearest_days(typed: str) -> None:
    with pytest.raises(UserError) as raised:
        resolve_day(typed, KNOWN, TODAY)
    message = raised.value.message
    assert f"“{typed}” is not a date. Try `Mar 14`" in message
    assert message.endswith("Nearest days with digests: Mar 1, 2026, Mar 13, 2026, Mar 14, 2026.")


def test_text_with_no_month_offers_no_days() -> None:
    with pytest.raises(UserError) as raised:
        resolve_day("2026-13-01", KNOWN, TODAY)
    assert "Nearest" not in raised.value.message
