"""Reliability: Discord errors and restarts at every step of a day's post and its alerts.

Two servers get the same day and the same subscribers in the same pass: "Faulty" has
faults injected into its requests only, "Control" runs uninterrupted. After the faults
stop (and, for restarts, a fresh bot takes over), Faulty must hold exactly what Control
holds: every paper and every alert delivered exactly once.

A day of 25 papers to a server with three subscribers makes these requests, in order:
message 1 the header, thread creation, messages 2-4 the papers (10, 10, 5), messages
5-7 one alert per subscriber.
"""

from __future__ import annotations

from collections import Counter

import discord
import pytest

from tests.reliability import DiscordLog, delivery_counts, fast_settle, record
from tests.simbot import all_pings, embed_titles, user_messages, write_day

NEW_DAY = "Mar 15, 2026"
THREAD = "Papers 2026-03-15"
MESSAGES = "/channels/*/messages"
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

    def state(self, name: str, channel=None) -> tuple[list[str], list[str], int]:
        """(thread titles, alert contents sorted, header count) as members see them."""
        _guild, home, *_ = self.servers[name]
        channel = channel or home
        threads = [t for t in channel.threads if t.name == THREAD]
        assert len(threads) <= 1
        in_thread = user_messages(threads[0]) if threads else []
        in_channel = user_messages(channel)
        headers = [m for m in in_channel if m.content.startswith("📰")]
        papers = [m for m in [*in_channel, *in_thread] if m.embeds]
        alerts = sorted(
            m.content
            for m in [*in_channel, *in_thread]
            if "matching your subscriptions" in m.content
        )
        return embed_titles(papers), alerts, len(headers)

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
def world(sim, monkeypatch):
    fast_settle(monkeypatch)
    built = World(sim, monkeypatch)
    yield built
    pings = [p for p in all_pings(sim.env) if "matching your subscriptions" not in p[0]]
    assert pings == [], "something other than an alert pinged"


def _row(
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


# -- Discord errors -------------------------------------------------------------------------

FAULTS = {
    "500": ("POST", MESSAGES, 500, [1, 2, 3, 4, 5, 6, 7]),
    "429": ("POST", MESSAGES, 429, [1, 3, 4, 6]),
    "403-thread": ("POST", THREADS, 403, [1]),
    "403-message": ("POST", MESSAGES, 403, [2, 4, 6]),
}
CASES = [(kind, position) for kind, (*_, positions) in FAULTS.items() for position in positions]


@pytest.mark.parametrize(("kind", "position"), CASES, ids=[f"{k}-at-{p}" for k, p in CASES])
async def test_discord_errors_mid_post_deliver_everything_once(world, request, kind, position):
    method, pattern, status, positions = FAULTS[kind]
    await world.setup()
    world.log.fail(method, pattern, position, status=status, guild_id=world.faulty.id)
    titles = write_day(world.sim.settings.digest_dir, NEW_DAY, 25)
    await world.passes(1)
    assert world.log.injected == 1
    world.log.clear()  # the faults stop
    await world.passes(3)

    control = world.state("Control")
    faulty = world.state("Faulty")
    assert control[0] == titles and len(control[1]) == 3 and control[2] == 1
    result = world.check_delivery(titles)
    what = {
        "500": "HTTP 500 on message",
        "429": "HTTP 429 on message",
        "403-thread": "HTTP 403 on thread creation",
        "403-message": "HTTP 403 on message",
    }[kind]
    _row(
        request,
        f"fault-{kind}",
        f"Discord {what.split(' on ')[0].removeprefix('HTTP ')} during a day's post and alerts",
        30,
        f"{what} n (n = {', '.join(map(str, positions))})",
        result,
        positions,
    )
    if kind.startswith("403"):  # a thread that refuses: the rest goes to the channel itself
        assert sorted(faulty[0]) == sorted(titles) and faulty[1] == control[1]
    else:
        assert faulty == control
    assert result[1:] == (0, 0)


@pytest.mark.parametrize("position", [2, 3, 5])
async def test_channel_deleted_mid_post_then_moved_delivers_the_rest_once(world, request, position):
    guild, channel, admin, _ = world.servers["Faulty"]
    await world.setup()
    env = world.sim.env
    # Delete the digest channel (and its thread) right after message `position` went out.
    world.log.after(
        "POST",
        MESSAGES,
        position,
        lambda: env.backend.delete_channel(channel.id),
        guild_id=guild.id,
    )
    titles = write_day(world.sim.settings.digest_dir, NEW_DAY, 25)
    await world.passes(1)
    moved = guild.create_text_channel("papers-2")
    status = await admin.slash(moved, "setup")
    assert "failing" in status.response.content or "posted" in status.response.content
    await admin.slash(moved, "setup", channel=moved)
    await world.passes(3)

    result = world.check_delivery(titles)
    _row(
        request,
        "fault-deleted",
        "Digest channel deleted mid-post, admin moves it with /setup",
        31,
        "channel deleted after message n (n = 2, 3, 5); its thread goes with it",
        result,
        [2, 3, 5],
        good="every paper and alert accepted by Discord exactly once; the new channel gets "
        "a new header and what the deleted one had not received",
    )
    # What had not been accepted before the deletion arrives in the new channel, once.
    assert result[1:] == (0, 0)
    assert world.state("Faulty", moved)[2] == 1  # one new header there


# -- restarts at every step -------------------------------------------------------------------

STEPS = {
    "after-nothing (header fails)": ("POST", MESSAGES, 1),
    "after-header (thread fails)": ("POST", THREADS, 1),
    "after-thread (1st paper message fails)": ("POST", MESSAGES, 2),
    "after-1st-paper-message": ("POST", MESSAGES, 3),
    "after-2nd-paper-message": ("POST", MESSAGES, 4),
    "after-papers (1st alert fails)": ("POST", MESSAGES, 5),
    "mid-alerts (2nd alert fails)": ("POST", MESSAGES, 6),
    "mid-alerts (3rd alert fails)": ("POST", MESSAGES, 7),
}


@pytest.mark.parametrize("step", list(STEPS))
async def test_restart_at_every_step_ends_like_an_uninterrupted_run(world, request, step):
    method, pattern, nth = STEPS[step]
    await world.setup()
    # The step fails (as if the process died there), then a fresh bot takes over.
    world.log.fail(method, pattern, nth, status=500, guild_id=world.faulty.id)
    titles = write_day(world.sim.settings.digest_dir, NEW_DAY, 25)
    await world.passes(1)
    world.log.clear()
    await world.sim.restart()
    await world.passes(2)

    control = world.state("Control")
    faulty = world.state("Faulty")
    result = world.check_delivery(titles)
    _row(
        request,
        "restart",
        "Restart at every step of a day's post and alerts",
        32,
        "step fails, then restart: " + ", ".join(STEPS),
        result,
        "each step",
    )
    assert control[0] == titles
    assert faulty == control
    assert result[1:] == (0, 0)
