"""Reliability under load: many members at once, and one day posted to 50 servers."""

from __future__ import annotations

import asyncio
import time

import discord
import pytest

from tests.reliability import budget, fast_settle, p95, record
from tests.simbot import embed_titles, user_messages, write_day

MEMBERS = 200
INTERACTIONS = budget(500, 2000)
SERVERS = budget(50, 200)


@pytest.fixture
def fast(monkeypatch):
    fast_settle(monkeypatch)


def _time_handlers(bot) -> list[float]:
    """Wall time of every slash-command handler the bot runs (the tree's dispatch)."""
    samples: list[float] = []
    original = bot.tree._call

    async def timed(interaction):
        started = time.perf_counter()
        try:
            return await original(interaction)
        finally:
            samples.append(time.perf_counter() - started)

    bot.tree._call = timed
    return samples


@pytest.mark.soak
async def test_concurrent_subscribe_and_search_lose_and_duplicate_nothing(sim, fast, request):
    """SimCord 3.2.1 refuses overlapping actor calls ("operation overlaps active slash"), so:
    (1) all interactions go through SimCord one after another, timing each handler; and
    (2) the same work, what those handlers ask of storage and search, runs concurrently
    with asyncio.gather against the bot's own database and catalog.
    """
    from bot import matching

    env = sim.env
    guild = env.create_guild("Crowd")
    channel = guild.create_text_channel("general")
    members = [guild.add_member(env.create_user(f"u{index}")) for index in range(MEMBERS)]
    samples = _time_handlers(sim.bot)
    expected: set[tuple[int, str]] = set()
    answered = 0
    started = time.perf_counter()
    for index in range(INTERACTIONS):
        member = members[index % MEMBERS]
        if index % 2 == 0:
            keyword = f"topic {index // 2 % 7} model"
            expected.add((member.id, keyword))
            result = await member.slash(channel, "subscribe", keyword=keyword)
        else:
            result = await member.slash(channel, "search", query="diffusion model")
        answered += result.acknowledged and result.response is not None
        if index % 20 == 19:  # let /search buttons expire: SimCord slows with many live views
            await env.advance_time(601)
    sequential = time.perf_counter() - started

    # The same subscriptions again plus new ones, all at once: duplicates must be refused.
    db, catalog = sim.bot.database, sim.bot.catalog
    work = []
    for index in range(INTERACTIONS):
        member = members[index % MEMBERS]
        if index % 2 == 0:
            keyword = matching.parse_keyword(f"topic {index // 2 % 5 + 5} model")
            expected.add((member.id, keyword.label))
            work.append(sim.bot.alerts.subscribe(guild.id, member.id, keyword))
            work.append(sim.bot.alerts.subscribe(guild.id, member.id, keyword))  # twice at once
        else:
            work.append(catalog.rank("diffusion model"))
    started = time.perf_counter()
    outcomes = await asyncio.gather(*work, return_exceptions=True)
    concurrent = time.perf_counter() - started
    failures = [o for o in outcomes if isinstance(o, BaseException)]
    stored = await db.connection.rows("SELECT user_id, label FROM subscriptions")
    pairs = [(row[0], row[1]) for row in stored]
    lost = len(expected - set(pairs))
    duplicated = len(pairs) - len(set(pairs))
    record(
        request,
        "Many members: /subscribe and /search",
        order=50,
        inputs=f"{INTERACTIONS} interactions from {MEMBERS} members through SimCord "
        f"(half /subscribe, half /search), then {len(work)} of the same storage/search "
        "calls at once (asyncio.gather), each new keyword sent twice",
        faults="none (contention only)",
        delivered=f"{answered}/{INTERACTIONS} answered; {len(set(pairs))}/{len(expected)} "
        f"subscriptions stored; {len(failures)} errors",
        lost=str(lost),
        duplicated=str(duplicated),
        outcome=f"handler p95 {p95(samples) * 1000:.1f} ms, max {max(samples) * 1000:.1f} ms "
        f"({sequential:.2f} s for {INTERACTIONS}); {len(work)} concurrent calls in "
        f"{concurrent:.2f} s. SimCord 3.2.1 cannot overlap actor calls",
    )
    assert answered == INTERACTIONS and failures == []
    assert lost == 0 and duplicated == 0 and set(pairs) == expected


@pytest.mark.soak
async def test_a_day_posted_to_fifty_servers_reaches_each_once(sim, request, digest_dir):
    env = sim.env
    # The servers post at once, each in its own task, and SimCord's settling inspects
    # every pending task on each turn: its own cost, not the bot's, nears the default
    # 5 s guard on a loaded machine (without fast_settle's 2 ms polling it is ~2 s).
    env.settle_timeout = 30
    servers = []
    for index in range(SERVERS):
        guild = env.create_guild(f"Server {index}")
        channel = guild.create_text_channel("papers")
        role = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
        admin = guild.add_member(env.create_user(f"admin{index}"), roles=[role])
        await admin.slash(channel, "setup", channel=channel)
        servers.append(channel)
    titles = write_day(digest_dir, "Mar 15, 2026", 25)
    before = len(env.http_requests)
    started = time.perf_counter()
    await env.advance_time(sim.settings.poll_seconds + 1)
    elapsed = time.perf_counter() - started
    requests = len(env.http_requests) - before
    once = lost = duplicated = 0
    for channel in servers:
        headers = user_messages(channel)
        threads = [t for t in channel.threads if t.name == "Papers 2026-03-15"]
        posted = embed_titles(user_messages(threads[0])) if len(threads) == 1 else []
        ok = len(headers) == 1 and posted == titles
        once += ok
        lost += len(set(titles) - set(posted))
        duplicated += len(posted) - len(set(posted)) + max(len(headers) - 1, 0)
    record(
        request,
        f"One day posted to {SERVERS} servers at once",
        order=51,
        inputs=f"{SERVERS} servers × 25 papers",
        faults="none",
        delivered=f"{once}/{SERVERS} servers got the day exactly once",
        lost=str(lost),
        duplicated=str(duplicated),
        outcome=f"{elapsed:.2f} s for the pass, {requests} Discord requests "
        f"({requests / SERVERS:.0f} per server: header, thread, 3 messages)",
    )
    assert once == SERVERS and lost == 0 and duplicated == 0
