"""A fake Hugging Face Hub on 127.0.0.1 serving `/api/daily_papers`, with faults on demand.

It runs in its own thread with its own event loop, started from a fresh context: under
SimCord the test's loop runs on a virtual clock (`time.monotonic` is replaced for it),
and the server's timers must keep real time.

    with FakeHub(fixture_days()) as hub:
        hub.fail_next(2)                   # the next two requests answer 500
        client = HubClient(hub.url)
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "hub"


def fixture_days() -> dict[dt.date, list[Any]]:
    """The fixture days (tests/fixtures/hub/hf-*.json) as the Hub would list them."""
    days: dict[dt.date, list[Any]] = {}
    for path in sorted(FIXTURES.glob("hf-*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        items = document["items"] if isinstance(document, dict) else document
        days[dt.date.fromisoformat(path.stem.removeprefix("hf-"))] = items
    return days


@pytest.fixture
def fake_hub() -> Iterator[FakeHub]:
    """A running fake Hub listing the fixture days (see `FakeHub` for its knobs)."""
    with FakeHub(fixture_days()) as hub:
        yield hub


@dataclass(frozen=True)
class Fault:
    """How one response goes wrong: `kind` is status, 429, slow, html, dict, bad-json or
    none (answered normally)."""

    kind: str
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    day: str | None = None  # only a request for this day (YYYY-MM-DD)


@dataclass
class Request:
    """One request the server saw, with the real times it started and finished."""

    query: dict[str, str]
    started: float
    finished: float | None = None
    fault: str | None = None

    @property
    def day(self) -> str | None:
        return self.query.get("date")

    @property
    def page(self) -> int:
        return int(self.query.get("p", "0"))


class FakeHub:
    """The Hub's Daily Papers API over an in-memory `{day: items}`; use `with` or start/stop."""

    def __init__(self, days: Mapping[dt.date, list[Any]] | None = None) -> None:
        self._lock = threading.Lock()
        self._days: dict[str, list[Any]] = {}
        for day, items in (days or {}).items():
            self.set_day(day, items)
        self._faults: list[Fault] = []
        self.requests: list[Request] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.delay = 0.0  # every answer waits this long (real seconds)
        self.ignore_paging = False  # answer page 0 whatever `p` asks, like a broken server
        self.url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- content ------------------------------------------------------------------

    def set_day(self, day: dt.date, items: Iterable[Any]) -> None:
        with self._lock:
            self._days[day.isoformat()] = list(items)

    def add_items(self, day: dt.date, items: Iterable[Any]) -> None:
        with self._lock:
            self._days.setdefault(day.isoformat(), []).extend(items)

    def remove_day(self, day: dt.date) -> None:
        with self._lock:
            self._days.pop(day.isoformat(), None)

    def items(self, day: dt.date) -> list[Any]:
        with self._lock:
            return list(self._days.get(day.isoformat(), []))

    # -- faults: each applies to one coming request (for `day`, if given), in order added --

    def answer_next(self, count: int = 1, day: dt.date | None = None) -> None:
        """Let `count` requests through before the faults added after this."""
        self._add(Fault("none"), count, day)

    def fail_next(self, count: int = 1, status: int = 500, day: dt.date | None = None) -> None:
        self._add(Fault("status", status=status), count, day)

    def rate_limit_next(
        self, retry_after: str | None = "2", count: int = 1, day: dt.date | None = None
    ) -> None:
        self._add(Fault("429", status=429, retry_after=retry_after), count, day)

    def slow_next(self, seconds: float, count: int = 1, day: dt.date | None = None) -> None:
        self._add(Fault("slow", seconds=seconds), count, day)

    def html_next(self, count: int = 1, day: dt.date | None = None) -> None:
        self._add(Fault("html"), count, day)

    def dict_next(self, count: int = 1, day: dt.date | None = None) -> None:
        self._add(Fault("dict"), count, day)

    def invalid_json_next(self, count: int = 1, day: dt.date | None = None) -> None:
        self._add(Fault("bad-json"), count, day)

    def _add(self, fault: Fault, count: int, day: dt.date | None) -> None:
        if day is not None:
            fault = replace(fault, day=day.isoformat())
        with self._lock:
            self._faults.extend([fault] * count)

    def _take_fault(self, day: str | None) -> Fault | None:
        for fault in self._faults:
            if fault.day is None or fault.day == day:
                self._faults.remove(fault)
                return fault
        return None

    def requests_for(self, day: dt.date) -> list[Request]:
        with self._lock:
            return [request for request in self.requests if request.day == day.isoformat()]

    # -- running ------------------------------------------------------------------

    def __enter__(self) -> FakeHub:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        # A new thread starts with an empty context: none of the test's clock scope.
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._serve(listener),), name="fake-hub", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            raise RuntimeError(f"the fake Hub did not start: {self._error!r}")

    def stop(self) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set, context=contextvars.Context())
        if self._thread is not None:
            self._thread.join(10)
        self._thread = self._loop = None

    async def _serve(self, listener: socket.socket) -> None:
        app = web.Application()
        app.router.add_get("/api/daily_papers", self._daily_papers)
        runner = web.AppRunner(app, shutdown_timeout=0.5, access_log=None)
        try:
            self._loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
            await runner.setup()
            await web.SockSite(runner, listener).start()
        except BaseException as error:
            self._error = error
            raise
        finally:
            self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            await runner.cleanup()

    async def _daily_papers(self, request: web.Request) -> web.StreamResponse:
        record = Request(dict(request.query), time.perf_counter())
        with self._lock:
            self.requests.append(record)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            fault = self._take_fault(record.day)
        try:
            record.fault = fault.kind if fault else None
            await self._pause(self.delay + (fault.seconds if fault else 0.0))
            return self._answer(request, fault)
        finally:
            with self._lock:
                self.in_flight -= 1
                record.finished = time.perf_counter()

    async def _pause(self, seconds: float) -> None:
        if seconds > 0 and self._stopping is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), seconds)

    def _answer(self, request: web.Request, fault: Fault | None) -> web.StreamResponse:
        if fault is not None and fault.kind in ("status", "429"):
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return web.Response(status=fault.status, text="error", headers=headers)
        if fault is not None and fault.kind == "html":
            page = "<html><body><h1>We'll be right back</h1></body></html>"
            return web.Response(text=page, content_type="text/html")
        if fault is not None and fault.kind == "dict":
            return web.json_response({"error": "Something went wrong"})
        if fault is not None and fault.kind == "bad-json":
            return web.Response(text='[{"title": "cut off', content_type="application/json")
        return self._page(request.query)

    def _page(self, query: Mapping[str, str]) -> web.Response:
        try:
            day = dt.date.fromisoformat(query.get("date", ""))
            limit = min(max(int(query.get("limit", "50")), 1), 100)
            page = 0 if self.ignore_paging else max(int(query.get("p", "0")), 0)
        except ValueError:
            return web.json_response({"error": "Invalid query"}, status=400)
        items = self.items(day)
        return web.json_response(items[page * limit : (page + 1) * limit])
