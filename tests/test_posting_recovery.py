"""Recovery and concurrency of posting, end to end in SimCord: what a review of the
reliability work found. A message noted in flight is found again only if it is that
message (its fingerprint, sent after its note), however many followed it; `/post` and
`/setup` take turns with the loop; a day that grew while the bot was down goes on; a
grown top N ends with one closing line; one server's stuck pass holds no other back.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import sqlite3
from collections import Counter
from pathlib import Path

import discord
import pytest

from bot import sending
from bot.publisher import Busy
from bot.storage import posts as posts_module
from bot.storage import subscriptions as subscriptions_module
from tests.reliability import DiscordLog
from tests.simbot import (
    add_server,
    embed_titles,
    setup_server,
    user_messages,
    write_day,
)

MAR15 = dt.date(2026, 3, 15)


async def passes(sim, count: int = 1) -> None:
    await sim.env.advance_time(sim.settings.poll_seconds * count + 1)


def headers(channel) -> list[discord.Message]:
    return [m for m in user_messages(channel) if m.content.startswith("📰")]


def closings(channel) -> list[discord.Message]:
    return [m for m in user_messages(channel) if m.content.startswith("That's all")]


def alerts_by_member(messages: list[discord.Message]) -> Counter[str]:
    return Counter(m.content.split(" ", 1)[0] for m in messages if m.content.startswith("<@"))


class Gate:
    """Holds the first message of a kind in flight (as a 429's wait would) until opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
        self.entered, self.opened = asyncio.Event(), asyncio.Event()
        send = sending.Sender.send

        async def held(sender, post, slot, *args, **message):
            if slot.kind == kind and not self.entered.is_set():
                self.entered.set()
                await self.opened.wait()
            return await send(sender, post, slot, *args, **message)

        monkeypatch.setattr(sending.Sender, "send", held)


async def stopped_before_a_pass(sim, digest_dir: Path, *days: tuple[str, int]) -> None:
    """The loop stopped, the days ingested: the test runs the pass itself."""
    sim.bot.get_cog("Poller").poll.cancel()
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    for day, count in days:
        write_day(digest_dir, day, count, topic=day[:3].lower() + day[4:6])
    await sim.env.advance_time(5)
    await sim.bot._ingest_step()


# -- finding an unrecorded message: that one, and only that one ------------------------------


async def test_a_refused_card_message_is_not_mistaken_for_the_next_days(
    sim, digest_dir, monkeypatch
):
    """Without threads both days share the channel; day A's first cards message is
    refused and must be sent, not 'found' among day B's cards."""
    guild = setup_server(sim)
    log = DiscordLog().install(monkeypatch)
    no_threads = guild.create_text_channel(
        "no-threads",
        overwrites={sim.bot.user: discord.PermissionOverwrite(create_public_threads=False)},
    )
    await sim.admin.slash(sim.channel, "setup", channel=no_threads)
    first = write_day(digest_dir, "Mar 15, 2026", 12, topic="alpha")
    second = write_day(digest_dir, "Mar 16, 2026", 12, topic="beta")
    log.fail("POST", "/channels/*/messages", 2, status=403)  # day A's first cards
    await passes(sim, 4)
    posted = embed_titles([m for m in user_messages(no_threads) if m.embeds])
    assert sorted(posted) == sorted(first + second)


async def test_a_refused_direct_message_is_not_mistaken_for_another_servers(
    sim, digest_dir, monkeypatch
):
    """One member, two servers, DM alerts: Y's DM of the day fails, and the day's DM
    from X in the same private channel is not taken for it."""
    log = DiscordLog().install(monkeypatch)
    x, y = add_server(sim.env, "X", admin="ax"), add_server(sim.env, "Y", admin="ay")
    user = sim.env.create_user("bob")
    for server in (x, y):
        member = server.guild.add_member(user)
        await server.admin.slash(server.channel, "setup", channel=server.channel)
        await member.slash(server.channel, "subscribe", keyword="widgets")
        await member.slash(server.channel, "alerts", where="dm")
    await y.admin.slash(y.channel, "setup", paused=True)
    write_day(digest_dir, "Mar 15, 2026", 5)
    await passes(sim)  # X posts the day and DMs bob
    dm_path = next(r.path for r in log.requests if r.method == "POST" and "📬" in str(r.json or {}))
    log.fail("POST", dm_path, 1, status=500)
    await y.admin.slash(y.channel, "post", date="Mar 15")  # Y's DM fails once
    await passes(sim, 3)
    delivered = [
        r.json["content"].split("\n", 1)[0]
        for r in log.requests
        if r.method == "POST" and r.path == dm_path and r.status is None
    ]
    assert [line for line in delivered if "**Y**" in line], delivered
    assert len(delivered) == 2  # one from each server


def discord_history_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """Discord answers `GET messages?after=X` with the messages right after X; SimCord
    3.2 with the newest after X. Patches SimCord's router to Discord's order."""
    from simcord.http import router
    from simcord.http.routes import messages as routes

    original = routes.get_history

    def get_history(ctx):
        if "after" not in ctx.params or "around" in ctx.params:
            return original(ctx)
        after, limit = int(ctx.params["after"]), int(ctx.params.get("limit", 50))
        stored = ctx.backend.messages[ctx.int_arg("channel_id")].values()
        newer = sorted(
            (m for m in stored if not m.is_ephemeral and m.id > after), key=lambda m: m.id
        )
        return [routes.message_response(ctx, m) for m in reversed(newer[:limit])]

    routes_by_method = [(t, get_history if f is original else f) for t, f in router._ROUTES["GET"]]
    monkeypatch.setitem(router._ROUTES, "GET", routes_by_method)


async def test_an_unrecorded_alert_after_a_hundred_others_is_found_not_resent(
    sim, digest_dir, monkeypatch
):
    """The 105th alert of a day goes out, the database refuses its record and the bot
    stops: the restarted bot finds it past the first page of history."""
    discord_history_after(monkeypatch)
    guild = setup_server(sim)
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    for number in range(110):
        member = guild.add_member(sim.env.create_user(f"reader{number}"))
        await member.slash(sim.channel, "subscribe", keyword="widgets")
    write_day(digest_dir, "Mar 15, 2026", 5)
    record_alert = subscriptions_module.Subscriptions.record_alert
    calls = Counter[str]()

    async def refused_once(self, *args, **kwargs):
        calls["alerts"] += 1
        if calls["alerts"] == 105:
            raise sqlite3.OperationalError("database is locked")
        return await record_alert(self, *args, **kwargs)

    monkeypatch.setattr(subscriptions_module.Subscriptions, "record_alert", refused_once)
    await passes(sim)
    sim.bot.get_cog("Poller").poll.cancel()  # stops before the owed record is paid
    monkeypatch.setattr(subscriptions_module.Subscriptions, "record_alert", record_alert)
    await sim.restart()
    await passes(sim, 3)
    (thread,) = sim.channel.threads
    alerted = alerts_by_member(user_messages(thread))
    assert len(alerted) == 110 and set(alerted.values()) == {1}


async def test_without_read_message_history_setup_refuses_and_posting_says_why(
    sim, digest_dir, monkeypatch
):
    """Finding a message after a stop reads the channel's history: /setup asks for the
    permission, and a refused read stops the post with that reason, sending nothing
    twice, until the permission is back."""
    guild = setup_server(sim)
    blind = guild.create_text_channel(
        "blind", overwrites={sim.bot.user: discord.PermissionOverwrite(read_message_history=False)}
    )
    refused = await sim.admin.slash(sim.channel, "setup", channel=blind)
    assert "Read Message History" in refused.response.content
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    titles = write_day(digest_dir, "Mar 15, 2026", 25)
    record_message = posts_module.Posts.record_message
    calls = Counter[str]()

    async def refused_once(self, *args):
        calls["cards"] += 1
        if calls["cards"] == 2:
            raise sqlite3.OperationalError("database is locked")
        return await record_message(self, *args)

    monkeypatch.setattr(posts_module.Posts, "record_message", refused_once)
    await passes(sim)
    sim.bot.get_cog("Poller").poll.cancel()
    monkeypatch.setattr(posts_module.Posts, "record_message", record_message)
    log = DiscordLog().install(monkeypatch)
    log.fail("GET", "/channels/*/messages", 1, status=403, code=50001)  # Missing Access
    await sim.restart()
    await passes(sim)
    status = (await sim.admin.slash(sim.channel, "setup")).response.content
    assert "Read Message History" in status
    await passes(sim, 2)  # the permission is back
    (thread,) = sim.channel.threads
    assert embed_titles(user_messages(thread)) == titles


# -- growth ----------------------------------------------------------------------------------


async def test_a_day_that_grew_while_the_bot_was_down_gets_its_new_papers(sim, digest_dir):
    setup_server(sim)
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    write_day(digest_dir, "Mar 15, 2026", 5)
    await passes(sim)
    sim.bot.get_cog("Poller").poll.cancel()  # the bot goes down
    titles = write_day(digest_dir, "Mar 15, 2026", 8)  # the day's file is completed
    settled = (dt.datetime.now() - dt.timedelta(hours=1)).timestamp()
    for path in digest_dir.glob("*Mar-15-2026*"):
        os.utime(path, (settled, settled))
    await sim.restart()  # loads the longer file while starting
    await passes(sim, 2)
    (thread,) = sim.channel.threads
    assert embed_titles(user_messages(thread)) == titles
    (header,) = headers(sim.channel)
    assert "8 papers" in header.content


async def test_a_grown_top_n_day_ends_with_one_closing_line(sim, digest_dir):
    """The top 3 were chosen when the post began: three more papers change the
    header's count, not the cards, and no second closing line is sent."""
    setup_server(sim)
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel, top="3")
    write_day(digest_dir, "Mar 15, 2026", 5)
    await passes(sim)
    write_day(digest_dir, "Mar 15, 2026", 8)
    await passes(sim, 2)
    (thread,) = sim.channel.threads
    (header,) = headers(sim.channel)
    assert len(embed_titles(user_messages(thread))) == 3
    assert len(closings(thread)) == 1
    assert "of 8" in header.content


