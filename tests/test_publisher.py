"""Daily posting end to end: /setup, the loop, /post, faults and restarts, under SimCord."""

from __future__ import annotations

import math
import sqlite3

import discord
import pytest

from tests.simbot import (
    add_server,
    all_pings,
    embed_titles,
    fail_nth,
    setup_server,
    user_messages,
    write_day,
)

NEW_DAY = "Mar 15, 2026"


@pytest.fixture
def world(sim):
    guild = setup_server(sim)
    sim.member = guild.add_member(sim.env.create_user("bob"))
    yield sim
    assert all_pings(sim.env) == [], "a post pinged someone"


async def setup_channel(sim, channel=None):
    result = await sim.admin.slash(sim.channel, "setup", channel=channel or sim.channel)
    assert result.ephemeral
    return result


async def advance_poll(sim, passes: int = 1):
    await sim.env.advance_time(sim.settings.poll_seconds * passes + 1)


def day_thread(channel):
    threads = [thread for thread in channel.threads if thread.name == "Papers 2026-03-15"]
    assert len(threads) == 1, [thread.name for thread in channel.threads]
    return threads[0]


async def test_setup_reply_names_the_latest_day_and_how_posting_works(world):
    result = await setup_channel(world)
    text = result.response.content
    assert world.channel.mention in text
    assert "Saturday, March 14, 2026 (87 papers)" in text
    assert "/post" in text and "as they arrive" in text


async def test_a_new_day_is_posted_once_with_header_and_thread(world, digest_dir):
    await setup_channel(world)
    titles = write_day(digest_dir, NEW_DAY, 23)
    await advance_poll(world)

    header, *rest = user_messages(world.channel)
    assert rest == []
    assert "Daily Papers — Sunday, March 15, 2026" in header.content
    assert "23 papers" in header.content
    thread = day_thread(world.channel)
    posted = user_messages(thread)
    assert embed_titles(posted) == titles
    assert len(posted) <= math.ceil(23 / 10) + 1

    await advance_poll(world, passes=3)
    await world.restart()
    await advance_poll(world, passes=2)
    assert len(user_messages(world.channel)) == 1
    assert embed_titles(user_messages(thread)) == titles


async def test_days_present_at_setup_are_not_posted_until_asked(world):
    await setup_channel(world)
    await advance_poll(world, passes=2)
    assert user_messages(world.channel) == []

    result = await world.admin.slash(world.channel, "post", date="Mar 13")
    assert "posted (79 papers)" in result.response.content
    (thread,) = world.channel.threads
    assert len(embed_titles(user_messages(thread))) == 79


async def test_a_ninety_paper_day_takes_about_ten_messages(world, digest_dir):
    await setup_channel(world)
    titles = write_day(digest_dir, NEW_DAY, 90)
    await advance_poll(world)
    posted = user_messages(day_thread(world.channel))
    assert embed_titles(posted) == titles
    assert len(posted) <= 10


async def test_post_reposts_on_request(world, digest_dir):
    await setup_channel(world)
    titles = write_day(digest_dir, NEW_DAY, 12)
    await advance_poll(world)
    result = await world.admin.slash(world.channel, "post", date="Mar 15")
    assert result.ephemeral and "posted (12 papers)" in result.response.content
    headers = user_messages(world.channel)
    assert len(headers) == 2
    threads = [t for t in world.channel.threads if t.name == "Papers 2026-03-15"]
    assert [embed_titles(user_messages(t)) for t in threads] == [titles, titles]


@pytest.mark.parametrize("failing_message", [1, 2, 3])
async def test_a_server_error_mid_post_resumes_without_repeats(
    world, digest_dir, monkeypatch, failing_message
):
    await setup_channel(world)
    titles = write_day(digest_dir, NEW_DAY, 30)
    # Request 1 is the header; the thread's messages come after it.
    fail_nth(monkeypatch, "POST", "/channels/*/messages", failing_message + 1)
    await advance_poll(world)
    status = await world.admin.slash(world.channel, "setup")
    assert "failed" in status.response.content.lower() or "failing" in status.response.content
    await advance_poll(world, passes=2)
    assert embed_titles(user_messages(day_thread(world.channel))) == titles
    status = await world.admin.slash(world.channel, "setup")
    assert "posted (30 papers)" in status.response.content


