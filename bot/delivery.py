"""Delivering one post: its header, its thread, its papers, then its alerts.

Every message goes through `bot.sending.Sender`, so each is sent exactly once. A day's
thread needs Create Public Threads and Send Messages in Threads (checked again at
every pass); without them, or when the thread is gone or locked, the rest of the day
goes to the channel itself. An archived thread is reopened by the next message.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot import render
from bot.alert_delivery import AlertSender
from bot.alerts import Alerts
from bot.models import GuildChannel, Paper, Post
from bot.search import Catalog
from bot.sending import Channels, Postable, PostFailed, Record, Sender, Slot
from bot.storage import Database

log = logging.getLogger(__name__)

THREAD_ALREADY_EXISTS = 160004
THREAD_ARCHIVED = 50083


class Delivery:
    """Advances posts message by message."""

    def __init__(self, db: Database, catalog: Catalog, alerts: Alerts, channels: Channels) -> None:
        self.db = db
        self.catalog = catalog
        self.channels = channels
        self.sender = Sender(db, channels)
        self.alert_sender = AlertSender(alerts, self.sender)

    def sent_in(self, guild_id: int) -> int:
        """Messages Discord accepted for a server so far (its measure of progress)."""
        return self.sender.sent[guild_id]

    async def advance(self, post: Post, server: GuildChannel) -> None:
        """Send what the post still lacks, in order, and mark it posted."""
        papers = await self.catalog.day(post.day)
        channel = await self.channels.get(post.channel_id, "the digest channel")
        if not isinstance(channel, discord.TextChannel):
            raise PostFailed("the digest channel is not a text channel")
        post = await self.sender.settle(post, channel)
        if post.status == "posted":  # its closing line was sent before: it was finished
            return
        shown = await self._shown(post, papers, server.top)
        post = await self._header(post, channel, shown, len(papers), server.ping_role_id)
        place = Placement(self, post, channel, await self._target(post, channel))
        post = await self.sender.reload(post)
        for first, embeds in render.day_messages(shown, post.day, post.papers_sent):

            async def record(
                message_id: int, channel_id: int, first: int = first, count: int = len(embeds)
            ) -> None:
                await self.db.posts.record_message(post.id, first, count, message_id, channel_id)

            await place.send(Slot("papers", first=first, count=len(embeds)), record, embeds=embeds)
        await self.alert_sender.send_all(post, channel.guild, papers, shown, place.send)
        await self._close(post, place, len(shown))

    async def _close(self, post: Post, place: Placement, count: int) -> None:
        """The day's last message: how many papers, and how to be pinged for topics.
        Its record marks the post posted. A grown day whose post shows no more papers
        (a top N) is finished without a second one."""
        if post.closing_papers == count:
            await self.db.posts.finish(post.id, count)
            return

        async def finish(_message_id: int, _channel_id: int) -> None:
            await self.db.posts.finish(post.id, count)

        slot = Slot("closing", count=count)
        await place.send(slot, finish, content=render.closing_line(post.day, count))

    async def _shown(self, post: Post, papers: list[Paper], top: int | None) -> list[Paper]:
        """The papers the post shows: the whole day, or the server's top N by upvotes,
        chosen once before the post sends anything and kept."""
        if post.paper_ids is not None:
            by_id = {paper.id: paper for paper in papers}
            return [by_id[paper_id] for paper_id in post.paper_ids if paper_id in by_id]
        if top is None or post.header_message_id is not None:
            return papers
        chosen = render.most_upvoted(papers, top)
        await self.db.posts.choose_papers(post.id, [paper.id for paper in chosen])
        return chosen

    # -- the header and where the papers go ------------------------------------------------

    async def _header(
        self,
        post: Post,
        channel: discord.TextChannel,
        shown: list[Paper],
        total: int,
        ping_role_id: int | None,
    ) -> Post:
        """Send the day's header, or bring its count up to date if the day grew."""
        content = render.day_header(post.day, shown, total=total, ping_role_id=ping_role_id)
        if post.header_message_id is None:

            async def record(message_id: int, _channel_id: int) -> None:
                await self.db.posts.record_header(post.id, message_id, total)

            mentions = discord.AllowedMentions.none()
            if ping_role_id is not None:  # exactly the role the admin chose
                mentions.roles = [discord.Object(ping_role_id)]
            slot = Slot("header", count=total)
            await self.sender.send(
                post, slot, channel, record, content=content, allowed_mentions=mentions
            )
        elif post.header_papers is not None and post.header_papers != total:
            try:
                await channel.get_partial_message(post.header_message_id).edit(
                    content=content, allowed_mentions=discord.AllowedMentions.none()
                )
            except discord.NotFound:
                log.info("the header of %s in %s is gone; not edited", post.day, channel.id)
            await self.db.posts.record_header_papers(post.id, total)
        return await self.sender.reload(post)

    async def _target(self, post: Post, channel: discord.TextChannel) -> Postable:
        """Where the day's papers go: its thread, a new thread, or the channel itself."""
        permissions = channel.permissions_for(channel.guild.me)
        if post.target_id == channel.id:
            return channel
        if post.target_id is not None:
            thread = await self._usable_thread(post.target_id, permissions)
            if thread is not None:
                return thread
            return await self.use_channel(post, channel, "the day's thread cannot take messages")
        if not (permissions.create_public_threads and permissions.send_messages_in_threads):
            return await self.use_channel(post, channel, "no permission to post in threads")
        return await self._create_thread(post, channel)

    async def _usable_thread(
        self, thread_id: int, permissions: discord.Permissions
    ) -> Postable | None:
        if not permissions.send_messages_in_threads:
            return None
        try:
            thread = await self.channels.get(thread_id, "the day's thread")
        except PostFailed:
            return None
        if isinstance(thread, discord.Thread) and thread.locked:
            return None  # an archived thread reopens with the next message; a locked one not
        return thread

    async def use_channel(
        self, post: Post, channel: discord.TextChannel, why: str
    ) -> discord.TextChannel:
        """Send the rest of the post in the channel itself, from now on."""
        log.info("post %s of %s continues in channel %s: %s", post.id, post.day, channel.id, why)
        await self.db.posts.record_target(post.id, None, channel.id)
        return channel

    async def _create_thread(self, post: Post, channel: discord.TextChannel) -> Postable:
        assert post.header_message_id is not None
        header = channel.get_partial_message(post.header_message_id)
        await self.sender.note(post, Slot("thread"))
        thread: Postable
        try:
            thread = await header.create_thread(name=render.thread_name(post.day))
        except discord.Forbidden:
            return await self.use_channel(post, channel, "Discord refused a thread")
        except discord.NotFound:
            await self.db.posts.record_header(post.id, None)  # header deleted: send a new one
            raise PostFailed("the day's header message was deleted") from None
        except discord.HTTPException as error:
            if error.code != THREAD_ALREADY_EXISTS:
                raise
            # Created before a crash, never recorded: a message's thread shares its id.
            thread = await self.channels.get(post.header_message_id, "the day's thread")
        await self.db.posts.record_target(post.id, thread.id, thread.id)
        return thread


class Placement:
    """Where a post's next message goes: the day's thread until it refuses one, then
    the channel itself."""

    def __init__(
        self, delivery: Delivery, post: Post, channel: discord.TextChannel, target: Postable
    ) -> None:
        self.delivery = delivery
        self.post = post
        self.channel = channel
        self.target = target

    async def send(self, slot: Slot, record: Record, **message: Any) -> Postable:
        sender = self.delivery.sender
        try:
            await sender.send(self.post, slot, self.target, record, **message)
            return self.target
        except (discord.Forbidden, discord.NotFound, discord.HTTPException) as error:
            if self.target is self.channel or not _thread_refused(error):
                raise
        why = "the day's thread refused a message"
        self.target = await self.delivery.use_channel(self.post, self.channel, why)
        await sender.send(self.post, slot, self.target, record, **message)
        return self.target


def _thread_refused(error: discord.HTTPException) -> bool:
    """A thread that takes no more messages: deleted, locked, archived, or closed to us."""
    return isinstance(error, discord.Forbidden | discord.NotFound) or error.code == THREAD_ARCHIVED
