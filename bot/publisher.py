"""Sending days into servers' channels, resumable at every message.

Every Discord call that succeeds is recorded in the database before the next one is
made, so a restart, a Discord error or a crash resumes from the first paper not yet
sent. Servers are processed independently: one broken channel delays no other.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence

import discord

from bot import render, schedule
from bot.alerts import AlertLine, Alerts
from bot.models import GuildChannel, Paper, Post
from bot.search import Catalog
from bot.storage import Database

log = logging.getLogger(__name__)

Postable = discord.TextChannel | discord.Thread

THREAD_ALREADY_EXISTS = 160004


def nonce(*parts: object) -> str:
    """A stable nonce per message of a post: Discord then refuses to create the same
    message twice (`enforce_nonce`), covering a crash between a send and its record."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=10)
    return "pb" + digest.hexdigest()


class PostFailed(Exception):
    """A post could not go on now; the message says why, for `/setup`."""


class Channels:
    """How the publisher reaches Discord: servers and channels by id, nothing else."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def has_guild(self, guild_id: int) -> bool:
        return self._client.get_guild(guild_id) is not None

    async def get(self, channel_id: int, what: str) -> Postable:
        """The text channel or thread `channel_id`; PostFailed names `what` otherwise."""
        channel = self._client.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self._client.fetch_channel(channel_id)
            except discord.NotFound:
                raise PostFailed(f"{what} no longer exists") from None
            except discord.Forbidden:
                raise PostFailed(f"I cannot see {what}") from None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise PostFailed(f"{what} is not a text channel")
        return channel


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
        self.alerts = alerts
        self.channels = channels
        self.poll_seconds = poll_seconds
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
        """Schedule the server's new days and push its unfinished posts forward."""
        async with self._guild_locks[server.guild_id]:
            try:
                scheduled = await self.db.posts.automatic_days(server.guild_id)
                new_days = schedule.days_to_schedule(known, server.since_day, scheduled)
                if new_days:
                    await self.db.posts.schedule_automatic(
                        server.guild_id, server.channel_id, new_days
                    )
                for post in await self.db.posts.open_for(server.guild_id):
                    await self._advance(post)
            except (PostFailed, discord.HTTPException) as error:
                await self._record_failure(server, error)
            else:
                await self.db.posts.clear_guild_failure(server.guild_id)

    async def post_now(self, post: Post) -> Post:
        """Push one post (an admin's `/post`) as far as it goes now; returns its state."""
        server = await self.db.posts.guild_channel(post.guild_id)
        async with self._guild_locks[post.guild_id]:
            try:
                await self._advance(post)
            except (PostFailed, discord.HTTPException) as error:
                if server is not None:
                    await self._record_failure(server, error)
        return await self.db.posts.get(post.id) or post

    async def _record_failure(self, server: GuildChannel, error: Exception) -> None:
        reason = describe_error(error)
        now = discord.utils.utcnow()
        retry = schedule.retry_after(now, server.failures + 1, self.poll_seconds)
        await self.db.posts.record_guild_failure(server.guild_id, reason, retry)
        for post in await self.db.posts.open_for(server.guild_id):
            await self.db.posts.record_error(post.id, reason)
        log.warning("posting to server %s failed: %s", server.guild_id, reason)

    # -- one post ----------------------------------------------------------------------

    async def _advance(self, post: Post) -> None:
        papers = await self.catalog.day(post.day)
        channel = await self.channels.get(post.channel_id, "the digest channel")
        if not isinstance(channel, discord.TextChannel):
            raise PostFailed("the digest channel is not a text channel")
        if post.header_message_id is None:
            header = await channel.send(
                render.day_header(post.day, papers), nonce=nonce(post.id, "header")
            )
            await self.db.posts.record_header(post.id, header.id)
            post = await self._reload(post)
        target = await self._target(channel, post)
        if post.target_id != target.id:
            thread_id = target.id if isinstance(target, discord.Thread) else None
            await self.db.posts.record_target(post.id, thread_id, target.id)
            post = await self._reload(post)
        await self._send_papers(post, target, papers)
        await self._send_alerts(post, target, papers)
        await self.db.posts.finish(post.id)

    async def _send_papers(self, post: Post, target: Postable, papers: list[Paper]) -> None:
        for first, embeds in render.day_messages(papers, post.day, post.papers_sent):
            try:
                message = await target.send(embeds=embeds, nonce=nonce(post.id, "papers", first))
            except discord.NotFound:
                # The thread was deleted: continue in the channel on the next pass.
                await self.db.posts.record_target(post.id, None, post.channel_id)
                raise PostFailed(
                    "the day's thread was deleted; continuing in the channel"
                ) from None
            await self.db.posts.record_message(post.id, first, len(embeds), message.id)

    async def _send_alerts(self, post: Post, target: Postable, papers: list[Paper]) -> None:
        """Mention each subscriber whose keywords match the day, once per paper ever.

        Recomputed from scratch on every attempt minus what was recorded as sent, so a
        restart or a Discord error mid-alerts neither repeats nor drops an alert.
        """
        day = await self.alerts.decide(post.guild_id, papers)
        for user_id in sorted(day.members):
            lines = await self.alerts.unsent(post.guild_id, user_id, papers, day.hits(user_id))
            if lines and await _still_member(target.guild, user_id):
                await self._alert_member(post, target, user_id, lines)

    async def _alert_member(
        self, post: Post, target: Postable, user_id: int, lines: list[AlertLine]
    ) -> None:
        for piece, (content, paper_ids) in enumerate(render.alert_messages(user_id, lines)):
            # Only the first piece carries the mention; none ever pings anyone else.
            mentions = discord.AllowedMentions.none()
            if piece == 0:
                mentions.users = [discord.Object(user_id)]
            message = await target.send(
                content,
                allowed_mentions=mentions,
                nonce=nonce(post.id, "alert", user_id, paper_ids[0]),
            )
            await self.db.subscriptions.record_alert(
                post.guild_id, user_id, paper_ids, post.id, message.id
            )

    async def _target(self, channel: discord.TextChannel, post: Post) -> Postable:
        """Where the day's papers go: its thread, a new thread, or the channel itself."""
        if post.target_id == channel.id:
            return channel
        if post.target_id is not None:
            try:
                return await self.channels.get(post.target_id, "the day's thread")
            except PostFailed:
                await self.db.posts.record_target(post.id, None, channel.id)
                return channel
        if not channel.permissions_for(channel.guild.me).create_public_threads:
            return channel
        assert post.header_message_id is not None
        header = channel.get_partial_message(post.header_message_id)
        try:
            return await header.create_thread(name=render.thread_name(post.day))
        except discord.Forbidden:
            log.info("no permission to create threads in %s; posting in the channel", channel.id)
            return channel
        except discord.NotFound:
            await self.db.posts.record_header(post.id, None)  # header deleted: send a new one
            raise PostFailed("the day's header message was deleted") from None
        except discord.HTTPException as error:
            if error.code != THREAD_ALREADY_EXISTS:
                raise
            # Created before a crash, never recorded: a message's thread shares its id.
            return await self.channels.get(post.header_message_id, "the day's thread")

    async def _reload(self, post: Post) -> Post:
        fresh = await self.db.posts.get(post.id)
        assert fresh is not None
        return fresh


async def _still_member(guild: discord.Guild, user_id: int) -> bool:
    """Members who left keep their subscriptions but get no alerts."""
    try:
        await guild.fetch_member(user_id)
    except discord.NotFound:
        return False
    return True


def describe_error(error: Exception) -> str:
    """A short reason for `/setup`, never including secrets or raw payloads."""
    if isinstance(error, PostFailed):
        return str(error)
    if isinstance(error, discord.Forbidden):
        return "Discord refused: missing permissions in the digest channel (403)"
    if isinstance(error, discord.NotFound):
        return "the channel or message no longer exists (404)"
    if isinstance(error, discord.HTTPException):
        if error.status == 429:
            return "rate limited by Discord (429)"
        return f"Discord error {error.status}"
    return type(error).__name__
