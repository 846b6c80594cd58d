"""Publishing: which posts each server gets, and what a failure does to the next try.

Servers are processed independently, and so are a server's posts: one broken channel
delays no other server, and one day's trouble never holds back the next day. Each
post's messages are sent by `bot.delivery`, exactly once each.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections import defaultdict
from collections.abc import Sequence

import discord

from bot import schedule, zones
from bot.alerts import Alerts
from bot.delivery import Delivery
from bot.models import GuildChannel, Post
from bot.search import Catalog
from bot.sending import Channels, PostFailed
from bot.storage import Database

log = logging.getLogger(__name__)

#: What a post may fail with and be retried: Discord's refusals, our own PostFailed,
#: and a database another process holds (its write is retried on the next pass).
RETRYABLE = (PostFailed, discord.HTTPException, sqlite3.Error)


class Publisher:
    """Posts days, with their alerts, for every configured server."""

    def __init__(
        self,
        db: Database,
        catalog: Catalog,
        alerts: Alerts,
        channels: Channels,
        poll_seconds: float,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.channels = channels
        self.poll_seconds = poll_seconds
        self.delivery = Delivery(db, catalog, alerts, channels)
        # Failures the database would not let us record (it is locked or full), for
        # /setup to show until it does.
        self.unrecorded_failures: dict[int, str] = {}
        self._guild_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def days_grew(self, days: Sequence[dt.date]) -> None:
        """Longer versions of these days were loaded: their posts go on with the new papers."""
        for day in days:
            await self.db.posts.reopen_day(day)

    async def publish_due(self) -> None:
        """Schedule every server's new days and push its unfinished posts forward."""
        now = discord.utils.utcnow()
        servers = [
            server
            for server in await self.db.posts.guild_channels()
            if schedule.is_due(server.retry_after, now) and self.channels.has_guild(server.guild_id)
        ]
        known = [summary.day for summary in await self.catalog.known_days()]
        await asyncio.gather(*(self.advance_server(server, known) for server in servers))

    async def advance_server(self, server: GuildChannel, known: list[dt.date]) -> None:
        """Schedule the server's new days, then push each unfinished post forward."""
        async with self._guild_locks[server.guild_id]:
            sent_before = self.delivery.sent
            failures: list[Exception] = []
            now = discord.utils.utcnow()
            try:
                await self._schedule_new_days(server, known, now)
            except sqlite3.Error as error:
                failures.append(error)
            for post in await self.db.posts.open_for(server.guild_id):
                if post.due_at is not None and post.due_at > now:
                    continue  # waits for the server's posting time
                if (failure := await self._advance(post, server)) is not None:
                    failures.append(failure)
            await self._after_pass(server, failures, self.delivery.sent > sent_before)

    async def post_now(self, post: Post) -> Post:
        """Push one post (an admin's `/post`) as far as it goes now; returns its state."""
        async with self._guild_locks[post.guild_id]:
            server = await self.db.posts.guild_channel(post.guild_id)
            if server is None:
                return post
            sent_before = self.delivery.sent
            failure = await self._advance(post, server)
            progressed = self.delivery.sent > sent_before
            await self._after_pass(server, [failure] if failure else [], progressed)
        return await self.db.posts.get(post.id) or post

    async def _schedule_new_days(
        self, server: GuildChannel, known: list[dt.date], now: dt.datetime
    ) -> None:
        posts = self.db.posts
        posted = await posts.automatic_days(server.guild_id)
        skipped = {s.day for s in await posts.skipped_days(server.guild_id)}
        plan = schedule.plan_new_days(known, server.since_day, posted, skipped, server.paused)
        if plan.skip:
            await posts.skip_days(server.guild_id, plan.skip)
            for day in plan.skip:
                log.warning("server %s: %s", server.guild_id, schedule.describe_skipped(day))
        if plan.post:
            zone = zones.zone_of(server.timezone)
            due = schedule.due_at(now, server.post_time, zone) if server.post_time else None
            await posts.schedule_automatic(server.guild_id, server.channel_id, plan.post, due)

    async def _advance(self, post: Post, server: GuildChannel) -> Exception | None:
        """Advance one post; a failure is recorded on it and returned, never raised."""
        try:
            await self.delivery.advance(post, server)
        except RETRYABLE as error:
            reason = describe_error(error)
            log.warning("post %s (%s) in server %s: %s", post.id, post.day, post.guild_id, reason)
            # The server's failure says it too, if the database lets it.
            with contextlib.suppress(sqlite3.Error):
                await self.db.posts.record_error(post.id, reason)
            return error
        return None

    async def _after_pass(
        self, server: GuildChannel, failures: list[Exception], progressed: bool
    ) -> None:
        """Clear the server's failure, or count one more and pause before the next try."""
        reason = describe_error(failures[0]) if failures else None
        try:
            if reason is None:
                await self.db.posts.clear_guild_failure(server.guild_id)
            else:
                count = schedule.failures_after(server.failures, progressed)
                retry = schedule.retry_after(discord.utils.utcnow(), count, self.poll_seconds)
                await self.db.posts.record_guild_failure(server.guild_id, reason, retry, count)
        except sqlite3.Error as error:
            log.warning("server %s: could not record how posting went: %s", server.guild_id, error)
            if reason is not None:
                self.unrecorded_failures[server.guild_id] = reason
            return
        self.unrecorded_failures.pop(server.guild_id, None)


def describe_error(error: Exception) -> str:
    """A short reason for `/setup`, never including secrets or raw payloads."""
    if isinstance(error, PostFailed):
        return str(error)
    if isinstance(error, sqlite3.Error):
        return f"the database refused a write ({error}); nothing was sent twice"
    if isinstance(error, discord.Forbidden):
        return "Discord refused: missing permissions in the digest channel (403)"
    if isinstance(error, discord.NotFound):
        return "the channel or message no longer exists (404)"
    if isinstance(error, discord.HTTPException):
        if error.status == 429:
            return "rate limited by Discord (429)"
        return f"Discord error {error.status}"
    return type(error).__name__
