"""bot.schedule: the pure rules of daily posting, with no Discord and no database."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.schedule import MAX_BACKOFF, days_to_schedule, describe_status, is_due, retry_after

MAR12, MAR13, MAR14, MAR15 = (dt.date(2026, 3, day) for day in (12, 13, 14, 15))
NOW = dt.datetime(2026, 3, 15, 9, 30, tzinfo=dt.UTC)


def test_only_days_after_setup_without_a_post_are_scheduled_oldest_first() -> None:
    known = [MAR15, MAR12, MAR14, MAR13]
    assert days_to_schedule(known, MAR13, scheduled=set()) == [MAR14, MAR15]
    assert days_to_schedule(known, MAR13, scheduled={MAR14}) == [MAR15]
    assert days_to_schedule(known, None, scheduled=set()) == [MAR12, MAR13, MAR14, MAR15]
    assert days_to_schedule(known, MAR15, scheduled=set()) == []


@pytest.mark.parametrize(
    ("failures", "wait"),
    [(0, 0), (1, 0), (2, 1200), (3, 2400), (4, 4800), (20, MAX_BACKOFF.total_seconds())],
)
def test_retries_wait_twice_as_long_each_time_up_to_six_hours(failures: int, wait: float) -> None:
    assert retry_after(NOW, failures, poll_seconds=600) == NOW + dt.timedelta(seconds=wait)


def test_a_server_is_due_when_it_never_failed_or_its_pause_is_over() -> None:
    assert is_due(None, NOW)
    assert is_due(NOW, NOW)
    assert is_due(NOW - dt.timedelta(seconds=1), NOW)
    assert not is_due(NOW + dt.timedelta(seconds=1), NOW)


def test_status_lines_for_setup() -> None:
    assert describe_status("posted", 87, 87, None, MAR14) == "Mar 14, 2026: posted (87 papers)."
    assert describe_status("pending", 20, 87, None, MAR14) == (
        "Mar 14, 2026: in progress, 20/87 papers sent."
    )
    assert describe_status("pending", 20, 87, "Discord error 500", MAR14) == (
        "Mar 14, 2026: failed after 20/87 papers: Discord error 500. Retrying."
    )
