"""Subscriptions and mention alerts end to end under SimCord."""

from __future__ import annotations

import re

import discord
import pytest
from simcord.backend.errors import OptionError

from tests.simbot import fail_nth, pings, setup_server, user_messages, write_papers

FILLER = " We evaluate on standard benchmarks and release our code for the community." * 4


def abstract(topic: str) -> str:
    return f"This paper is about {topic}." + FILLER


DAY_ONE = [
    ("Latent Diffusion for Images", abstract("image diffusion models")),
    ("Diffusion Models for Audio Synthesis", abstract("diffusion for audio generation")),
    ("Automatic Chain-of-Thought Prompting", abstract("reasoning with prompts")),
    ("A Study of Gardening Robots", abstract("robots in gardens")),
]
DAY_TWO = [
    ("Latent Diffusion for Images", abstract("image diffusion models")),  # trended again
    ("Better Diffusion Samplers", abstract("fast sampling")),
    ("Yet Another Gardening Paper", abstract("soil")),
]


@pytest.fixture
def world(sim):
    guild = setup_server(sim)
    sim.alice = guild.add_member(sim.env.create_user("alice"))
    sim.bob = guild.add_member(sim.env.create_user("bob"))
    sim.carol = guild.add_member(sim.env.create_user("carol"))
    return sim


async def subscribe(member, channel, keyword, exclude=None):
    options = {"keyword": keyword} if exclude is None else {"keyword": keyword, "exclude": exclude}
    result = await member.slash(channel, "subscribe", **options)
    assert result.ephemeral
    return result.response.content


async def post_day(sim, folder, day, papers):
    write_papers(folder, day, papers)
    await sim.env.advance_time(sim.settings.poll_seconds + 1)


def the_thread(channel, day_iso):
    (thread,) = [t for t in channel.threads if t.name == f"Papers {day_iso}"]
    return thread


def alerts_in(channel) -> list[discord.Message]:
    return [m for m in user_messages(channel) if "matching your subscriptions" in m.content]


async def test_matching_members_are_mentioned_once_and_nobody_else(world, digest_dir):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await subscribe(world.alice, world.channel, "diffusion", exclude="audio")
    await subscribe(world.alice, world.channel, "images")
    await subscribe(world.bob, world.channel, "chain of thought")
    await subscribe(world.carol, world.channel, "quantum chemistry")

    await post_day(world, digest_dir, "Mar 15, 2026", DAY_ONE)
    thread = the_thread(world.channel, "2026-03-15")
    alerts = alerts_in(thread)
    assert len(alerts) == 2
    by_user = {pings(world.env, m)[0][0]: m for m in alerts}
    assert set(by_user) == {world.alice.id, world.bob.id}
    for message in alerts:
        users, roles, everyone = pings(world.env, message)
        assert len(users) == 1 and roles == [] and everyone is False

    alice = by_user[world.alice.id].content
    assert (
        "**diffusion** · 1\n• [Latent Diffusion for Images](<https://discord.com/channels/" in alice
    )
    assert alice.endswith(" · also images")
    assert "Audio" not in alice  # vetoed by exclude
    bob = by_user[world.bob.id].content
    assert "Chain\\-of\\-Thought" in bob or "Chain-of-Thought" in bob

    # The raw request named exactly the member, and never everyone or roles.
    bodies = [
        r.json
        for r in world.env.http_requests
        if r.method == "POST"
        and r.path == f"/channels/{thread.id}/messages"
        and "matching your subscriptions" in ((r.json or {}).get("content") or "")
    ]
    for body in bodies:
        assert body["allowed_mentions"]["parse"] == []
        assert len(body["allowed_mentions"]["users"]) == 1


async def test_a_paper_seen_before_and_reposts_alert_no_one_twice(world, digest_dir):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await subscribe(world.alice, world.channel, "diffusion")
    await post_day(world, digest_dir, "Mar 15, 2026", DAY_ONE)
    assert len(alerts_in(the_thread(world.channel, "2026-03-15"))) == 1

    await post_day(world, digest_dir, "Mar 16, 2026", DAY_TWO)
    (second,) = alerts_in(the_thread(world.channel, "2026-03-16"))
    assert "Better Diffusion Samplers" in second.content
    assert "Latent Diffusion" not in second.content

    await world.admin.slash(world.channel, "post", date="Mar 16")
    alerts_total = sum(len(alerts_in(t)) for t in world.channel.threads)
    assert alerts_total == 2


