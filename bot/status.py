"""What `/setup` shows a server admin: where posts go and how posting and loading go."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot import schedule, server_settings
from bot.dates import short_day
from bot.models import GuildChannel, Post, SkippedDay
from bot.storage import Database

SKIPPED_SHOWN = 3  # the most recent days passed over that /setup names


@dataclass(frozen=True)
class ServerStatus:
    """Everything `/setup` reports about one server, read at one moment."""

    server: GuildChannel
    latest: Post | None
    open_posts: list[tuple[Post, int]]  # unfinished posts with their day's paper counts
    latest_count: int
    skipped: list[SkippedDay]
    ingest_error: str | None
    now: dt.datetime
    unrecorded_error: str | None = None  # a failure the database refused to keep

    def lines(self) -> list[str]:
        server = self.server
        lines = [f"Daily papers go to <#{server.channel_id}>."]
        if server.since_day:
            lines.append(f"Days after {short_day(server.since_day)} post automatically.")
        else:
            lines.append("New days post automatically as they arrive.")
        lines += server_settings.describe(server)
        lines += self._posts()
        lines += [f"Passed over: {schedule.describe_skipped(s)}" for s in self.skipped]
        if self.unrecorded_error:
            lines.append(f"Posting is failing: {self.unrecorded_error}. Next try on the next pass.")
        elif server.last_error:
            lines.append(f"Posting is failing: {server.last_error}. Next try {self._next_try()}.")
        if self.ingest_error:
            lines.append(f"Loading new digest files is failing: {self.ingest_error}.")
        return lines

    def _posts(self) -> list[str]:
        latest = self.latest
        lines = []
        if latest is not None:
            status = schedule.describe_status(
                latest.status, latest.papers_sent, self.latest_count, None, latest.day
            )
            lines.append(f"Last post: {status}")
        elif not self.open_posts:
            lines.append("Nothing posted yet.")
        for post, count in self.open_posts:
            status = schedule.describe_status(
                post.status, post.papers_sent, count, post.error, post.day
            )
            lines.append(f"Unfinished: {status}")
        return lines

    def _next_try(self) -> str:
        retry = self.server.retry_after
        if retry is None or retry <= self.now:
            return "on the next pass"
        return f"<t:{int(retry.timestamp())}:R>"


async def server_status(
    db: Database,
    guild_id: int,
    now: dt.datetime,
    ingest_error: str | None = None,
    unrecorded_error: str | None = None,
) -> ServerStatus | None:
    """The server's status, or None when it has no digest channel yet."""
    server = await db.posts.guild_channel(guild_id)
    if server is None:
        return None
    latest = await db.posts.latest_finished(guild_id)
    open_posts = [
        (post, await db.archive.day_paper_count(post.day))
        for post in await db.posts.open_for(guild_id)
    ]
    latest_count = await db.archive.day_paper_count(latest.day) if latest else 0
    skipped = (await db.posts.skipped_days(guild_id))[:SKIPPED_SHOWN]
    return ServerStatus(
        server, latest, open_posts, latest_count, skipped, ingest_error, now, unrecorded_error
    )
