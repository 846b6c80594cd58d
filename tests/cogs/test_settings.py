"""End to end through SimCord: each server's posting time, top N, ping role and pause, and
each member's alert place and followed authors (issue 20), on the virtual clock."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import discord
import pytest
from simcord.backend.errors import OptionError

from bot.config import Settings
from tests.hub_server import FIXTURES
from tests.simbot import (
    Server,
    add_server,
    all_pings,
    embed_titles,
    pings,
    user_messages,
    write_day,
)

UTC = dt.UTC
HOUR = 3600


@pytest.fixture
def bot_settings(tmp_path: Path, digest_dir: Path) -> Settings:
    # Ten minutes a pass: these tests cross hours of virtual time.
    return Settings(database=tmp_path / "p.db", digest_dir=digest_dir, poll_seconds=600)


@pytest.fixture
def servers(sim) -> dict[str, Server]:
    return {name: add_server(sim.env, name, admin=f"admin-{name}") for name in ("Lab", "Club")}


async def setup(server: Server, **options: object) -> str:
    result = await server.admin.slash(server.channel, "setup", channel=server.channel, **options)
    assert result.ephemeral
    return str(result.response.content)


async def until(sim, when: dt.datetime) -> None:
    """Advance the virtual clock to `when`."""
    await sim.env.advance_time((when - discord.utils.utcnow()).total_seconds())


def headers(channel) -> list[discord.Message]:
    return [m for m in user_messages(channel) if m.content.startswith("📰")]


# -- posting time and zone ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "posting_utc"),
    [
        # Winter: 09:00 in Berlin (CET, UTC+1) is 08:00 UTC.
        pytest.param(
            "Jan 15, 2026",
            8,
            marks=pytest.mark.sim_start(dt.datetime(2026, 1, 15, 4, 0, tzinfo=UTC)),
            id="winter",
        ),
        # Summer: 09:00 in Berlin (CEST, UTC+2) is 07:00 UTC.
        pytest.param(
            "Jul 15, 2026",
            7,
            marks=pytest.mark.sim_start(dt.datetime(2026, 7, 15, 4, 0, tzinfo=UTC)),
            id="summer",
        ),
    ],
)
async def test_a_day_posts_at_nine_in_berlin_and_at_once_elsewhere(
    sim, servers, digest_dir, day, posting_utc
):
    lab, club = servers["Lab"], servers["Club"]
    reply = await setup(lab, time="09:00", timezone="Europe/Berlin")
    assert "Posting time: 09:00 Europe/Berlin." in reply
    await setup(club)  # default: as soon as a day is ready
    titles = write_day(digest_dir, day, 4)
    await sim.env.advance_time(601)
    assert len(headers(club.channel)) == 1  # at once
    posting = discord.utils.utcnow().replace(hour=posting_utc, minute=0, second=0)
    await until(sim, posting - dt.timedelta(minutes=2))
    assert headers(lab.channel) == []  # not before 09:00 Berlin
    await until(sim, posting + dt.timedelta(minutes=11))
    [header] = headers(lab.channel)
    assert posting <= header.created_at <= posting + dt.timedelta(minutes=11)
    (thread,) = lab.channel.threads
    assert embed_titles(user_messages(thread)) == titles


@pytest.mark.sim_start(dt.datetime(2026, 1, 15, 4, 0, tzinfo=UTC))
async def test_a_bot_down_over_the_posting_time_posts_the_missed_day_once(sim, servers, digest_dir):
    lab = servers["Lab"]
    await setup(lab, time="09:00", timezone="Europe/Berlin")
    write_day(digest_dir, "Jan 15, 2026", 3)
    await sim.env.advance_time(601)
    assert headers(lab.channel) == []
    sim.bot.get_cog("Poller").poll.cancel()  # the bot goes down before 08:00 UTC
    await until(sim, dt.datetime(2026, 1, 15, 10, 30, tzinfo=UTC))
    await sim.restart()  # back at 10:30 UTC: the day is overdue
    await sim.env.advance_time(601 * 3)
    assert len(headers(lab.channel)) == 1
    (thread,) = lab.channel.threads
    assert len(embed_titles(user_messages(thread))) == 3


async def test_bad_times_and_zones_are_refused_and_change_nothing(sim, servers):
    lab = servers["Lab"]
    await setup(lab)
    for options, expected in [
        ({"time": "25:00"}, "“25:00” is not a posting time. Use `09:00`"),
        ({"timezone": "Mars/Base"}, "“Mars/Base” is not a time zone. Use an IANA name"),
        ({"top": "0"}, "“0” is not a number of papers. Use a number from 1 to 100, or `all`"),
        ({"time": "09:00", "timezone": "Mars/Base"}, "is not a time zone"),
    ]:
        result = await lab.admin.slash(lab.channel, "setup", **options)
        assert result.ephemeral and expected in result.response.content, options
    status = (await lab.admin.slash(lab.channel, "setup")).response.content
    assert "Posting time: as soon as a day is ready." in status
    assert "Each post shows every paper of the day" in status


async def test_zone_suggestions_come_as_you_type(sim, servers):
    lab = servers["Lab"]
    choices = await lab.admin.autocomplete(lab.channel, "setup", "timezone", "berl")
    assert "Europe/Berlin" in [choice["value"] for choice in choices]


# -- top N ---------------------------------------------------------------------------------


@pytest.fixture
def hub_day() -> dict:
    return json.loads((FIXTURES / "hf-2026-03-16.json").read_text())


async def test_top_ten_posts_ten_cards_in_upvote_order_and_alerts_still_see_the_rest(
    sim, servers, digest_dir, hub_day
):
    lab = servers["Lab"]
    reply = await setup(lab, top="10")
    assert "Each post shows the top 10 by upvotes" in reply
    member = lab.guild.add_member(sim.env.create_user("mira"))
    await member.slash(lab.channel, "subscribe", keyword="mirostat")  # 17 upvotes: not top 10
    shutil.copy(FIXTURES / "hf-2026-03-16.json", digest_dir)
    await sim.env.advance_time(601)
    [header] = headers(lab.channel)
    assert "· top 10 of 20 papers" in header.content
    assert "All 20 are in `/digest date: 2026-03-16`." in header.content
    (thread,) = lab.channel.threads
    ranked = sorted(hub_day["items"], key=lambda i: -i["paper"]["upvotes"])
    expected = [" ".join(item["paper"]["title"].split()) for item in ranked[:10]]
    assert [" ".join(t.split()) for t in embed_titles(user_messages(thread))] == expected
    [alert] = [m for m in user_messages(thread) if "matching your subscriptions" in m.content]
    assert "Mirostat" in alert.content and pings(sim.env, alert)[0] == [member.id]


# -- ping a role -----------------------------------------------------------------------------


async def test_the_header_pings_exactly_the_chosen_role(sim, servers, digest_dir):
    lab = servers["Lab"]
    readers = lab.guild.create_role("Readers", mentionable=True)
    other = lab.guild.create_role("Other", mentionable=True)
    refused = await lab.admin.slash(lab.channel, "setup", channel=lab.channel, ping="@everyone")
    assert "I never ping @everyone" in refused.response.content
    choices = await lab.admin.autocomplete(lab.channel, "setup", "ping", "read")
    assert [c["value"] for c in choices] == ["none", str(readers.id)]
    await setup(lab, ping=str(readers.id))
    write_day(digest_dir, "Mar 15, 2026", 2)
    await sim.env.advance_time(601)
    [header] = headers(lab.channel)
    users, roles, everyone = pings(sim.env, header)
    assert (users, roles, everyone) == ([], [readers.id], False)
    request = next(
        r.json
        for r in sim.env.http_requests
        if r.method == "POST" and r.json and "Daily Papers" in (r.json.get("content") or "")
    )
    assert request["allowed_mentions"] == {"parse": [], "roles": [readers.id]}
    assert other.id not in roles
    await lab.admin.slash(lab.channel, "setup", ping="none")
    write_day(digest_dir, "Mar 16, 2026", 2)
    await sim.env.advance_time(601)
    assert pings(sim.env, headers(lab.channel)[-1]) == ([], [], False)


async def test_a_role_the_bot_cannot_mention_is_refused(sim, servers):
    lab = servers["Lab"]
    quiet = lab.guild.create_role("Quiet", mentionable=False)
    channel = lab.guild.create_text_channel(
        "papers-2",
        overwrites={sim.bot.user: discord.PermissionOverwrite(mention_everyone=False)},
    )
    result = await lab.admin.slash(lab.channel, "setup", channel=channel, ping=str(quiet.id))
    assert result.ephemeral
    assert "I cannot mention @Quiet: it is not mentionable" in result.response.content
    status = (await lab.admin.slash(lab.channel, "setup")).response.content
    assert "No digest channel yet" in status  # nothing changed, not even the channel


# -- pause -----------------------------------------------------------------------------------


async def test_a_paused_server_posts_nothing_until_resumed_and_nothing_old_after(
    sim, servers, digest_dir
):
    lab = servers["Lab"]
    await setup(lab, paused=True)
    write_day(digest_dir, "Mar 15, 2026", 2)
    await sim.env.advance_time(601 * 2)
    status = (await lab.admin.slash(lab.channel, "setup")).response.content
    assert headers(lab.channel) == [] and "**paused**" in status
    assert "Mar 15, 2026 came while posting was paused" in status
    await lab.admin.slash(lab.channel, "setup", paused=False)
    await sim.env.advance_time(601 * 2)
    assert headers(lab.channel) == []  # the day that came meanwhile stays unposted
    write_day(digest_dir, "Mar 16, 2026", 2)
    await sim.env.advance_time(601)
    [header] = headers(lab.channel)
    assert "March 16, 2026" in header.content


# -- where alerts go ---------------------------------------------------------------------------


async def test_alerts_by_direct_message_once_per_paper(sim, servers, digest_dir):
    lab = servers["Lab"]
    await setup(lab)
    member = lab.guild.add_member(sim.env.create_user("dora"))
    await member.slash(lab.channel, "subscribe", keyword="widgets")
    reply = await member.slash(lab.channel, "alerts", where="dm")
    assert reply.ephemeral and "direct message" in reply.response.content
    write_day(digest_dir, "Mar 15, 2026", 3)
    await sim.env.advance_time(601 * 2)
    direct = member.user.dm_channel.history()
    assert len(direct) == 1 and "📬 3 papers of Sunday, March 15, 2026" in direct[0].content
    assert "**Lab**" in direct[0].content
    (thread,) = lab.channel.threads
    assert not [m for m in user_messages(thread) if "matching your subscriptions" in m.content]
    await lab.admin.slash(lab.channel, "post", date="Mar 15")  # a repost alerts nobody again
    await sim.env.advance_time(601)
    assert len(member.user.dm_channel.history()) == 1


async def test_closed_direct_messages_fall_back_to_the_thread(sim, servers, digest_dir):
    lab = servers["Lab"]
    await setup(lab)
    member = lab.guild.add_member(sim.env.create_user("cleo"))
    await member.slash(lab.channel, "subscribe", keyword="widgets")
    await member.slash(lab.channel, "alerts", where="dm")
    sim.env.inject_error(
        "POST",
        f"/channels/{member.user.dm_channel.id}/messages",
        status=403,
        code=50007,
        message="Cannot send messages to this user",
        times=None,
    )
    write_day(digest_dir, "Mar 15, 2026", 3)
    await sim.env.advance_time(601)
    (thread,) = lab.channel.threads
    [alert] = [m for m in user_messages(thread) if "matching your subscriptions" in m.content]
    assert pings(sim.env, alert)[0] == [member.id]
    listing = (await member.slash(lab.channel, "subscriptions")).response.content
    assert "My last direct message to you was refused" in listing


async def test_alerts_off_sends_nothing_and_back_on_sends_only_later_papers(
    sim, servers, digest_dir
):
    lab = servers["Lab"]
    await setup(lab)
    member = lab.guild.add_member(sim.env.create_user("otto"))
    await member.slash(lab.channel, "subscribe", keyword="widgets")
    await member.slash(lab.channel, "alerts", where="off")
    write_day(digest_dir, "Mar 15, 2026", 3)
    await sim.env.advance_time(601)
    await member.slash(lab.channel, "alerts", where="thread")
    write_day(digest_dir, "Mar 16, 2026", 2, topic="widgets")
    await sim.env.advance_time(601)
    alerts = [
        m
        for thread in lab.channel.threads
        for m in user_messages(thread)
        if "matching your subscriptions" in m.content
    ]
    assert len(alerts) == 1 and "of Monday, March 16, 2026" in alerts[0].content
    assert all(p[1] == [member.id] for p in all_pings(sim.env))


# -- following authors -----------------------------------------------------------------------


async def test_an_author_subscription_alerts_on_that_author_only(sim, servers, digest_dir):
    lab = servers["Lab"]
    await setup(lab)
    member = lab.guild.add_member(sim.env.create_user("yves"))
    both = await member.slash(lab.channel, "subscribe", keyword="x", author="Yann LeCun")
    assert "not both" in both.response.content
    reply = await member.slash(lab.channel, "subscribe", author="yann lecun")
    assert "Subscribed to **author: yann lecun**" in reply.response.content
    await member.slash(lab.channel, "subscribe", author="Lukasz Kaiser")  # the archive: Łukasz
    shutil.copy(FIXTURES / "hf-2026-03-18.json", digest_dir)
    await sim.env.advance_time(601)
    (thread,) = lab.channel.threads
    [alert] = [m for m in user_messages(thread) if "matching your subscriptions" in m.content]
    assert "Distinguishing Ignorance from Error" in alert.content  # by Yann LeCun
    assert "Self-Supervised Alignment" not in alert.content  # by Yann LeCunff: not him
    assert "**author: yann lecun** · 1" in alert.content
    assert "**author: Lukasz Kaiser** · 1" in alert.content
    choices = await member.autocomplete(lab.channel, "subscribe", "author", "yann l")
    assert [c["value"] for c in choices][:2] == ["Yann LeCun", "Yann LeCunff"]
    listing = (await member.slash(lab.channel, "subscriptions")).response.content
    assert listing.startswith("You follow 2 authors here.")
    removed = await member.slash(lab.channel, "unsubscribe", keyword="author: Yann LeCun")
    assert "Unsubscribed" in removed.response.content


async def test_an_author_name_longer_than_the_schema_allows_is_refused(sim, servers):
    lab = servers["Lab"]
    member = lab.guild.add_member(sim.env.create_user("long"))
    with pytest.raises(OptionError, match="at most 100 characters"):
        await member.slash(lab.channel, "subscribe", author="A" * 101)
    listing = await member.slash(lab.channel, "subscriptions")
    assert "follow no keywords or authors" in listing.response.content