async def test_the_alert_of_a_grown_day_is_sent_after_discord_refused_it(
    sim, digest_dir, monkeypatch
):
    """The day's second alert (its three new papers) fails twice: it is sent on a later
    pass, not taken for the member's first alert of the day."""
    guild = setup_server(sim)
    member = guild.add_member(sim.env.create_user("bob"))
    log = DiscordLog().install(monkeypatch)
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel)
    await member.slash(sim.channel, "subscribe", keyword="widgets")
    write_day(digest_dir, "Mar 15, 2026", 5)
    await passes(sim)
    write_day(digest_dir, "Mar 15, 2026", 8)
    log.fail("POST", "/channels/*/messages", 2, until=3)  # after the new cards: the alert
    await passes(sim, 6)
    (thread,) = sim.channel.threads
    alerts = [
        m.content.split("\n", 1)[0] for m in user_messages(thread) if m.content.startswith("<@")
    ]
    assert len(alerts) == 2 and "3 papers" in alerts[1], alerts


# -- taking turns ----------------------------------------------------------------------------


async def test_post_while_the_loop_sends_the_same_day_sends_it_once(sim, digest_dir, monkeypatch):
    setup_server(sim)
    await stopped_before_a_pass(sim, digest_dir, ("Mar 15, 2026", 5))
    gate = Gate(monkeypatch, "header")
    loop_pass = asyncio.create_task(sim.bot.publisher.publish_due())
    await gate.entered.wait()  # the loop is sending the header (e.g. waiting out a 429)
    admin_post = asyncio.create_task(sim.admin.slash(sim.channel, "post", date="Mar 15"))
    await asyncio.sleep(0)
    gate.opened.set()
    await loop_pass
    answer = await admin_post
    (thread,) = sim.channel.threads
    assert len(headers(sim.channel)) == 1 and len(closings(thread)) == 1
    assert len(embed_titles(user_messages(thread))) == 5
    assert "posted (5 papers)" in answer.response.content