async def test_rate_limits_and_thread_refusals_still_deliver_everything(world, digest_dir):
    await setup_channel(world)
    titles = write_day(digest_dir, NEW_DAY, 15)
    world.env.inject_error("POST", "/channels/*/messages/*/threads", status=403, code=50013)
    world.env.inject_error("POST", "/channels/*/messages", status=429, times=1)
    await advance_poll(world, passes=3)
    channel_messages = user_messages(world.channel)
    in_threads = [m for t in world.channel.threads for m in user_messages(t)]
    assert sorted(embed_titles(channel_messages + in_threads)) == sorted(titles)


async def test_without_thread_permission_papers_go_to_the_channel(world, digest_dir):
    bot_user = world.bot.user
    no_threads = world.guild.create_text_channel(
        "no-threads",
        overwrites={bot_user: discord.PermissionOverwrite(create_public_threads=False)},
    )
    result = await setup_channel(world, no_threads)
    assert "Create Public Threads" in result.response.content
    titles = write_day(digest_dir, NEW_DAY, 14)
    await advance_poll(world)
    header, *papers = user_messages(no_threads)
    assert "Daily Papers" in header.content
    assert embed_titles(papers) == titles
    assert no_threads.threads == []


async def test_setup_refuses_a_channel_the_bot_cannot_post_in(world):
    muted = world.guild.create_text_channel(
        "muted", overwrites={world.bot.user: discord.PermissionOverwrite(send_messages=False)}
    )
    result = await world.admin.slash(world.channel, "setup", channel=muted)
    assert result.ephemeral and "Send Messages" in result.response.content
    status = await world.admin.slash(world.channel, "setup")
    assert "No digest channel yet" in status.response.content


async def test_two_servers_each_get_the_day_once_and_unset_servers_nothing(world, digest_dir):
    other = add_server(world.env, "Other", channel="feed", admin="mod")
    other_channel, mod = other.channel, other.admin
    idle = world.env.create_guild("Idle")
    idle_channel = idle.create_text_channel("general")
    await setup_channel(world)
    await mod.slash(other_channel, "setup", channel=other_channel)

    titles = write_day(digest_dir, NEW_DAY, 11)
    await advance_poll(world, passes=2)
    for channel in (world.channel, other_channel):
        assert len(user_messages(channel)) == 1
        assert embed_titles(user_messages(day_thread(channel))) == titles
    assert user_messages(idle_channel) == []


async def test_a_deleted_channel_fails_visibly_and_spares_other_servers(world, digest_dir):
    other = add_server(world.env, "Other", channel="feed", admin="mod")
    other_channel, mod = other.channel, other.admin
    doomed = world.guild.create_text_channel("doomed")
    await setup_channel(world, doomed)
    await mod.slash(other_channel, "setup", channel=other_channel)
    world.env.inject_error("POST", f"/channels/{doomed.id}/messages", status=404, times=None)

    titles = write_day(digest_dir, NEW_DAY, 5)
    await advance_poll(world)
    assert embed_titles(user_messages(day_thread(other_channel))) == titles
    status = await world.admin.slash(world.channel, "setup")
    assert doomed.mention in status.response.content  # the setting is kept
    assert "failing" in status.response.content


async def test_setup_again_moves_the_digests(world, digest_dir):
    await setup_channel(world)
    moved_to = world.guild.create_text_channel("papers-2")
    result = await setup_channel(world, moved_to)
    assert "moved from" in result.response.content
    titles = write_day(digest_dir, NEW_DAY, 3)
    await advance_poll(world)
    assert user_messages(world.channel) == []
    assert embed_titles(user_messages(day_thread(moved_to))) == titles


async def test_settings_survive_a_restart(world, digest_dir):
    await setup_channel(world)
    await world.restart()
    titles = write_day(digest_dir, NEW_DAY, 4)
    await advance_poll(world)
    assert embed_titles(user_messages(day_thread(world.channel))) == titles


