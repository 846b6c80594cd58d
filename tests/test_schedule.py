"""bot.schedule: the pure rules of daily posting, with no Discord and no database."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.models import SkippedDay
from bot.schedule import (
    MAX_BACKOFF,
    MAX_CATCH_UP_DAYS,
    describe_skipped,
    describe_status,
    failures_after,
    is_due,
    plan_new_days,
    retry_after,
)

MAR12, MAR13, MAR14, MAR15 = (dt.date(2026, 3, day) for day in (12, 13, 14, 15))
NOW = dt.datetime(2026, 3, 15, 9, 30, tzinfo=dt.UTC)


def test_only_days_after_setup_without_a_post_are_posted_oldest_first() -> None:
    known = [MAR15, MAR12, MAR14, MAR13]
    assert plan_new_days(known, MAR13, set(), set()).post == [MAR14, MAR15]
    assert plan_new_days(known, MAR13, {MAR14}, set()).post == [MAR15]
    assert plan_new_days(known, MAR15, set(), set()).post == []
    assert plan_new_days(known, MAR12, set(), {MAR13}).post == [MAR14, MAR15]


def test_a_few_days_at_once_are_each_posted_after_downtime() -> None:
    days = [MAR15 + dt.timedelta(days=n) for n in range(MAX_CATCH_UP_DAYS)]
    plan = plan_new_days(days, MAR14, {MAR14}, set())
    assert plan.post == days and plan.skip == []


def test_a_burst_of_many_days_posts_only_the_newest() -> None:
    backfill = [MAR12 - dt.timedelta(days=n) for n in range(30)]  # 30 days arrive together
    plan = plan_new_days(backfill, None, set(), set())
    assert plan.post == [MAR12]
    assert {s.day for s in plan.skip} == set(backfill) - {MAR12}
    assert {(s.reason, s.newer_day) for s in plan.skip} == {("burst", MAR12)}


def test_a_day_older_than_a_posted_one_arrived_late() -> None:
    plan = plan_new_days([MAR12, MAR13, MAR14, MAR15], MAR12, {MAR14}, set())
    assert plan.post == [MAR15]
    assert plan.skip == [SkippedDay(MAR13, "late", MAR14)]
    assert describe_skipped(plan.skip[0]) == (
        "Mar 13, 2026 arrived after Mar 14, 2026 was posted; use `/post` to post it."
    )


def test_failures_count_only_passes_that_sent_nothing() -> None:
    assert failures_after(0, progressed=False) == 1
    assert failures_after(4, progressed=False) == 5
    assert failures_after(4, progressed=True) == 1


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
    assert describe_status("posted", 1, 1, None, MAR14) == "Mar 14, 2026: posted (1 paper)."
    assert describe_status("posted", 1, 1, None, MAR14) == "Mar 14, 2026: posted (1 paper)."
    assert describe_status("pending", 20, 87, None, MAR14) == (
        "Mar 14, 2026: in progress, 20/87 papers sent."
    )
    assert describe_status("pending", 20, 87, "Discord error 500", MAR14) == (
        "Mar 14, 2026: failed after 20/87 papers: Discord error 500. Retrying."
    )


def test_a_paused_server_passes_over_every_new_day() -> None:
    plan = plan_new_days([MAR13, MAR14, MAR15], MAR12, {MAR13}, set(), paused=True)
    assert plan.post == []
    assert [(s.day, s.reason) for s in plan.skip] == [(MAR14, "paused"), (MAR15, "paused")]
    assert describe_skipped(plan.skip[0]) == (
        "Mar 14, 2026 came while posting was paused; `/post` posts it."
    )
