"""bot.storage.posts: servers' channels and every post's progress, on a real SQLite file."""

from __future__ import annotations

import datetime as dt

from bot.models import NewDigest, NewPaper
from bot.storage import Database

MAR13, MAR14, MAR15 = dt.date(2026, 3, 13), dt.date(2026, 3, 14), dt.date(2026, 3, 15)
GUILD, CHANNEL, OTHER_CHANNEL, ADMIN = 10, 20, 21, 30


async def test_the_first_setup_remembers_its_day_and_a_move_keeps_it(database: Database) -> None:
    posts = database.posts
    assert await posts.set_channel(GUILD, CHANNEL, ADMIN, MAR14) is None
    previous = await posts.set_channel(GUILD, OTHER_CHANNEL, ADMIN, MAR15)
    assert previous is not None and previous.channel_id == CHANNEL
    server = await posts.guild_channel(GUILD)
    assert server is not None
    assert (server.channel_id, server.since_day) == (OTHER_CHANNEL, MAR14)  # kept


async def test_an_automatic_post_exists_once_per_server_and_day(database: Database) -> None:
    posts = database.posts
    await posts.set_channel(GUILD, CHANNEL, ADMIN, None)
    await posts.schedule_automatic(GUILD, CHANNEL, [MAR13, MAR14])
    await posts.schedule_automatic(GUILD, CHANNEL, [MAR14, MAR15])
    assert await posts.automatic_days(GUILD) == {MAR13, MAR14, MAR15}
    assert [post.day for post in await posts.open_for(GUILD)] == [MAR13, MAR14, MAR15]
    requested = await posts.request(GUILD, CHANNEL, MAR14, ADMIN)  # an explicit repost
    assert await posts.automatic_days(GUILD) == {MAR13, MAR14, MAR15}
    assert requested.id in [post.id for post in await posts.open_for(GUILD)]


async def test_a_post_records_each_message_then_finishes(database: Database) -> None:
    posts = database.posts
    await posts.set_channel(GUILD, CHANNEL, ADMIN, None)
    post = await posts.request(GUILD, CHANNEL, MAR14, ADMIN)
    await posts.record_header(post.id, 1001)
    await posts.record_target(post.id, 1001, 1001)
    await posts.record_error(post.id, "Discord error 500")
    await posts.record_message(post.id, 0, 10, 1002, 1001)
    await posts.record_message(post.id, 10, 4, 1003, 20)  # the thread refused: in the channel
    cards = await posts.card_messages(post.id)
    assert (cards[0], cards[9], cards[10], cards[13]) == ((1001, 1002),) * 2 + ((20, 1003),) * 2
    assert 14 not in cards
    current = await posts.get(post.id)
    assert current is not None
    assert (current.header_message_id, current.thread_id, current.papers_sent) == (1001, 1001, 14)
    assert current.error is None  # a message that went through clears the error
    await posts.finish(post.id, 14)
    assert await posts.open_for(GUILD) == []
    latest = await posts.latest(GUILD)
    assert latest is not None and latest.status == "posted"


async def store_day(database: Database, day: dt.date, count: int) -> None:
    papers = [
        NewPaper(f"paper {day} {n}", f"Paper {n}", "An abstract.", (), f"paper {n}", "abstract")
        for n in range(count)
    ]
    await database.archive.add_digests([NewDigest(f"{day}-{count}", day, f"{day}-{count}", papers)])


async def test_a_finished_post_reopens_when_its_day_has_more_papers_than_its_header(
    database: Database,
) -> None:
    """Growth is read from what is stored, so a day that grew while the bot was down,
    or just before a crash, is still continued."""
    posts = database.posts
    await posts.set_channel(GUILD, CHANNEL, ADMIN, None)
    await store_day(database, MAR14, 3)
    await store_day(database, MAR13, 2)
    post = await posts.request(GUILD, CHANNEL, MAR14, ADMIN)
    await posts.record_header(post.id, 1001, 3)
    await posts.finish(post.id, 3)
    assert await posts.reopen_grown() == 0
    await store_day(database, MAR14, 5)  # the day's longer version
    assert await posts.reopen_grown([MAR13]) == 0
    assert await posts.reopen_grown([MAR14]) == 1
    assert [p.id for p in await posts.open_for(GUILD)] == [post.id]


async def test_a_grown_day_is_not_continued_in_a_channel_the_server_left(
    database: Database,
) -> None:
    posts = database.posts
    await posts.set_channel(GUILD, CHANNEL, ADMIN, None)
    await store_day(database, MAR14, 3)
    post = await posts.request(GUILD, CHANNEL, MAR14, ADMIN)
    await posts.record_header(post.id, 1001, 3)
    await posts.finish(post.id, 3)
    await posts.set_channel(GUILD, OTHER_CHANNEL, ADMIN, None)
    await store_day(database, MAR14, 5)
    assert await posts.reopen_grown() == 0


async def test_moving_the_channel_moves_unfinished_posts_and_forgets_their_thread(
    database: Database,
) -> None:
    posts = database.posts
    await posts.set_channel(GUILD, CHANNEL, ADMIN, None)
    pending = await posts.request(GUILD, CHANNEL, MAR14, ADMIN)
    await posts.record_header(pending.id, 1001)
    await posts.record_target(pending.id, 1001, 1001)
    done = await posts.request(GUILD, CHANNEL, MAR13, ADMIN)
    await posts.finish(done.id, 0)
    await posts.set_channel(GUILD, OTHER_CHANNEL, ADMIN, None)
    moved, kept = await posts.get(pending.id), await posts.get(done.id)
    assert moved is not None and kept is not None
    assert (moved.channel_id, moved.header_message_id, moved.target_id) == (
        OTHER_CHANNEL,
        None,
        None,
    )
    assert kept.channel_id == CHANNEL


async def test_failures_count_up_and_clear(database: Database) -> None:
    posts = database.posts
    await posts.set_channel(GUILD, CHANNEL, ADMIN, None)
    retry = dt.datetime(2026, 3, 14, 12, tzinfo=dt.UTC)
    await posts.record_guild_failure(GUILD, "Discord error 500", retry, 1)
    await posts.record_guild_failure(GUILD, "Discord error 502", retry, 2)
    server = await posts.guild_channel(GUILD)
    assert server is not None
    assert (server.failures, server.last_error, server.retry_after) == (
        2,
        "Discord error 502",
        retry,
    )
    await posts.clear_guild_failure(GUILD)
    server = await posts.guild_channel(GUILD)
    assert server is not None and (server.failures, server.last_error) == (0, None)
