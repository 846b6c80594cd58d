"""A world for posting scenarios: two servers get the same day and subscribers, one with
faults ("Faulty"), one without ("Control"); afterwards Faulty must hold what Control holds.

A day of 25 papers to a server with three subscribers makes these requests, in order:
message 1 the header, thread creation, messages 2-4 the papers (10, 10, 5), messages
5-7 one alert per subscriber, message 8 the closing line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import discord
import pytest

from tests.reliability import DiscordLog, delivery_counts, fast_settle, record
from tests.simbot import all_pings, embed_titles, user_messages

NEW_DAY = "Mar 15, 2026"
THREAD = "Papers 2026-03-15"
MESSAGES = "/channels/*/messages"
CARD_LINK = re.compile(r"https://discord\.com/channels/\d+/\d+/\d+")
THREADS = "/channels/*/messages/*/threads"
# Running totals per scenario over its parametrised fault positions (one table row each).
TOTALS: dict[str, Counter[str]] = {}


class World:
    def __init__(self, sim, monkeypatch) -> None:
        self.sim = sim
        env = sim.env
        self.log = DiscordLog().install(monkeypatch)
        users = [env.create_user(name) for name in ("alice", "bob", "carol")]
        self.servers = {}
        for name in ("Faulty", "Control"):
            guild = env.create_guild(name)
            channel = guild.create_text_channel("papers")
            role = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
            admin = guild.add_member(env.create_user(f"admin-{name}"), roles=[role])
            members = [guild.add_member(user) for user in users]
            self.servers[name] = (guild, channel, admin, members)
        self.user_ids = sorted(user.id for user in users)

    @property
    def faulty(self):
        return self.servers["Faulty"][0]

    async def setup(self) -> None:
        for _guild, channel, admin, members in self.servers.values():
            await admin.slash(channel, "setup", channel=channel)
            for member, keyword in zip(members, ("widgets", "scaling", "study"), strict=True):
                await member.slash(channel, "subscribe", keyword=keyword)

    async def passes(self, count: int = 1) -> None:
        await self.sim.env.advance_time(self.sim.settings.poll_seconds * count + 1)

    def state(self, name: str, channel=None) -> tuple[list[str], list[str], int, int]:
        """(thread titles, alert contents sorted, header count, closing lines) as members
        see them."""
        _guild, home, *_ = self.servers[name]
        channel = channel or home
        threads = [t for t in channel.threads if t.name == THREAD]
        assert len(threads) <= 1
        in_thread = user_messages(threads[0]) if threads else []
        in_channel = user_messages(channel)
        headers = [m for m in in_channel if m.content.startswith("📰")]
        papers = [m for m in [*in_channel, *in_thread] if m.embeds]
        # Each server's cards have their own links: compare alerts without them.
        alerts = sorted(
            CARD_LINK.sub("<card>", m.content)
            for m in [*in_channel, *in_thread]
            if "matching your subscriptions" in m.content
        )
        closings = [m for m in [*in_channel, *in_thread] if m.content.startswith("That's all")]
        return embed_titles(papers), alerts, len(headers), len(closings)

    def check_delivery(self, titles: list[str]) -> tuple[int, int, int]:
        """Accepted requests into Faulty: (delivered once, lost, duplicated), papers + alerts."""
        guild_id = self.faulty.id
        once, lost, extra = delivery_counts(titles, self.log.delivered_titles(guild_id))
        alerted = [user for user, _ in self.log.delivered_alerts(guild_id)]
        a_once, a_lost, a_extra = delivery_counts(
            [str(u) for u in self.user_ids], [str(u) for u in alerted]
        )
        return once + a_once, lost + a_lost, extra + a_extra


@pytest.fixture
def posting_world(sim, monkeypatch) -> Iterator[World]:
    """A World in SimCord; at the end, nothing but alerts pinged anyone."""
    fast_settle(monkeypatch)
    built = World(sim, monkeypatch)
    yield built
    pings = [p for p in all_pings(sim.env) if "matching your subscriptions" not in p[0]]
    assert pings == [], "something other than an alert pinged"


def delivery_row(
    request, key: str, scenario: str, order: int, faults: str, result, positions, good=None
) -> None:
    totals = TOTALS.setdefault(key, Counter())
    once, lost, extra = result
    totals["runs"] += 1
    totals["once"] += once
    totals["lost"] += lost
    totals["extra"] += extra
    totals["expected"] += 25 + 3
    record(
        request,
        scenario,
        order=order,
        key=key,
        target=request.node.nodeid.split("[")[0],
        inputs=f"{totals['runs']} runs (fault at {positions}); 25 papers + 3 alerts each",
        faults=faults,
        delivered=f"{totals['once']}/{totals['expected']}",
        lost=str(totals["lost"]),
        duplicated=str(totals["extra"]),
        outcome=(good or "final thread and alerts identical to the uninterrupted server")
        if not (totals["lost"] or totals["extra"])
        else "DIFFERS from the uninterrupted server",
    )