async def test_pausing_while_a_pass_runs_waits_for_it_then_skips_the_rest(
    sim, digest_dir, monkeypatch
):
    setup_server(sim)
    await stopped_before_a_pass(sim, digest_dir, ("Mar 15, 2026", 5), ("Mar 16, 2026", 5))
    gate = Gate(monkeypatch, "papers")
    loop_pass = asyncio.create_task(sim.bot.publisher.publish_due())
    await gate.entered.wait()  # the pass is sending the first day's cards
    pausing = asyncio.create_task(sim.admin.slash(sim.channel, "setup", paused=True))
    await asyncio.sleep(0)
    gate.opened.set()
    await loop_pass
    answer = await pausing
    assert "paused" in answer.response.content
    await passes(sim, 2)
    assert len(headers(sim.channel)) == 1  # the started day finished; no other began


async def test_a_stuck_server_does_not_hold_back_another(sim, digest_dir, monkeypatch):
    """One server's pass waits (a long rate limit): the other's day is posted meanwhile,
    and a command in the stuck server is told it is busy instead of waiting forever."""
    stuck, free = add_server(sim.env, "Stuck"), add_server(sim.env, "Free", admin="bea")
    for server in (stuck, free):
        await server.admin.slash(server.channel, "setup", channel=server.channel)
    entered, opened = asyncio.Event(), asyncio.Event()
    send = sending.Sender.send

    async def held(sender, post, slot, *args, **message):
        if post.guild_id == stuck.guild.id:
            entered.set()
            await sim.env.external_wait(opened.wait(), reason="Discord's rate limit")
        return await send(sender, post, slot, *args, **message)

    monkeypatch.setattr(sending.Sender, "send", held)
    monkeypatch.setattr("bot.publisher.PASS_WAIT_SECONDS", 1.0)
    monkeypatch.setattr("bot.publisher.TURN_WAIT_SECONDS", 0.05)
    write_day(digest_dir, "Mar 15, 2026", 5)
    await passes(sim, 2)  # the pass waits a second for Stuck, then goes on without it
    assert entered.is_set()
    assert (len(headers(stuck.channel)), len(headers(free.channel))) == (0, 1)
    with pytest.raises(Busy, match="in the middle of posting"):  # what /post answers
        async with sim.bot.publisher.turn(stuck.guild.id):
            pass
    opened.set()
    await passes(sim, 2)
    assert len(headers(stuck.channel)) == len(headers(free.channel)) == 1


