"""bot.hub_plan: which days a pass asks for, at the edges of settle time and the week."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.hub_plan import completed_at, newest_complete_day, plan_days

UTC = dt.UTC
FRI, SAT, SUN, MON, TUE = (dt.date(2026, 3, 13) + dt.timedelta(days=n) for n in range(5))
H = dt.timedelta(hours=1)
S = dt.timedelta(seconds=1)


def at(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), UTC)


def day(n: int) -> dt.date:
    return FRI + dt.timedelta(days=n)


# -- completeness ----------------------------------------------------------------------


def test_a_day_is_complete_at_its_end_plus_settle() -> None:
    assert completed_at(FRI) == at(SAT, 2)
    assert completed_at(FRI, settle_minutes=0) == at(SAT)
    assert newest_complete_day(at(SAT, 2) - S) == FRI - dt.timedelta(days=1)
    assert newest_complete_day(at(SAT, 2)) == FRI
    assert newest_complete_day(at(SAT, 23, 59)) == FRI
    assert newest_complete_day(at(SUN, 1, 59)) == FRI
    assert newest_complete_day(at(SAT), settle_minutes=0) == FRI


def test_completeness_is_in_utc_whatever_zone_now_is_in() -> None:
    tokyo = dt.timezone(dt.timedelta(hours=9))
    assert newest_complete_day(at(SAT, 2).astimezone(tokyo)) == FRI


# -- a fresh folder --------------------------------------------------------------------


def test_a_fresh_folder_looks_back() -> None:
    assert plan_days(at(MON, 2), {}) == [FRI, SAT, SUN]
    assert plan_days(at(MON, 2), {}, lookback_days=1) == [SUN]
    assert plan_days(at(MON, 1, 59), {}) == [day(-1), FRI, SAT]


def test_a_fresh_folder_with_another_settle_time() -> None:
    assert plan_days(at(MON, 0, 30), {}, settle_minutes=30) == [FRI, SAT, SUN]
    assert plan_days(at(MON, 0, 29), {}, settle_minutes=30) == [day(-1), FRI, SAT]


@pytest.mark.parametrize("lookback", [0, -1])
def test_lookback_must_be_a_day_at_least(lookback: int) -> None:
    with pytest.raises(ValueError, match="lookback"):
        plan_days(at(MON), {}, lookback_days=lookback)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        plan_days(dt.datetime(2026, 3, 16), {})


# -- new days after the newest -----------------------------------------------------------


def test_every_day_after_the_newest_up_to_the_newest_complete() -> None:
    written = {FRI: at(TUE, 1)}
    assert plan_days(at(TUE, 2), written) == [SAT, SUN, MON]
    assert plan_days(at(TUE, 1, 59), written) == [SAT, SUN]


def test_nothing_new_until_the_next_day_is_complete() -> None:
    written = {SUN: at(MON, 3)}
    assert plan_days(at(TUE, 1, 59), written) == []
    assert plan_days(at(TUE, 2), written) == [MON]


def test_a_long_absence_catches_up_31_days_a_pass_oldest_first() -> None:
    written = {FRI: at(SAT, 2)}
    now = at(FRI + dt.timedelta(days=100), 3)
    planned = plan_days(now, written)
    assert planned == [FRI + dt.timedelta(days=n) for n in range(1, 32)]
    assert plan_days(now, written, max_new_days=5)[-1] == day(5)


def test_only_newer_days_count_not_gaps() -> None:
    # A gap before the newest day is the backfill's to fill, not the loop's.
    written = {FRI: at(TUE, 2), MON: at(TUE, 2)}
    assert plan_days(at(TUE, 3), written) == []


def test_a_file_for_a_day_not_yet_complete_asks_nothing() -> None:
    written = {TUE: at(TUE, 12)}
    assert plan_days(at(TUE, 13), written) == []


# -- refetching written days ---------------------------------------------------------------


def test_a_written_day_is_fetched_again_once_a_day() -> None:
    written = {FRI: at(SAT, 2)}
    now = at(SUN, 1, 59)  # SAT is not complete yet
    assert plan_days(now, written) == []
    assert plan_days(at(SUN, 2) - S, written) == []
    assert plan_days(at(SUN, 2), written) == [FRI, SAT]  # 24 h after, and SAT is new


def test_refetching_stops_a_week_after_the_day_was_complete() -> None:
    complete = at(SAT, 2)
    last = complete + dt.timedelta(days=7)
    written = {FRI: last - 24 * H}
    newer = {day(n): last for n in range(1, 8)}  # keeps new days out of the answer
    assert plan_days(last, written | newer) == [FRI]
    assert plan_days(last + S, written | newer) == []


def test_refetch_counts_from_the_last_fetch_not_the_day() -> None:
    written = {FRI: at(SAT, 2) + 30 * H, SAT: at(SUN, 2)}
    assert plan_days(at(SUN, 2) + 24 * H, written) == [SAT, SUN]
    assert plan_days(at(SUN, 2) + 30 * H, written) == [FRI, SAT, SUN]


def test_an_unreadable_fetch_time_is_due_while_recent() -> None:
    assert plan_days(at(SAT, 3), {FRI: None}) == [FRI]
    assert plan_days(at(SAT, 3) + dt.timedelta(days=8), {FRI: None, day(8): None}) == [day(8)]


def test_a_fetch_time_in_the_future_is_not_due() -> None:
    assert plan_days(at(SAT, 3), {FRI: at(SAT, 3) + 24 * H}) == []


# -- empty days --------------------------------------------------------------------------


def test_empty_days_count_as_known() -> None:
    # FRI written, the weekend empty: no new day is asked for until MON is complete.
    checked = at(MON, 2)
    written, empty = {FRI: checked}, {SAT: checked, SUN: checked}
    assert plan_days(at(MON, 7, 59), written, empty) == []
    assert plan_days(at(MON, 8), written, empty) == [SAT, SUN]  # their 6-hourly recheck
    assert plan_days(at(TUE, 2), written, empty) == [FRI, SAT, SUN, MON]


def test_empty_days_are_asked_again_every_six_hours_for_a_week() -> None:
    written = {FRI: at(SUN, 2)}
    empty = {SAT: at(SUN, 2)}
    assert plan_days(at(SUN, 7, 59), written, empty) == []
    assert plan_days(at(SUN, 8), written, empty) == [SAT]
    week_later = completed_at(SAT) + dt.timedelta(days=7)
    recent = {day(n): week_later for n in range(2, 9)}
    assert plan_days(week_later, recent, {SAT: week_later - 6 * H}) == [SAT]
    assert plan_days(week_later + S, recent, {SAT: week_later - 6 * H}) == []


def test_a_day_written_and_empty_counts_as_written() -> None:
    written = {SAT: at(SUN, 2)}
    empty = {SAT: at(SUN, 2)}
    assert plan_days(at(SUN, 8), written, empty) == []  # not the 6-hour empty recheck
    assert plan_days(at(MON, 2), written, empty) == [SAT, SUN]


def test_only_empty_days_known_is_not_a_fresh_folder() -> None:
    assert plan_days(at(MON, 2), {}, {SUN: at(MON, 2)}) == []
