"""Reliability of the database: a process killed mid-ingest, another process locking the
database, and a digest file still being written when the bot looks."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import simcord

from bot import watcher
from bot.client import BUSY
from bot.config import Settings
from tests.conftest import ROOT
from tests.reliability import ExternalLock, fast_settle, record
from tests.simbot import embed_titles, setup_server, user_messages, write_day

BIG_DAY_PAPERS = 6000

# Runs the real CLI, and says when the write transaction has started (after BEGIN
# IMMEDIATE, as the papers are inserted) so the parent can kill it mid-write.
INGEST_SCRIPT = """
import sys
import aiosqlite
original = aiosqlite.Connection.executemany
async def announced(self, sql, rows):
    print("WRITING", flush=True)
    return await original(self, sql, rows)
aiosqlite.Connection.executemany = announced
from bot.cli import main
sys.exit(main(["ingest", sys.argv[1]]))
"""


def _big_digest(path: Path) -> Path:
    abstract = (
        "We study large scale ingestion of papers. The method is robust to crashes. "
        "Results hold across many benchmarks and settings. " * 4
    )
    blocks = [
        f"Crash Test Paper {index}: Durable Storage {index}" for index in range(BIG_DAY_PAPERS)
    ]
    text = "Mar 20, 2026\n\n" + "\n\n".join(f"{title}\n\n{abstract}" for title in blocks) + "\n"
    path.write_text(text, encoding="utf-8")
    return path


def _state(db_path: Path) -> tuple[str, int, int, int]:
    with sqlite3.connect(db_path) as connection:
        integrity = connection.execute("PRAGMA integrity_check").fetchone()[0]
        connection.execute("INSERT INTO paper_fts(paper_fts) VALUES ('integrity-check')")
        connection.execute("INSERT INTO title_fts(title_fts) VALUES ('integrity-check')")
        papers = connection.execute("SELECT count(*) FROM papers").fetchone()[0]
        on_day = connection.execute(
            "SELECT count(*) FROM appearances WHERE day = '2026-03-20'"
        ).fetchone()[0]
        digests = connection.execute("SELECT count(*) FROM digests").fetchone()[0]
    return integrity, papers, on_day, digests


def _env(db_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PAPERBOY_DATABASE=str(db_path), PYTHONPATH=str(ROOT))
    env.pop("DISCORD_TOKEN", None)
    return env


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.2])
def test_sigkill_during_ingest_leaves_the_day_whole_or_absent(tmp_path: Path, request, delay):
    digest = _big_digest(tmp_path / "big.txt")
    db_path = tmp_path / "crash.db"
    process = subprocess.Popen(
        [sys.executable, "-c", INGEST_SCRIPT, str(digest)],
        cwd=tmp_path,
        env=_env(db_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the write transaction is under way
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    killed_mid_write = line.startswith("WRITING") and process.returncode == -signal.SIGKILL

    integrity, papers, on_day, digests = _state(db_path)
    whole = (papers, on_day, digests) == (BIG_DAY_PAPERS, BIG_DAY_PAPERS, 1)
    absent = (papers, on_day, digests) == (0, 0, 0)

    # Ingesting again afterwards stores the day exactly once.
    again = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ingest", str(digest)],
        cwd=tmp_path,
        env=_env(db_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    after = _state(db_path)
    key = "sigkill-ingest"
    from tests.reliability import _rows

    previous = _rows.get(key)
    runs = (int(previous.inputs.split()[0]) if previous else 0) + 1
    wholes = (int(previous.delivered.split()[0]) if previous else 0) + whole
    absents = (int(previous.outcome.split()[0]) if previous else 0) + absent
    record(
        request,
        "Process killed (SIGKILL) during ingest of a large file",
        order=40,
        key=key,
        target=request.node.nodeid.split("[")[0],
        inputs=f"{runs} runs, {BIG_DAY_PAPERS:,}-paper file ({digest.stat().st_size // 1024:,} KB)",
        faults="SIGKILL 0 / 50 / 200 ms into the write transaction",
        delivered=f"{wholes} days whole",
        lost=f"{runs - wholes - absents} partial days",
        duplicated="0 after re-ingest" if after[1:] == (BIG_DAY_PAPERS, BIG_DAY_PAPERS, 1) else "?",
        outcome=f"{absents} days absent; PRAGMA integrity_check and FTS5 integrity-check ok; "
        "re-ingest stores the day once",
    )
    assert killed_mid_write or whole, (line, process.returncode)
    assert integrity == "ok"
    assert whole or absent, (papers, on_day, digests)
    assert again.returncode == 0, again.stderr
    assert after == ("ok", BIG_DAY_PAPERS, BIG_DAY_PAPERS, 1)


# -- another process holds the database --------------------------------------------------


@pytest.fixture
def bot_settings(tmp_path: Path, digest_dir: Path) -> Settings:
    # Writes give up on another process's lock after 0.5 s: a pass meets the lock in
    # several writes, and SimCord allows a pass 5 s of real time.
    return Settings(
        database=tmp_path / "p.db", digest_dir=digest_dir, poll_seconds=60, db_busy_timeout_ms=500
    )


@pytest.fixture
def world(sim, monkeypatch):
    fast_settle(monkeypatch)
    guild = setup_server(sim)
    sim.alice = guild.add_member(sim.env.create_user("alice"))
    return sim


async def test_a_locked_database_gets_busy_answers_and_the_loop_catches_up(
    world, request, digest_dir
):
    env = world.env
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    titles = write_day(digest_dir, "Mar 15, 2026", 12, topic="locks")
    answers = {}
    with ExternalLock(world.settings.database):
        started = time.perf_counter()
        # A write waits for the lock (busy_timeout 2 s), then gets the BUSY answer.
        sub = await world.alice.slash(world.channel, "subscribe", keyword="locks")
        answers["/subscribe"] = (sub.response.content, time.perf_counter() - started)
        # Reads go on in WAL mode while another process writes.
        search = await world.alice.slash(world.channel, "search", query="concept bottleneck")
        answers["/search"] = (bool(search.response.embeds), 0)
        # The loop's pass fails on the lock, is logged, and the loop keeps running.
        await env.advance_time(world.settings.poll_seconds + 1)
        during = user_messages(world.channel)
    simcord.assert_error(env, sqlite3.OperationalError, contains="locked")
    retried = await world.alice.slash(world.channel, "subscribe", keyword="locks")
    await env.advance_time(world.settings.poll_seconds * 2 + 1)
    (thread,) = [t for t in world.channel.threads if t.name == "Papers 2026-03-15"]
    posted = embed_titles(user_messages(thread))
    alerts = [m for m in user_messages(thread) if "matching your subscriptions" in m.content]
    subs = await world.bot.database.subscriptions.of_member(world.guild.id, world.alice.id)
    record(
        request,
        "Database locked by another process (BEGIN EXCLUSIVE) for a few seconds",
        order=41,
        inputs="/subscribe (write), /search (read), one loop pass during the lock",
        faults="exclusive write lock held by another connection for ~3 s",
        delivered=f"{len(posted)}/{len(titles)} papers, {len(alerts)}/1 alert after release",
        lost=str(len(titles) - len(set(posted))),
        duplicated=str(len(posted) - len(set(posted))),
        outcome=f"/subscribe answered BUSY after {answers['/subscribe'][1]:.1f} s; "
        "/search answered during the lock; loop retried on the next pass; "
        f"{len(subs)} subscription stored once after the retry",
    )
    assert answers["/subscribe"][0] == BUSY
    assert answers["/subscribe"][1] < 3.0
    assert answers["/search"][0]
    assert during == []
    assert "Subscribed" in retried.response.content
    assert posted == titles and len(alerts) == 1 and len(subs) == 1


# -- a digest still being written --------------------------------------------------------


async def test_a_half_written_digest_is_not_posted_as_a_short_day(
    world, request, digest_dir, monkeypatch
):
    env = world.env
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    full = write_day(digest_dir, "Mar 15, 2026", 30, topic="partial")
    path = next(digest_dir.glob("digest-Mar-15-2026.txt"))
    content = path.read_bytes()
    piece = len(content) // 10
    written = {"end": piece * 3}
    path.write_bytes(content[: written["end"]])

    def touch() -> None:  # just written (the watcher compares mtimes with time.time())
        os.utime(path, None)

    touch()
    real_sleep = asyncio.sleep
    looks = {"waits": 0}

    async def sleep_while_the_scraper_writes(seconds: float) -> None:
        # While the watcher waits between its two looks, the scraper appends a piece.
        looks["waits"] += 1
        if written["end"] < len(content):
            with path.open("ab") as handle:
                handle.write(content[written["end"] : written["end"] + piece])
            written["end"] += piece
            touch()
        await real_sleep(seconds)

    monkeypatch.setattr(watcher, "asyncio", SimpleNamespace(sleep=sleep_while_the_scraper_writes))
    passes = 0
    while written["end"] < len(content) and passes < 30:
        await env.advance_time(world.settings.poll_seconds + 1)
        passes += 1
    await env.advance_time(world.settings.poll_seconds * 2 + 1)
    (thread,) = [t for t in world.channel.threads if t.name == "Papers 2026-03-15"]
    headers = user_messages(world.channel)
    rows = await world.bot.database.connection.rows(
        "SELECT paper_count FROM digests WHERE day = ?", ("2026-03-15",)
    )
    posted = embed_titles(user_messages(thread))
    record(
        request,
        "Digest file still being written when the loop looks (end to end)",
        order=42,
        inputs=f"30-paper file growing by 1/10 during each of the watcher's waits "
        f"({passes + 2} loop passes)",
        faults="file changes between the watcher's two looks",
        delivered=f"{len(set(posted))}/30 papers",
        lost=str(30 - len(set(posted))),
        duplicated=str(len(posted) - len(set(posted)) + max(len(headers) - 1, 0)),
        outcome=f"ingested once, as {[row[0] for row in rows]} papers, after the file stopped "
        f"growing; header: {headers[0].content.splitlines()[0] if headers else '—'}",
    )
    assert [row[0] for row in rows] == [30]
    assert len(headers) == 1 and "30 papers" in headers[0].content
    assert posted == full
