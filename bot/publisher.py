"""Posting days into servers' channels, resumable at every message.

Every Discord call that succeeds is recorded in the database before the next one is
made, so a restart, a Discord error or a crash resumes from the first paper not yet
sent. Servers are processed independently: one broken channel delays no other.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import hashlib
import logging
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING

import discord

from bot import matching, posting, render
from bot.ingest import ingest_file
from bot.matching import DayMatch, Hits, PaperText
from bot.models import Paper
from bot.storage import Database, GuildChannel, Post

if TYPE_CHECKING:
    from bot.client import Paperboy

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


class Publisher:
    """Posts days for every configured server; one instance per bot."""

    def __init__(self, bot: Paperboy) -> None:
        self.bot = bot
        self._guild_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def db(self):
        return self.bot.database

    # -- the loop's pass -----------------------------------------------------------

    async def run_pass(self) -> None:
        """Ingest settled digest files, advance every server's posts, then tidy up."""
        try:
            await self.ingest_new_files()
            now = discord.utils.utcnow()
            servers = [
                server
                for server in await self.db.guild_channels()
                if posting.is_due(server.retry_after, now) and self.bot.get_guild(server.guild_id)
            ]
            known = [summary.day for summary in await self.bot.catalog.known_days()]
            await asyncio.gather(*(self.advance_server(server, known) for server in servers))
        finally:
            await self.bot.catalog.tidy()  # after posting, so that no post waits for it

    async def ingest_new_files(self) -> None:
        for path in await self.bot.watcher.ready():
            report = await ingest_file(self.bot.catalog, path)
            self.bot.watcher.mark_done(path)
            log.info("%s", report.summary())
            for problem in report.problems:
                log.warning("digest problem: %s", problem)
            outcome = report.outcome
            if outcome and outcome.day and outcome.added_to_day:
                # A longer version of a posted day: its posts go on with the new papers.
                await self.db.reopen_posts(outcome.day)

    async def advance_server(self, server: GuildChannel, known: list[dt.date]) -> None:
        """Schedule the server's new days and push its unfinished posts forward."""
        async with self._guild_locks[server.guild_id]:
            try:
                scheduled = await self.db.automatic_post_days(server.guild_id)
                new_days = posting.days_to_schedule(known, server.since_day, scheduled)
                if new_days:
                    await self.db.schedule_automatic_posts(
                        server.guild_id, server.channel_id, new_days
                    )
                for post in await self.db.open_posts(server.guild_id):
                    await self._advance(post)
            except (PostFailed, discord.HTTPException) as error:
                await self._record_failure(server, error)
            else:
                await self.db.clear_guild_failure(server.guild_id)

    async def post_now(self, post: Post) -> Post:
        """Push one post (an admin's `/post`) as far as it goes now; returns its state."""
        server = await self.db.guild_channel(post.guild_id)
        async with self._guild_locks[post.guild_id]:
            try:
                await self._advance(post)
            except (PostFailed, discord.HTTPException) as error:
                if server is not None:
                    await self._record_failure(server, error)
        return await self.db.post(post.id) or post

    async def _record_failure(self, server: GuildChannel, error: Exception) -> None:
        reason = describe_error(error)
        now = discord.utils.utcnow()
        retry = posting.retry_after(now, server.failures + 1, self.bot.settings.poll_seconds)
        await self.db.record_guild_failure(server.guild_id, reason, retry)
        for post in await self.db.open_posts(server.guild_id):
            await self.db.record_post_error(post.id, reason)
        log.warning("posting to server %s failed: %s", server.guild_id, reason)

    # -- one post ----------------------------------------------------------------

    async def _advance(self, post: Post) -> None:
        papers = await self.bot.catalog.day(post.day)
        channel = await self._channel(post.channel_id, "the digest channel")
        if post.header_message_id is None:
            header = await channel.send(
                render.day_header(post.day, papers), nonce=nonce(post.id, "header")
            )
            await self.db.record_header(post.id, header.id)
            post = await self._reload(post)
        target = await self._target(channel, post)
        if post.target_id != target.id:
            thread_id = target.id if isinstance(target, discord.Thread) else None
            await self.db.record_target(post.id, thread_id, target.id)
            post = await self._reload(post)
        await self._send_papers(post, target, papers)
        await self._send_alerts(post, target, papers)
        await self.db.finish_post(post.id)

    async def _send_alerts(self, post: Post, target: Postable, papers: list[Paper]) -> None:
        """Mention each subscriber whose keywords match the day, once per paper ever.

        Recomputed from scratch on every attempt minus what was recorded as sent, so a
        restart or a Discord error mid-alerts neither repeats nor drops an alert.
        """
        day = await decide_alerts(self.db, post.guild_id, papers)
        for user_id in sorted(day.members):
            await self._alert_member(post, target, papers, user_id, day.hits(user_id))

    async def _alert_member(
        self, post: Post, target: Postable, papers: list[Paper], user_id: int, hits: Hits
    ) -> None:
        matched = matching.papers_for(hits)
        sent = await self.db.already_alerted(
            post.guild_id, [user_id], [papers[index].id for index in matched]
        )
        pending = {i: keys for i, keys in matched.items() if (user_id, papers[i].id) not in sent}
        if not pending or not await _still_member(target.guild, user_id):
            return
        labels = {
            sub.keyword.key: sub.keyword.label
            for sub in await self.db.subscriptions_of(post.guild_id, user_id)
        }
        lines = [
            (papers[index], [labels.get(key, key) for key in keys])
            for index, keys in pending.items()
        ]
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
            await self.db.record_alert(post.guild_id, user_id, paper_ids, post.id, message.id)

    async def _send_papers(self, post: Post, target: Postable, papers: list[Paper]) -> None:
        for first, embeds in posting.remaining_messages(papers, post.day, post.papers_sent):
            try:
                message = await target.send(embeds=embeds, nonce=nonce(post.id, "papers", first))
            except discord.NotFound:
                # The thread was deleted: continue in the channel on the next pass.
                await self.db.record_target(post.id, None, post.channel_id)
                raise PostFailed(
                    "the day's thread was deleted; continuing in the channel"
                ) from None
            await self.db.record_post_message(post.id, first, len(embeds), message.id)

    async def _target(self, channel: discord.TextChannel, post: Post) -> Postable:
        """Where the day's papers go: its thread, a new thread, or the channel itself."""
        if post.target_id == channel.id:
            return channel
        if post.target_id is not None:
            try:
                return await self._channel(post.target_id, "the day's thread")
            except PostFailed:
                await self.db.record_target(post.id, None, channel.id)
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
            await self.db.record_header(post.id, None)  # header deleted: send a new one
            raise PostFailed("the day's header message was deleted") from None
        except discord.HTTPException as error:
            if error.code != THREAD_ALREADY_EXISTS:
                raise
            # Created before a crash, never recorded: a message's thread shares its id.
            return await self._channel(post.header_message_id, "the day's thread")

    async def _channel(self, channel_id: int, what: str) -> discord.TextChannel:
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(channel_id)
            except discord.NotFound:
                raise PostFailed(f"{what} no longer exists") from None
            except discord.Forbidden:
                raise PostFailed(f"I cannot see {what}") from None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise PostFailed(f"{what} is not a text channel")
        return channel  # type: ignore[return-value]

    async def _reload(self, post: Post) -> Post:
        fresh = await self.db.post(post.id)
        assert fresh is not None
        return fresh


async def decide_alerts(db: Database, guild_id: int, papers: list[Paper]) -> DayMatch:
    """Which members' keywords match the day's papers (before dedup against sent alerts).

    Proportional to the day's text and the keyword groups that match: the server's
    keywords are found by walking its cached trie, and the members to alert are a
    union of the matching groups' member sets.
    """
    index = await db.keyword_index(guild_id)
    with _gc_paused():  # synchronous, acyclic allocations: no reason to pause for the GC
        return DayMatch(index, [PaperText.of(paper) for paper in papers])


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector for a short CPU-bound step.

    Measured: full collections landing inside a 100k-subscription decision doubled
    its time. Nothing here awaits, and reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