async def test_members_without_manage_server_are_refused_even_if_shown_the_commands(world):
    guild_id = world.guild.id
    for name in ("setup", "post"):
        command = next(
            command
            for scope in world.env.backend.commands.values()
            for command in scope.values()
            if command["name"] == name
        )
        # A server owner can let everyone see an admin command (Integrations settings).
        world.env.backend.set_command_permissions(
            guild_id, int(command["id"]), [{"id": guild_id, "type": 1, "permission": True}]
        )
    refused = await world.member.slash(world.channel, "setup", channel=world.channel)
    assert refused.ephemeral and "Manage Server" in refused.response.content
    refused = await world.member.slash(world.channel, "post")
    assert refused.ephemeral and "Manage Server" in refused.response.content
    status = await world.admin.slash(world.channel, "setup")
    assert "No digest channel yet" in status.response.content


async def test_admin_commands_are_hidden_from_members_by_default(world):
    assert "setup" not in world.member.available_commands(world.channel)
    assert "setup" in world.admin.available_commands(world.channel)


async def test_a_restart_after_a_failed_message_resumes_at_the_next_paper(
    world, digest_dir, monkeypatch
):
    await setup_channel(world)
    titles = write_day(digest_dir, NEW_DAY, 40)
    fail_nth(monkeypatch, "POST", "/channels/*/messages", 4)  # header, 2 messages, then fail
    await advance_poll(world)
    assert 0 < len(embed_titles(user_messages(day_thread(world.channel)))) < 40
    await world.restart()
    await advance_poll(world, passes=2)
    assert embed_titles(user_messages(day_thread(world.channel))) == titles
    assert len(user_messages(world.channel)) == 1


async def test_every_post_message_carries_a_stable_nonce(world, digest_dir, monkeypatch):
    """Discord refuses a second message with the same nonce: a crash between a send
    and its record cannot duplicate it. A retried message reuses its nonce."""
    await setup_channel(world)
    write_day(digest_dir, NEW_DAY, 25)
    fail_nth(monkeypatch, "POST", "/channels/*/messages", 3)
    await advance_poll(world, passes=2)
    bodies = [
        r.json
        for r in world.env.http_requests
        if r.method == "POST" and r.path.endswith("/messages") and isinstance(r.json, dict)
    ]
    assert bodies and all(b.get("enforce_nonce") is True and b.get("nonce") for b in bodies)
    delivered = [m for t in world.channel.threads for m in user_messages(t)]
    assert len({b["nonce"] for b in bodies}) == len(delivered) + 1  # + the header
    assert len(embed_titles(delivered)) == 25


async def test_each_pass_tidies_after_posting(world, digest_dir):
    """A day's commit leaves a new index segment and unsettled vocabulary terms; the
    pass merges the segments and settles the terms once it has posted."""
    await setup_channel(world)
    days = [f"Mar {day}, 2026" for day in range(15, 18)]  # at most a catch-up's worth
    for day in days:
        write_day(digest_dir, day, 3, topic=f"topic{day[4:6]}")
    await advance_poll(world, passes=2)

    assert len(user_messages(world.channel)) == len(days)  # every day posted
    with sqlite3.connect(world.settings.database) as connection:
        segments = connection.execute("SELECT count(DISTINCT segid) FROM paper_fts_idx").fetchone()
    # 2 seed files + 3 days, one segment each, were merged down.
    assert segments[0] < 2 + len(days)
    assert world.bot.catalog.vocabulary.unsettled == 0
    assert "topic17" in world.bot.catalog.vocabulary


async def test_the_thread_ends_with_a_closing_line_that_pings_nobody(world, digest_dir):
    await setup_channel(world)
    write_day(digest_dir, NEW_DAY, 12)
    await advance_poll(world)
    *cards, closing = user_messages(day_thread(world.channel))
    assert all(message.embeds for message in cards)
    assert closing.content.startswith("That's all 12 papers for Sunday, March 15, 2026.")
    assert "`/subscribe`" in closing.content
    await world.restart()
    await advance_poll(world, passes=2)
    assert user_messages(day_thread(world.channel))[-1].id == closing.id  # once
