"""`make demo`: the demo world as a browser sees it, the demo process, the README's images.

The world tests drive SimCord's preview over HTTP, as the page does (no browser), with
an aiohttp client in the test's own loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from demo.screenshots import SHOTS
from demo.world import CLOCK_START, DemoWorld, open_world
from tests.preview_client import PreviewClient, buttons, text_of
from tests.simbot import assert_all_answered, raise_unexpected_errors, write_day

ROOT = Path(__file__).resolve().parent.parent
HEADER = "Daily Papers — Monday, March 16, 2026"
THREAD = "Papers 2026-03-16"
EVERY_COMMAND = {
    "alerts",
    "digest",
    "paper",
    "post",
    "random",
    "search",
    "setup",
    "subscribe",
    "subscriptions",
    "unsubscribe",
}


# -- nothing leaves 127.0.0.1 -----------------------------------------------------------

_addresses: list[tuple[str, object]] | None = None  # recording while a test runs
_hooked = False


def _audit(event: str, args: tuple[object, ...]) -> None:
    if _addresses is None:
        return
    if event in ("socket.connect", "socket.bind"):
        _addresses.append((event, args[1]))
    elif event == "socket.getaddrinfo":
        _addresses.append((event, args[0]))


def _outside(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, bytes):
        host = host.decode()
    if isinstance(address, str | bytes) and not isinstance(address, tuple):
        return host not in ("127.0.0.1", "localhost", "::1") and "/" not in str(host)
    return host not in ("127.0.0.1", "localhost", "::1")


@pytest.fixture
def loopback_only() -> Iterator[list[tuple[str, object]]]:
    """Every socket address the process connects to, binds or resolves meanwhile; the
    test fails if one is outside the loopback interface."""
    global _addresses, _hooked
    if not _hooked:
        sys.addaudithook(_audit)  # hooks cannot be removed: this one records only here
        _hooked = True
    _addresses = []
    try:
        yield _addresses
        outside = [(event, address) for event, address in _addresses if _outside(address)]
        assert outside == [], f"the demo reached outside 127.0.0.1: {outside}"
    finally:
        _addresses = None


# -- the world in the browser -----------------------------------------------------------


@pytest.fixture
async def world(loopback_only: list[tuple[str, object]]) -> AsyncIterator[DemoWorld]:
    """The demo world after the sample day arrived; every interaction must be answered."""
    async with open_world(check_errors=True) as world:
        await world.release_sample_day()
        yield world
        raise_unexpected_errors(world.env)
        assert_all_answered(world.env)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def test_the_page_shows_the_day_and_searches_from_the_composer(
    world: DemoWorld, http: aiohttp.ClientSession, loopback_only: list[tuple[str, object]]
) -> None:
    page = PreviewClient(http, world.url)
    status, html = await page.index()
    assert status == 200
    assert "<html" in html.lower()
    await page.open_page(world.you.id)

    header = next(m for m in page.messages() if HEADER in (m.get("content") or ""))
    assert header["author"]["name"] == "paperboy"
    assert header["thread"]["name"] == THREAD
    assert "Most upvoted:\n• Nash Learning from Human Feedback · ▲ 250" in header["content"]

    receipt = await page.run_command("search", query="human feedback")
    assert receipt["settlement"] == "settled", receipt
    reply = page.message(receipt["outcomes"][0]["messageId"])
    assert "Nash Learning from Human Feedback" in text_of(reply)
    pages = re.search(r"page 1 of (\d+)", text_of(reply))
    assert pages, text_of(reply)
    receipt = await page.action(
        "click", target_id=reply["id"], control_key=buttons(reply)["Next"]["control_key"]
    )
    assert receipt["settlement"] == "settled", receipt
    assert f"page 2 of {pages[1]}" in text_of(page.message(reply["id"]))
    assert any(event == "socket.connect" for event, _ in loopback_only)  # the hook records


async def test_you_can_run_every_command_with_autocomplete(
    world: DemoWorld, http: aiohttp.ClientSession
) -> None:
    page = PreviewClient(http, world.url)
    await page.open_page(world.you.id)
    catalog = await page.commands()
    assert {entry["invocation"] for entry in catalog["entries"]} == EVERY_COMMAND

    entry = await page.command("paper")
    receipt = await page.action(
        "autocomplete_command",
        command_id=entry["commandId"],
        path=entry["path"],
        schema_fingerprint=entry["schemaFingerprint"],
        focused="title",
        value="nash learn",
        options={},
    )
    choices = [choice["name"] for choice in receipt["result"]["choices"]]
    assert "Nash Learning from Human Feedback" in choices

    receipt = await page.run_command("setup")
    status = text_of(page.message(receipt["outcomes"][0]["messageId"]))
    assert "#papers" in status or str(world.channel.id) in status
    receipt = await page.run_command("post", date="Mar 14")
    assert receipt["settlement"] == "settled", receipt

    other = PreviewClient(http, world.url)  # a member without Manage Server
    await other.open_page(world.others[0].id)
    catalog = await other.commands()
    assert {entry["invocation"] for entry in catalog["entries"]} == EVERY_COMMAND - {
        "setup",
        "post",
    }


async def test_typing_thread_opens_the_days_thread_with_your_alert(
    world: DemoWorld, http: aiohttp.ClientSession
) -> None:
    page = PreviewClient(http, world.url)
    await page.open_page(world.you.id)
    receipt = await page.action("send_message", content="thread")
    assert receipt["settlement"] == "settled", receipt
    await world.tick()
    assert await page.state_status() == 410  # the page says to reload

    thread = PreviewClient(http, world.url)  # the same address, reloaded
    await thread.open_page(world.you.id)
    assert thread.state["channelId"] == str(world.newest_thread().id)  # type: ignore[union-attr]
    messages = thread.messages()
    alert = next(m for m in messages if str(world.you.id) in map(str, m["mention_user_ids"]))
    assert "matching your subscriptions" in alert["content"]
    assert "Fine-Grained Human Feedback" in alert["content"]
    cards = [m for m in messages if m.get("embeds")]
    assert "TALC: Time-Aligned Captions" in text_of(cards[0])
    assert sum(len(m["embeds"]) for m in cards) == 20
    assert all(m.content != "thread" for m in world.channel.history())  # removed

    await thread.action("send_message", content="back")
    await world.tick()
    home = PreviewClient(http, world.url)
    await home.open_page(world.you.id)
    assert home.state["channelId"] == str(world.channel.id)


async def test_page_actions_wait_while_the_clock_moves(
    world: DemoWorld, http: aiohttp.ClientSession
) -> None:
    """An action arriving while the demo holds SimCord (advancing the clock) waits its
    turn and settles, rather than being refused and leaving the page stuck."""
    page = PreviewClient(http, world.url)
    await page.open_page(world.you.id)
    async with world.gate:  # as `tick` holds it around `advance_time`
        pending = asyncio.ensure_future(page.run_command("random"))
        await asyncio.sleep(0.3)
        assert not pending.done()
    receipt = await pending
    assert receipt["settlement"] == "settled", receipt


async def test_ending_the_session_in_the_page_ends_the_demo(
    world: DemoWorld, http: aiohttp.ClientSession
) -> None:
    page = PreviewClient(http, world.url)
    await page.open_page(world.you.id)
    running = asyncio.ensure_future(world.run(asyncio.Event(), release_after=3600, every=0.05))
    receipt = await page.action("close")  # the page's "End preview session"
    assert receipt["settlement"] == "settled", receipt
    await asyncio.wait_for(running, 10)
    assert world.closed_by_page


async def test_the_clock_keeps_pace_and_the_loop_keeps_posting(world: DemoWorld) -> None:
    """Ticks keep the virtual clock at the real one's pace, so the bot's loop passes every
    POLL_SECONDS as it would on Discord, and posts a day that arrives later."""
    real = world.real_clock()
    world.real_clock = lambda: real + 30  # half a minute later
    write_day(world.digests, "Mar 17, 2026", 3)
    before = world.env.now()
    await world.tick()
    assert CLOCK_START + dt.timedelta(seconds=30) <= world.env.now()
    assert world.env.now() - before <= dt.timedelta(seconds=30)
    headers = [m.content for m in world.channel.history() if m.content.startswith("📰")]
    assert "Tuesday, March 17, 2026" in headers[-1]


# -- the demo process -------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_demo_prints_its_address_and_stops_cleanly(tmp_path: Path, signum: int) -> None:
    """`python -m demo` (what `make demo` runs): one line with the address within 60 s,
    a page there, and on Ctrl-C (or SIGTERM) exit 0 with its temporary folder gone."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    environ = {**os.environ, "TMPDIR": str(temp)}
    process = subprocess.Popen(
        [sys.executable, "-m", "demo", "--port", "0", "--release-after", "0.5"],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            line = pool.submit(process.stdout.readline).result(timeout=60)
        found = re.search(r"http://127\.0\.0\.1:\d+/#[\w-]+", line)
        assert found, (line, process.stderr.read() if process.poll() is not None else "")
        with urllib.request.urlopen(found.group().split("#")[0], timeout=10) as response:
            assert response.status == 200
        assert HEADER in _page_text(found.group(), within=20), "the sample day arrives"
        assert list(temp.iterdir()), "the demo keeps its files in TMPDIR"
        process.send_signal(signum)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, errors
    assert rest == "", "one line only"
    assert "Traceback" not in errors, errors
    assert list(temp.iterdir()) == []


def _page_text(url: str, within: float) -> str:
    """The text of a fresh page at `url` once the sample day's header is on it (or after
    `within` seconds): a page is opened anew each time, as a browser reload does."""
    base, capability = url.split("/#")
    deadline = time.monotonic() + within
    while True:
        request = urllib.request.Request(
            base + "/api/pages",
            data=b"{}",
            headers={"X-Simcord-Capability": capability, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            state = json.load(response)
        text = "\n".join(state["messages"][key].get("content") or "" for key in state["timeline"])
        if HEADER in text or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


# -- the README's pictures --------------------------------------------------------------


def test_every_image_the_readme_shows_exists() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)", readme)
    images += re.findall(r"<img[^>]*\ssrc=\"([^\"]+)\"", readme)
    assert images, "the README shows no images"
    missing = [image for image in images if not (ROOT / image).is_file()]
    assert missing == []
    for image in images:
        assert (ROOT / image).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
    assert {shot.path for shot in SHOTS} <= set(images), "every screenshot is in the README"