# -- where alerts point ------------------------------------------------------------------------


async def test_see_all_of_a_top_n_post_links_each_paper_to_its_own_card(sim, digest_dir):
    """A top N orders cards by upvotes, not the day's order: "See all" links each paper
    to the card that shows it, and the papers without a card to none."""
    guild = setup_server(sim)
    member = guild.add_member(sim.env.create_user("bob"))
    await sim.admin.slash(sim.channel, "setup", channel=sim.channel, top="4")
    await member.slash(sim.channel, "subscribe", keyword="widgets")
    write_hub_day(digest_dir, upvotes=[1, 9, 5, 7, 3, 8, 2, 6])
    await passes(sim)
    (thread,) = sim.channel.threads
    cards = {
        (embed.title or "").split(". ", 1)[1]: message.jump_url
        for message in user_messages(thread)
        for embed in message.embeds
    }
    assert sorted(cards) == [
        "Widgets paper 1",
        "Widgets paper 3",
        "Widgets paper 5",
        "Widgets paper 7",
    ]
    (alert,) = [m for m in user_messages(thread) if m.content.startswith("<@")]
    listed = (await member.click(alert, label="See all 8")).response.embeds[0].description
    for number in range(8):
        title = f"Widgets paper {number}"
        linked = f"[{title}](<{cards[title]}>)" if title in cards else None
        assert (linked or title) in listed and (linked is not None or f"[{title}]" not in listed)


def write_hub_day(folder: Path, upvotes: list[int]) -> None:
    """A Hub JSON day of papers about widgets, with these upvotes."""
    items = [
        {
            "paper": {
                "id": f"2603.{10000 + number}",
                "title": f"Widgets paper {number}",
                "summary": f"We study widgets, case {number}.",
                "upvotes": votes,
                "authors": [{"name": "Ada Lovelace"}],
            }
        }
        for number, votes in enumerate(upvotes)
    ]
    document = {"day": "2026-03-15", "items": items}
    (folder / "hf-2026-03-15.json").write_text(json.dumps(document), encoding="utf-8")