async def test_a_restart_mid_alerts_repeats_nothing(world, digest_dir, monkeypatch):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    for member in (world.alice, world.bob, world.carol):
        await subscribe(member, world.channel, "diffusion")
    # Messages: header, one thread message of papers, then three alerts: fail the second alert.
    fail_nth(monkeypatch, "POST", "/channels/*/messages", 4)
    await post_day(world, digest_dir, "Mar 15, 2026", DAY_ONE)
    thread = the_thread(world.channel, "2026-03-15")
    assert len(alerts_in(thread)) == 1
    await world.restart()
    await world.env.advance_time(world.settings.poll_seconds * 2 + 1)
    alerted = sorted(pings(world.env, m)[0][0] for m in alerts_in(thread))
    assert alerted == sorted([world.alice.id, world.bob.id, world.carol.id])


async def test_members_who_left_are_skipped_but_keep_their_subscriptions(world, digest_dir):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await subscribe(world.alice, world.channel, "diffusion")
    await subscribe(world.bob, world.channel, "diffusion")
    world.guild.remove_member(world.bob)
    await post_day(world, digest_dir, "Mar 15, 2026", DAY_ONE)
    alerted = [
        pings(world.env, m)[0][0] for m in alerts_in(the_thread(world.channel, "2026-03-15"))
    ]
    assert alerted == [world.alice.id]
    assert await world.bot.alerts.of_member(world.guild.id, world.bob.id)


async def test_subscribe_reply_previews_and_warns_without_a_channel(world):
    reply = await subscribe(world.alice, world.channel, "concept bottleneck")
    assert "Subscribed to **concept bottleneck**" in reply
    assert "6 papers already in the archive" in reply
    assert reply.count("\n• ") == 2
    assert "no digest channel yet" in reply


@pytest.mark.parametrize(
    ("keyword", "expected"),
    [
        ("   ", "Give a keyword"),
        ("?!...", "at least one letter or digit"),
        ("@everyone", "cannot contain mentions"),
        ("<@123>", "cannot contain mentions"),
    ],
)
async def test_bad_keywords_get_clear_private_errors(world, keyword, expected):
    reply = await subscribe(world.alice, world.channel, keyword)
    assert expected in reply
    assert await world.bot.alerts.of_member(world.guild.id, world.alice.id) == []


async def test_discord_refuses_keywords_longer_than_the_schema_allows(world):
    schema = world.bot.tree.get_command("subscribe").to_dict(world.bot.tree)
    assert {o["name"]: o["max_length"] for o in schema["options"]} == {
        "keyword": 100,
        "author": 100,
        "exclude": 100,
    }
    with pytest.raises(OptionError, match="at most 100 characters"):
        await subscribe(world.alice, world.channel, "x" * 101)
    assert await world.bot.alerts.of_member(world.guild.id, world.alice.id) == []


async def test_duplicates_and_the_limit_are_reported(world):
    await subscribe(world.alice, world.channel, "Diffusion Models")
    assert "already follow" in await subscribe(world.alice, world.channel, "diffusion model")
    for index in range(24):
        assert "Subscribed" in await subscribe(world.alice, world.channel, f"topic {index}")
    assert "the most allowed" in await subscribe(world.alice, world.channel, "one too many")
    assert len(await world.bot.alerts.of_member(world.guild.id, world.alice.id)) == 25


async def test_unsubscribe_offers_only_your_own_keywords(world):
    await subscribe(world.alice, world.channel, "diffusion")
    await subscribe(world.alice, world.channel, "agents", exclude="games")
    await subscribe(world.bob, world.channel, "robotics")
    choices = await world.alice.autocomplete(world.channel, "unsubscribe", "keyword", "")
    assert sorted(c["value"] for c in choices) == ["agents", "diffusion"]
    assert await world.bob.autocomplete(world.channel, "unsubscribe", "keyword", "dif") == []

    removed = await world.alice.slash(world.channel, "unsubscribe", keyword="diffusion")
    assert removed.ephemeral and "Unsubscribed" in removed.response.content
    missing = await world.alice.slash(world.channel, "unsubscribe", keyword="robotics")
    assert missing.ephemeral and "do not follow" in missing.response.content
    assert [
        s.keyword.label for s in await world.bot.alerts.of_member(world.guild.id, world.bob.id)
    ] == ["robotics"]


