"""bot.hub_source and bot.hub_files: passes that write Hub days into a digest folder."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot import hub_files
from bot.digest import parse_file
from bot.hub import HubClient
from bot.hub_source import DayOutcome, FetchSummary, HubSource, backoff
from bot.ingest import digest_files, ingest_paths
from bot.search import Catalog
from tests.hub_server import FakeHub

UTC = dt.UTC
SUN, MON, TUE, WED, THU, FRI, SAT = (dt.date(2026, 3, 15) + dt.timedelta(days=n) for n in range(7))
NOW = dt.datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # THU is the newest complete day
H = dt.timedelta(hours=1)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    path = tmp_path / "digests"
    path.mkdir()
    return path


@pytest.fixture
async def source(fake_hub: FakeHub, folder: Path) -> AsyncIterator[HubSource]:
    async with HubClient(fake_hub.url, timeout=0.5) as client:
        yield HubSource(client, folder)


@pytest.fixture
async def one_by_one(fake_hub: FakeHub, folder: Path) -> AsyncIterator[HubSource]:
    """A source asking one request at a time, so faults meet requests in a known order."""
    async with HubClient(fake_hub.url, max_in_flight=1) as client:
        yield HubSource(client, folder)


def files(folder: Path) -> list[str]:
    """Every name in the folder, dot-files included."""
    return sorted(path.name for path in folder.iterdir())


def read(folder: Path, day: dt.date) -> dict:
    return json.loads(hub_files.day_path(folder, day).read_text(encoding="utf-8"))


# -- a pass ----------------------------------------------------------------------------


async def test_a_fresh_folder_gets_the_last_three_complete_days(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    summary = await source.run_once(NOW)
    assert summary.fetched == [TUE, WED, THU]
    assert summary.papers == 115 + 12 + 5
    assert len(summary.problems) == 5 and "item 9" in summary.problems[0]
    assert summary.error is None and summary.empty_days == []
    assert files(folder) == ["hf-2026-03-17.json", "hf-2026-03-18.json", "hf-2026-03-19.json"]
    saved = read(folder, TUE)
    assert saved["day"] == "2026-03-17"
    assert saved["source"] == f"{fake_hub.url}/api/daily_papers?date=2026-03-17&limit=100&p=0"
    assert saved["fetched_at"] == "2026-03-20T02:00:00Z"
    assert saved["items"] == fake_hub.items(TUE)  # both pages, as received
    state = source.state
    assert (state.last_success_at, state.newest_day, state.last_error) == (NOW, THU, None)


async def test_written_days_ingest_as_digests(source: HubSource, folder: Path) -> None:
    await source.run_once(NOW)
    assert [parse_file(path).day for path in digest_files([folder])] == [TUE, WED, THU]
    assert len(parse_file(hub_files.day_path(folder, TUE)).papers) == 115


async def test_written_days_go_into_the_archive(
    source: HubSource, folder: Path, catalog: Catalog
) -> None:
    await source.run_once(NOW)
    reports = await ingest_paths(catalog, [folder])
    assert [report.outcome.new_papers for report in reports if report.outcome] == [115, 12, 5]
    assert str(reports[1].problems[0]).endswith(
        "item 9: not an arXiv id, left out: '../../etc/passwd'"
    )


async def test_the_same_pass_again_asks_nothing(source: HubSource, fake_hub: FakeHub) -> None:
    await source.run_once(NOW)
    asked = len(fake_hub.requests)
    summary = await source.run_once(NOW + 23 * H)
    assert len(fake_hub.requests) == asked
    assert summary.fetched == [] and source.state.last_success_at == NOW


async def test_a_day_later_refetches_the_week_and_finds_an_empty_day(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    await source.run_once(NOW)
    fake_hub.add_items(WED, fake_hub.items(MON)[:2])
    summary = await source.run_once(NOW + 24 * H)
    assert summary.fetched == [TUE, WED, THU]
    assert summary.empty_days == [FRI]
    assert len(read(folder, WED)["items"]) == 17
    assert read(folder, TUE)["fetched_at"] == "2026-03-21T02:00:00Z"
    assert hub_files.load_empty_days(folder) == {FRI: NOW + 24 * H}
    assert not hub_files.day_path(folder, FRI).exists()


async def test_empty_days_are_remembered_across_instances(fake_hub: FakeHub, folder: Path) -> None:
    monday_night = dt.datetime(2026, 3, 17, 2, tzinfo=UTC)  # MON complete: SAT, SUN, MON
    fake_hub.remove_day(MON)
    async with HubClient(fake_hub.url) as client:
        summary = await HubSource(client, folder).run_once(monday_night)
        assert summary.empty_days == [SUN - dt.timedelta(days=1), SUN, MON]
        assert files(folder) == [".hf-empty-days.json"]
        asked = len(fake_hub.requests)
        again = HubSource(client, folder)  # a restart
        assert (await again.run_once(monday_night + H)).empty_days == []
        assert len(fake_hub.requests) == asked
        fake_hub.set_day(MON, [fake_hub.items(TUE)[0]])  # the list shows up late
        later = await again.run_once(monday_night + 6 * H)
    assert later.fetched == [MON] and later.papers == 1
    assert MON not in hub_files.load_empty_days(folder)


async def test_a_refetch_that_finds_nothing_keeps_the_file(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    await source.run_once(NOW)
    before = hub_files.day_path(folder, TUE).read_bytes()
    fake_hub.remove_day(TUE)
    summary = await source.run_once(NOW + 24 * H)
    assert TUE not in summary.fetched and TUE not in summary.empty_days
    assert hub_files.day_path(folder, TUE).read_bytes() == before
    asked = len(fake_hub.requests_for(TUE))
    await source.run_once(NOW + 25 * H)
    assert len(fake_hub.requests_for(TUE)) == asked  # checked: due again in a day


async def test_at_most_two_requests_in_flight_during_a_pass(
    source: HubSource, fake_hub: FakeHub
) -> None:
    fake_hub.delay = 0.1
    summary = await source.run_once(dt.datetime(2026, 3, 21, 2, tzinfo=UTC))
    assert summary.fetched == [WED, THU] and summary.empty_days == [FRI]
    assert fake_hub.max_in_flight == 2


# -- faults ----------------------------------------------------------------------------


async def test_a_server_error_writes_nothing_and_the_next_pass_recovers(
    one_by_one: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    source = one_by_one
    fake_hub.fail_next(1)
    summary = await source.run_once(NOW)
    assert summary.fetched == [] and files(folder) == []
    assert summary.error == "2026-03-17: the Hub answered 500 Internal Server Error"
    state = source.state
    assert (state.last_error, state.last_error_at) == (summary.error, NOW)
    assert state.consecutive_failures == 1 and state.retry_at is None
    later = await source.run_once(NOW + H)
    assert later.fetched == [TUE, WED, THU] and later.error is None
    assert source.state.consecutive_failures == 0
    assert source.state.last_error == summary.error  # kept for /setup


async def test_a_fault_on_a_later_day_keeps_the_earlier_ones_and_skips_none(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    fake_hub.fail_next(1, day=WED)
    summary = await source.run_once(NOW)
    assert summary.fetched == [TUE] and summary.error is not None
    assert summary.error.startswith("2026-03-18: ")
    assert files(folder) == ["hf-2026-03-17.json"]  # THU, fetched or not, waits for WED
    assert (await source.run_once(NOW + H)).fetched == [WED, THU]


async def test_a_fault_on_page_two_writes_no_part_of_the_day_nor_the_next(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    fake_hub.answer_next(1, day=TUE)
    fake_hub.fail_next(1, day=TUE)
    fake_hub.delay = 0.05  # WED answers while TUE's pages are asked
    summary = await source.run_once(NOW)
    assert [request.page for request in fake_hub.requests_for(TUE)] == [0, 1]
    assert fake_hub.requests_for(WED)
    assert summary.fetched == [] and files(folder) == []


async def test_repeated_failures_back_off(source: HubSource, fake_hub: FakeHub) -> None:
    fake_hub.fail_next(100)
    await source.run_once(NOW)
    assert source.state.retry_at is None
    await source.run_once(NOW + H)
    assert source.state.retry_at == NOW + H + dt.timedelta(minutes=10)
    asked = len(fake_hub.requests)
    waiting = await source.run_once(NOW + H + dt.timedelta(minutes=9))
    assert waiting.waiting_until == source.state.retry_at
    assert len(fake_hub.requests) == asked  # nothing asked while backing off
    await source.run_once(NOW + 2 * H)
    assert source.state.consecutive_failures == 3
    assert source.state.retry_at == NOW + 2 * H + dt.timedelta(minutes=20)


def test_backoff() -> None:
    minutes = [backoff(n) / dt.timedelta(minutes=1) for n in range(1, 9)]
    assert minutes == [0, 10, 20, 40, 80, 120, 120, 120]
    assert backoff(10**6) == dt.timedelta(hours=2)


async def test_429_waits_at_least_retry_after(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    fake_hub.rate_limit_next("120", day=TUE)
    summary = await source.run_once(NOW)
    assert "429" in str(summary.error)
    assert source.state.retry_at == NOW + dt.timedelta(seconds=120)
    asked = len(fake_hub.requests)
    assert (await source.run_once(NOW + dt.timedelta(seconds=119))).waiting_until
    assert len(fake_hub.requests) == asked
    assert (await source.run_once(NOW + dt.timedelta(seconds=120))).fetched == [TUE, WED, THU]
    assert source.state.retry_at is None


@pytest.mark.parametrize(
    ("inject", "message"),
    [
        (lambda hub: hub.slow_next(3.0, day=TUE), "did not answer within 0.5 s"),
        (lambda hub: hub.html_next(day=TUE), "not JSON"),
        (lambda hub: hub.dict_next(day=TUE), "not a list of papers"),
        (lambda hub: hub.invalid_json_next(day=TUE), "not JSON"),
    ],
)
async def test_each_fault_ends_the_pass_and_the_next_recovers(
    source: HubSource, fake_hub: FakeHub, folder: Path, inject, message: str
) -> None:
    inject(fake_hub)
    summary = await source.run_once(NOW)
    assert message in str(summary.error) and files(folder) == []
    assert (await source.run_once(NOW + H)).fetched == [TUE, WED, THU]


async def test_a_folder_that_cannot_be_written_is_a_fault_not_a_crash(
    source: HubSource, folder: Path
) -> None:
    (folder / "hf-2026-03-17.json").mkdir()  # the rename onto it fails
    summary = await source.run_once(NOW)
    assert summary.error is not None and "cannot write to the digest folder" in summary.error
    assert files(folder) == ["hf-2026-03-17.json"]  # no temporary file left behind
    assert source.state.consecutive_failures == 1


# -- files -----------------------------------------------------------------------------


def test_write_atomically_replaces_whole_and_leaves_no_temporary(folder: Path) -> None:
    path = folder / "hf-2026-03-17.json"
    hub_files.write_atomically(path, b"old")
    hub_files.write_atomically(path, b"new")
    assert path.read_bytes() == b"new" and files(folder) == [path.name]
    assert path.stat().st_mode & 0o777 == 0o644


def test_day_files_put_fetched_at_first_and_one_item_per_line(folder: Path) -> None:
    fetched = dt.datetime(2026, 3, 18, 2, 0, 30, 123, tzinfo=UTC)
    path = hub_files.write_day(folder, TUE, "http://x/api?date=2026-03-17", fetched, [{"a": 1}, 2])
    lines = path.read_text().splitlines()
    assert lines[1:3] == ['{"a": 1},', "2"]
    document = json.loads(path.read_text())
    assert document == {
        "day": "2026-03-17",
        "source": "http://x/api?date=2026-03-17",
        "fetched_at": "2026-03-18T02:00:30Z",
        "items": [{"a": 1}, 2],
    }
    assert hub_files.read_fetched_at(path) == fetched.replace(microsecond=0)


def test_scan_days_reads_recent_fetch_times_only(folder: Path) -> None:
    fetched = dt.datetime(2026, 3, 18, 2, tzinfo=UTC)
    for day in (SUN, TUE):
        hub_files.write_day(folder, day, "s", fetched, [{}])
    (folder / "hf-2026-03-99.json").write_text("{}")
    (folder / "hf-2026-03-18.json").write_text("not json")
    (folder / "notes.json").write_text("{}")
    assert hub_files.scan_days(folder, recent_from=MON) == {SUN: None, TUE: fetched, WED: None}
    assert hub_files.scan_days(folder / "missing", recent_from=MON) == {}


def test_the_empty_day_record_merges_and_survives_damage(folder: Path) -> None:
    at = dt.datetime(2026, 3, 16, 2, tzinfo=UTC)
    hub_files.save_empty_days(folder, {SUN: at})
    hub_files.save_empty_days(folder, {MON: at, SUN: at - H})
    assert hub_files.load_empty_days(folder) == {SUN: at, MON: at}
    hub_files.forget_empty_day(folder, SUN)
    assert hub_files.load_empty_days(folder) == {MON: at}
    (folder / hub_files.EMPTY_DAYS_FILE).write_text("[1, 2")
    assert hub_files.load_empty_days(folder) == {}
    assert digest_files([folder]) == []  # a dot-file: never taken for a digest


# -- backfill --------------------------------------------------------------------------


async def test_backfill_fetches_history_with_progress_and_a_rerun_asks_nothing(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    seen: list[tuple[dt.date, bool, int, int]] = []

    def progress(outcome: DayOutcome, done: int, total: int) -> None:
        seen.append((outcome.day, outcome.written, done, total))

    summary = await source.backfill(SUN, lambda: NOW, progress)
    assert summary.fetched == [MON, TUE, WED, THU] and summary.empty_days == [SUN]
    assert summary.papers == 20 + 115 + 12 + 5
    assert seen == [
        (SUN, False, 1, 5),
        (MON, True, 2, 5),
        (TUE, True, 3, 5),
        (WED, True, 4, 5),
        (THU, True, 5, 5),
    ]
    asked = len(fake_hub.requests)
    again = await source.backfill(SUN, lambda: NOW)
    assert again == FetchSummary() and len(fake_hub.requests) == asked
    later = await source.backfill(SUN, lambda: NOW + 48 * H)
    assert later.fetched == [] and later.empty_days == [FRI, SAT]
    assert [request.day for request in fake_hub.requests[asked:]] == ["2026-03-20", "2026-03-21"]


async def test_backfill_waits_out_a_429_and_retries_other_faults(
    source: HubSource, fake_hub: FakeHub
) -> None:
    fake_hub.rate_limit_next("0")
    fake_hub.fail_next(2)
    summary = await source.backfill(TUE, lambda: NOW, pause_seconds=0.01)
    assert summary.fetched == [TUE, WED, THU] and summary.error is None


async def test_backfill_gives_up_after_faults_in_a_row(
    source: HubSource, fake_hub: FakeHub, folder: Path
) -> None:
    fake_hub.fail_next(100, day=WED)
    summary = await source.backfill(TUE, lambda: NOW, pause_seconds=0.01)
    assert summary.fetched == [TUE]
    assert summary.error == "2026-03-18: the Hub answered 500 Internal Server Error"
    assert files(folder) == ["hf-2026-03-17.json"]
