"""Publishing: which posts each server gets, and what a failure does to the next try.

Servers are processed independently, each in its own task, and so are a server's posts:
one broken or rate-limited channel delays no other server, and one day's trouble never
holds back the next day. A server's posts, `/post` and `/setup` changes take turns
under the server's lock. Each post's messages are sent by `bot.delivery`, exactly once
each.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence

import discord

from bot import schedule, zones
from bot.alerts import Alerts
from bot.delivery import Delivery
from bot.errors import UserError
from bot.models import GuildChannel, Post
from bot.search import Catalog
from bot.sending import Channels, PostFailed, PostGone
from bot.storage import Database

log = logging.getLogger(__name__)

#: What a post may fail with and be retried: Discord's refusals, our own PostFailed,
#: and a database another process holds (its write is retried on the next pass).
RETRYABLE = (PostFailed, discord.HTTPException, sqlite3.Error)
#: How long a pass waits for its servers' tasks; slower ones go on in the background
#: (and are not started again until they finish).
PASS_WAIT_SECONDS = 120.0
#: How long `/post` and `/setup` wait for a server's posting to pause for them.
TURN_WAIT_SECONDS = 30.0


class Busy(UserError):
    """The server's posting did not pause in time for a command."""


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
        self._running: dict[int, asyncio.Task[None]] = {}  # guild id -> its pass
        self._growth_checked = False

    async def days_grew(self, days: Sequence[dt.date]) -> None:
        """These days got more papers: their finished posts go on with the new ones. The
        first call looks at every day: one may have grown while the bot was down, or
        just before it stopped."""
        if not self._growth_checked:
            await self.db.posts.reopen_grown()
            self._growth_checked = True
        elif days:
            await self.db.posts.reopen_grown(days)

    async def publish_due(self) -> None:
        """Schedule every server's new days, then push each due server's unfinished
        posts forward, each server in its own task."""
        now = discord.utils.utcnow()
        known = [summary.day for summary in await self.catalog.known_days()]
        for server in await self.db.posts.guild_channels():
            if server.guild_id in self._running or not self.channels.has_guild(server.guild_id):
                continue  # still busy with an earlier pass, or not in the server (now)
            if schedule.is_due(server.retry_after, now):
                self._start(server, known)
            else:  # backing off after failures: its new days are still noted in order
                await self._schedule_only(server, known, now)
        if self._running:
            await asyncio.wait(set(self._running.values()), timeout=PASS_WAIT_SECONDS)

    def stop(self) -> None:
        """Cancel the servers' passes (the bot is shutting down)."""
        for task in self._running.values():
            task.cancel()

    def _start(self, server: GuildChannel, known: list[dt.date]) -> None:
        task = asyncio.create_task(self._pass_of(server, known), name=f"pass-{server.guild_id}")
        self._running[server.guild_id] = task
        task.add_done_callback(lambda _: self._running.pop(server.guild_id, None))

    async def _pass_of(self, server: GuildChannel, known: list[dt.date]) -> None:
        try:
            await self.advance_server(server, known)
        except Exception:  # a bug's last stop: the server is tried again next pass
            log.exception("posting pass of server %s failed", server.guild_id)

    async def _schedule_only(
        self, server: GuildChannel, known: list[dt.date], now: dt.datetime
    ) -> None:
        async with self._guild_locks[server.guild_id]:
            try:
                await self._schedule_new_days(server, known, now)
            except sqlite3.Error as error:
                log.warning("server %s: could not schedule new days: %s", server.guild_id, error)

    async def advance_server(self, server: GuildChannel, known: list[dt.date]) -> None:
        """Schedule the server's new days, then push each unfinished post forward.

        The server's lock is taken per post, so `/setup` and `/post` wait for one post's
        step at most, and what they change holds from the next post on.
        """
        guild_id = server.guild_id
        lock = self._guild_locks[guild_id]
        sent_before = self.delivery.sent_in(guild_id)
        failures: list[Exception] = []
        now = discord.utils.utcnow()
        async with lock:
            server = await self.db.posts.guild_channel(guild_id) or server
            try:
                await self._schedule_new_days(server, known, now)
            except sqlite3.Error as error:
                failures.append(error)
            due = [p.id for p in await self.db.posts.open_for(guild_id) if _is_due(p, now)]
        for post_id in due:
            async with lock:
                if (failure := await self._advance_fresh(post_id)) is not None:
                    failures.append(failure)
        async with lock:
            server = await self.db.posts.guild_channel(guild_id) or server
            progressed = self.delivery.sent_in(guild_id) > sent_before
            await self._after_pass(server, failures, progressed)

    async def _advance_fresh(self, post_id: int) -> Exception | None:
        """Advance a post as it is now (a command may have changed it or its server)."""
        post = await self.db.posts.get(post_id)
        server = await self.db.posts.guild_channel(post.guild_id) if post else None
        if post is None or server is None or post.status != "pending":
            return None
        return await self._advance(post, server)

    @contextlib.asynccontextmanager
    async def turn(self, guild_id: int) -> AsyncIterator[None]:
        """Hold the server's posting still (for `/setup` and `/post`); Busy if it does not
        pause within TURN_WAIT_SECONDS."""
        lock = self._guild_locks[guild_id]
        try:
            await asyncio.wait_for(lock.acquire(), TURN_WAIT_SECONDS)
        except TimeoutError:
            raise Busy(
                "I am in the middle of posting in this server; try again in a minute."
            ) from None
        try:
            yield
        finally:
            lock.release()

    async def post_now(self, post_id: int) -> Post | None:
        """Push one post (an admin's `/post`) as far as it goes now; returns its state
        (None if it no longer exists)."""
        post = await self.db.posts.get(post_id)
        if post is None:
            return None
        async with self.turn(post.guild_id):
            sent_before = self.delivery.sent_in(post.guild_id)
            failure = await self._advance_fresh(post_id)  # the loop may have moved it
            server = await self.db.posts.guild_channel(post.guild_id)
            if server is not None:
                progressed = self.delivery.sent_in(post.guild_id) > sent_before
                await self._after_pass(server, [failure] if failure else [], progressed)
        return await self.db.posts.get(post_id)

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
        except PostGone:
            return None  # deleted meanwhile (its day paused away): nothing left to send
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


def _is_due(post: Post, now: dt.datetime) -> bool:
    """Whether a post may go on now (not waiting for the server's posting time)."""
    return post.due_at is None or post.due_at <= now


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
