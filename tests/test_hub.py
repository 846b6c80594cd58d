"""bot.hub: the Daily Papers client against a fake Hub on 127.0.0.1 (tests/hub_server.py)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from email.utils import format_datetime

import aiohttp
import pytest
from multidict import CIMultiDict

from bot.hub import (
    DEFAULT_RETRY_AFTER,
    MAX_PAGES,
    MAX_RETRY_AFTER,
    HubClient,
    HubRateLimited,
    HubUnavailable,
    retry_after,
)
from tests.hub_server import FakeHub

NORMAL = dt.date(2026, 3, 16)  # 20 papers
LONG = dt.date(2026, 3, 17)  # 115 papers: two pages
SUNDAY = dt.date(2026, 3, 15)  # nothing listed


async def test_a_day_in_one_page(fake_hub: FakeHub) -> None:
    async with HubClient(fake_hub.url) as client:
        items = await client.fetch_day(NORMAL)
    assert items == fake_hub.items(NORMAL) and len(items) == 20
    [request] = fake_hub.requests
    assert request.query == {"date": "2026-03-16", "limit": "100", "p": "0"}


async def test_a_long_day_over_two_pages(fake_hub: FakeHub) -> None:
    async with HubClient(fake_hub.url) as client:
        items = await client.fetch_day(LONG)
    assert items == fake_hub.items(LONG) and len(items) == 115
    assert [request.page for request in fake_hub.requests] == [0, 1]


async def test_a_full_last_page_takes_one_more_request(fake_hub: FakeHub) -> None:
    async with HubClient(fake_hub.url, page_size=10) as client:
        assert await client.fetch_day(NORMAL) == fake_hub.items(NORMAL)
    assert [request.page for request in fake_hub.requests] == [0, 1, 2]


async def test_an_empty_day(fake_hub: FakeHub) -> None:
    async with HubClient(fake_hub.url) as client:
        assert await client.fetch_day(SUNDAY) == []
    assert len(fake_hub.requests) == 1


def test_day_url() -> None:
    client = HubClient("http://127.0.0.1:1/", page_size=50)
    assert client.day_url(NORMAL, 2) == (
        "http://127.0.0.1:1/api/daily_papers?date=2026-03-16&limit=50&p=2"
    )


# -- faults --------------------------------------------------------------------------


async def test_a_server_error_fails_the_day_and_the_next_try_works(fake_hub: FakeHub) -> None:
    fake_hub.fail_next(1, status=503)
    async with HubClient(fake_hub.url) as client:
        with pytest.raises(HubUnavailable, match="answered 503") as raised:
            await client.fetch_day(NORMAL)
        assert raised.value.day == NORMAL
        assert len(await client.fetch_day(NORMAL)) == 20


async def test_an_error_on_page_two_fails_the_whole_day(fake_hub: FakeHub) -> None:
    fake_hub.answer_next(1)
    fake_hub.fail_next(1)
    async with HubClient(fake_hub.url) as client:
        with pytest.raises(HubUnavailable, match="answered 500"):
            await client.fetch_day(LONG)
    assert [request.page for request in fake_hub.requests] == [0, 1]


@pytest.mark.parametrize(("header", "seconds"), [("7", 7.0), (None, DEFAULT_RETRY_AFTER)])
async def test_429_carries_retry_after(
    fake_hub: FakeHub, header: str | None, seconds: float
) -> None:
    fake_hub.rate_limit_next(header)
    async with HubClient(fake_hub.url) as client:
        with pytest.raises(HubRateLimited) as raised:
            await client.fetch_day(NORMAL)
    assert raised.value.retry_after_seconds == seconds
    assert "429" in str(raised.value)


async def test_429_with_an_http_date(fake_hub: FakeHub) -> None:
    # The server's own Date header is the reference: clocks need not agree.
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=90)
    fake_hub.rate_limit_next(format_datetime(later, usegmt=True))
    async with HubClient(fake_hub.url) as client:
        with pytest.raises(HubRateLimited) as raised:
            await client.fetch_day(NORMAL)
    assert 85 <= raised.value.retry_after_seconds <= 91


async def test_a_timeout(fake_hub: FakeHub) -> None:
    fake_hub.slow_next(5.0)
    async with HubClient(fake_hub.url, timeout=0.3) as client:
        with pytest.raises(HubUnavailable, match=r"did not answer within 0\.3 s"):
            await client.fetch_day(NORMAL)
        assert len(await client.fetch_day(NORMAL)) == 20


@pytest.mark.parametrize(
    ("inject", "message"),
    [
        (FakeHub.html_next, "answered text/html that is not JSON"),
        (FakeHub.invalid_json_next, "answered application/json that is not JSON"),
        (FakeHub.dict_next, "answered an object, not a list of papers"),
    ],
)
async def test_a_body_that_is_not_a_list_of_papers(fake_hub: FakeHub, inject, message: str) -> None:
    inject(fake_hub)
    async with HubClient(fake_hub.url) as client:
        with pytest.raises(HubUnavailable, match=message):
            await client.fetch_day(NORMAL)


async def test_nobody_listening() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    async with HubClient(f"http://127.0.0.1:{port}") as client:
        with pytest.raises(HubUnavailable, match="cannot reach the Hub"):
            await client.fetch_day(NORMAL)


async def test_a_server_that_never_ends_a_day(fake_hub: FakeHub) -> None:
    fake_hub.set_day(NORMAL, [{"title": f"Paper {n}"} for n in range(MAX_PAGES + 5)])
    async with HubClient(fake_hub.url, page_size=1) as client:
        with pytest.raises(HubUnavailable, match="past 50 pages"):
            await client.fetch_day(NORMAL)
    assert len(fake_hub.requests) == MAX_PAGES


async def test_a_server_that_ignores_the_page(fake_hub: FakeHub) -> None:
    fake_hub.ignore_paging = True
    async with HubClient(fake_hub.url, page_size=10) as client:
        with pytest.raises(HubUnavailable, match="repeated page 0 as page 1"):
            await client.fetch_day(NORMAL)
    assert len(fake_hub.requests) == 2


# -- concurrency and sessions -----------------------------------------------------------


@pytest.mark.parametrize("limit", [1, 2])
async def test_at_most_max_in_flight_requests(fake_hub: FakeHub, limit: int) -> None:
    fake_hub.delay = 0.15
    days = [NORMAL, LONG, SUNDAY, dt.date(2026, 3, 18), dt.date(2026, 3, 19)]
    async with HubClient(fake_hub.url, max_in_flight=limit) as client:
        results = await asyncio.gather(*(client.fetch_day(day) for day in days))
    assert [len(items) for items in results] == [20, 115, 0, 15, 5]
    assert len(fake_hub.requests) == 6
    assert fake_hub.max_in_flight == limit


async def test_a_callers_session_stays_open(fake_hub: FakeHub) -> None:
    async with aiohttp.ClientSession() as session:
        async with HubClient(fake_hub.url, session=session) as client:
            assert len(await client.fetch_day(NORMAL)) == 20
        assert not session.closed


async def test_the_clients_own_session_is_closed_and_reopened(fake_hub: FakeHub) -> None:
    client = HubClient(fake_hub.url)
    await client.fetch_day(NORMAL)
    await client.close()
    assert len(await client.fetch_day(NORMAL)) == 20  # opens a new one
    await client.close()


def test_page_size_is_checked() -> None:
    with pytest.raises(ValueError, match="page_size"):
        HubClient("http://127.0.0.1:1", page_size=101)


# -- Retry-After ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": " 0 "}, 0.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "1e12"}, MAX_RETRY_AFTER),
        ({"Retry-After": "nan"}, DEFAULT_RETRY_AFTER),
        ({"Retry-After": "soon"}, DEFAULT_RETRY_AFTER),
        ({}, DEFAULT_RETRY_AFTER),
        (
            {
                "Retry-After": "Sat, 14 Mar 2026 10:02:00 GMT",
                "Date": "Sat, 14 Mar 2026 10:00:00 GMT",
            },
            120.0,
        ),
        ({"Retry-After": "Sat, 14 Mar 2026 10:02:00 GMT"}, DEFAULT_RETRY_AFTER),  # no Date
        (
            {
                "Retry-After": "Sat, 14 Mar 2026 09:00:00 GMT",
                "Date": "Sat, 14 Mar 2026 10:00:00 GMT",
            },
            0.0,
        ),
    ],
)
def test_retry_after(headers: dict[str, str], seconds: float) -> None:
    assert retry_after(CIMultiDict(headers)) == seconds


async def test_tests_never_leave_this_machine() -> None:
    # tests/conftest.py's guard: even a real Hub URL fails at once, offline.
    async with HubClient("https://huggingface.co") as client:
        with pytest.raises(HubUnavailable, match=r"tests stay on 127\.0\.0\.1"):
            await client.fetch_day(NORMAL)
    with pytest.raises(OSError, match=r"tests stay on 127\.0\.0\.1"):
        socket.create_connection(("192.0.2.1", 80), timeout=1)
