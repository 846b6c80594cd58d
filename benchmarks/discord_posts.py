"""How many Discord requests posting a 100-paper day takes: the real bot under SimCord.

As tests/test_publisher.py does: a server with an admin runs `/setup`, a new digest
file appears in the bot's folder, one poll passes, and the bot's REST calls are
counted from SimCord's request log.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import discord
import simcord

from bot.client import create_bot
from bot.config import Settings
from tests.simbot import user_messages

POLL_SECONDS = 60


@dataclass(frozen=True)
class PostCount:
    posts: int  # POST requests made for the day (header, thread, paper messages)
    by_kind: dict[str, int]
    papers_shown: int


async def count_post_requests(archive_day: Path, new_day: Path) -> PostCount:
    """Start the bot over `archive_day`, /setup a channel, then let it post `new_day`."""
    logging.getLogger("discord").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="paperboy-bench-") as scratch:
        folder = Path(scratch) / "digests"
        folder.mkdir()
        shutil.copy(archive_day, folder / archive_day.name)
        settings = Settings(
            database=Path(scratch) / "bot.db", digest_dir=folder, poll_seconds=POLL_SECONDS
        )
        bot = create_bot(settings)
        try:
            async with simcord.run(bot) as env:
                return await _post_day(env, folder, new_day)
        finally:
            if bot.started:
                await bot.database.close()


async def _post_day(env: simcord.Env, folder: Path, new_day: Path) -> PostCount:
    guild = env.create_guild("Research")
    channel = guild.create_text_channel("papers")
    admins = guild.create_role("Admins", permissions=discord.Permissions(manage_guild=True))
    admin = guild.add_member(env.create_user("ada"), roles=[admins])
    await admin.slash(channel, "setup", channel=channel)
    before = len(env.http_requests)
    shutil.copy(new_day, folder / new_day.name)
    await env.advance_time(POLL_SECONDS + 1)
    posts = [request for request in env.http_requests[before:] if request.method == "POST"]
    kinds = Counter(
        "thread" if request.path.endswith("/threads") else "message" for request in posts
    )
    shown = sum(
        len(message.embeds) for thread in channel.threads for message in user_messages(thread)
    )
    return PostCount(len(posts), dict(kinds), shown)