async def test_subscriptions_lists_counts_privately(world):
    await subscribe(world.alice, world.channel, "concept bottleneck")
    result = await world.alice.slash(world.channel, "subscriptions")
    assert result.ephemeral
    assert result.response.content.splitlines() == [
        "You follow 1 keyword here. Alerts: a mention in the day's thread.",
        "• **concept bottleneck** — matched 6 papers so far",
        "Stop following one with `/unsubscribe`; `/alerts` changes where alerts go.",
    ]
    nothing = await world.bob.slash(world.channel, "subscriptions")
    assert nothing.ephemeral and "follow no keywords or authors" in nothing.response.content


async def test_subscriptions_never_cross_servers(world):
    other = world.env.create_guild("Other")
    other_channel = other.create_text_channel("general")
    eve = world.env.create_user("eve")
    eve_here = world.guild.add_member(eve)
    eve_there = other.add_member(eve)
    await subscribe(eve_here, world.channel, "diffusion")
    result = await eve_there.slash(other_channel, "subscriptions")
    assert "follow no keywords" in result.response.content
    assert await eve_there.autocomplete(other_channel, "unsubscribe", "keyword", "") == []


async def test_in_direct_messages_subscriptions_explain_they_belong_to_a_server(world):
    dm_user = world.env.create_user("dana")
    for command, options in (
        ("subscribe", {"keyword": "diffusion"}),
        ("unsubscribe", {"keyword": "diffusion"}),
        ("subscriptions", {}),
    ):
        result = await dm_user.slash(command, **options)
        assert result.ephemeral and "belong to a server" in result.response.content


async def test_alerts_follow_subscription_changes_between_days(world, digest_dir):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await subscribe(world.alice, world.channel, "diffusion")
    await post_day(world, digest_dir, "Mar 15, 2026", DAY_ONE)
    await world.alice.slash(world.channel, "unsubscribe", keyword="diffusion")
    await subscribe(world.bob, world.channel, "diffusion")
    await post_day(world, digest_dir, "Mar 16, 2026", DAY_TWO)
    (alert,) = alerts_in(the_thread(world.channel, "2026-03-16"))
    assert pings(world.env, alert)[0] == [world.bob.id]


CARD = re.compile(r"\[([^\]]+)\]\(<https://discord\.com/channels/(\d+)/(\d+)/(\d+)>\)")


async def test_alert_titles_link_to_their_cards_in_the_thread(world, digest_dir):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await subscribe(world.alice, world.channel, "diffusion")
    papers = [(f"Diffusion Study {n}: Part {n}", abstract("diffusion at scale")) for n in range(23)]
    await post_day(world, digest_dir, "Mar 15, 2026", papers)
    thread = the_thread(world.channel, "2026-03-15")
    [alert] = alerts_in(thread)
    assert alert.content.startswith(
        f"<@{world.alice.id}> 23 papers of Sunday, March 15, 2026 matching your subscriptions:"
    )
    links = CARD.findall(alert.content)
    assert len(links) == 5  # the first few of the group, the rest counted
    assert alert.content.splitlines()[-1] == "  …and 18 more"
    cards = {m.id: m for m in user_messages(thread) if m.embeds}
    for title, guild_id, channel_id, message_id in links:
        assert (int(guild_id), int(channel_id)) == (world.guild.id, thread.id)
        card = cards[int(message_id)]  # a real card message of this thread
        assert any(title in (embed.title or "") for embed in card.embeds), title


async def test_see_all_lists_every_match_for_its_member_only(world, digest_dir):
    await world.admin.slash(world.channel, "setup", channel=world.channel)
    await subscribe(world.alice, world.channel, "diffusion")
    papers = [(f"Diffusion Study {n}: Part {n}", abstract("diffusion at scale")) for n in range(23)]
    await post_day(world, digest_dir, "Mar 15, 2026", papers)
    [alert] = alerts_in(the_thread(world.channel, "2026-03-15"))
    refused = await world.bob.click(alert, label="See all 23")
    assert refused.ephemeral and "belongs to the member" in refused.response.content
    await world.restart()  # the button outlives the process that sent it
    shown = await world.alice.click(alert, label="See all 23")
    assert shown.ephemeral
    listed = shown.response.embeds[0].description
    assert len(CARD.findall(listed)) == 23
