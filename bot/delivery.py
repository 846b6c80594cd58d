"""Delivering one post: its header, thread, papers and alerts, each message exactly once.

Before a message is sent the post notes it as in flight (a `Slot`); the record of the
sent message clears it. When that record fails (another process holds the database,
a full disk) the record is kept in memory and retried before anything else is sent; a
post that finds a slot noted after a restart looks for that message among the bot's
own recent messages and records it instead of sending it again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

import discord

from bot import alert_text, render
from bot.alerts import Alerts
from bot.models import Paper, Post
from bot.search import Catalog
from bot.storage import Database

log = logging.getLogger(__name__)

Postable = discord.TextChannel | discord.Thread
Record = Callable[[int, int], Awaitable[None]]  # records a sent message: its id, its channel
Owed = Callable[[], Awaitable[None]]  # a record with its message id bound

THREAD_ALREADY_EXISTS = 160004
THREAD_ARCHIVED = 50083
HISTORY_LOOKED_AT = 100  # own messages are looked for among this many after the header


class PostFailed(Exception):
    """A post could not go on now; the message says why, for `/setup`."""


def nonce(*parts: object) -> str:
    """A stable nonce per message of a post; Discord refuses a repeat within minutes."""
    digest = hashlib.blake2b(":".join(map(str, parts)).encode(), digest_size=10)
    return "pb" + digest.hexdigest()


@dataclass(frozen=True)
class Slot:
    """One message of a post, described well enough to find it again and record it."""

    kind: str  # header, thread, papers or alert
    first: int = 0  # papers: index of the message's first paper
    count: int = 0  # papers: how many it holds; header: how many the day has
    user: int = 0  # alert: the member
    papers: tuple[int, ...] = ()  # alert: the ids of the papers it names

    def dump(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def load(cls, raw: str) -> Slot | None:
        try:
            fields = json.loads(raw)
            return cls(**{**fields, "papers": tuple(fields.get("papers", ()))})
        except (ValueError, TypeError):
            return None


class Channels:
    """How delivery reaches Discord: servers and channels by id, nothing else."""

    def __init__(self, client: discord.Client) -> None:
        self._client = client

    def has_guild(self, guild_id: int) -> bool:
        return self._client.get_guild(guild_id) is not None

    @property
    def me_id(self) -> int:
        assert self._client.user is not None
        return self._client.user.id

    async def get(self, channel_id: int, what: str) -> Postable:
        """The text channel or thread `channel_id`; PostFailed names `what` otherwise."""
        channel = self._client.get_channel(channel_id)
        if channel is None:  # not cached: archived threads drop out of discord.py's cache
            try:
                channel = await self._client.fetch_channel(channel_id)
            except discord.NotFound:
                raise PostFailed(f"{what} no longer exists") from None
            except discord.Forbidden:
                raise PostFailed(f"I cannot see {what}") from None
        if not isinstance(channel, discord.TextChannel | discord.Thread):
            raise PostFailed(f"{what} is not a text channel")
        return channel


class Delivery:
    """Advances posts message by message; `sent` counts the messages Discord accepted."""

    def __init__(self, db: Database, catalog: Catalog, alerts: Alerts, channels: Channels) -> None:
        self.db = db
        self.catalog = catalog
        self.alerts = alerts
        self.channels = channels
        self.sent = 0
        self._unrecorded: dict[int, Owed] = {}  # post id -> the record still owed

    async def advance(self, post: Post) -> None:
        """Send what the post still lacks, in order, and mark it posted."""
        papers = await self.catalog.day(post.day)
        channel = await self.channels.get(post.channel_id, "the digest channel")
        if not isinstance(channel, discord.TextChannel):
            raise PostFailed("the digest channel is not a text channel")
        await self._record_owed(post.id)
        post = await self._reload(post)
        if post.sending:
            post = await self._recover(post, channel)
        post = await self._header(post, channel, papers)
        target = await self._target(post, channel)
        post = await self._reload(post)
        target = await self._send_papers(post, channel, target, papers)
        await self._send_alerts(post, channel, target, papers)
        await self.db.posts.finish(post.id)

    # -- the header and where the papers go ------------------------------------------------

    async def _header(self, post: Post, channel: discord.TextChannel, papers: list[Paper]) -> Post:
        """Send the day's header, or bring its count up to date if the day grew."""
        content = render.day_header(post.day, papers)
        if post.header_message_id is None:
            slot = Slot("header", count=len(papers))

            async def record(message_id: int, _channel_id: int) -> None:
                await self.db.posts.record_header(post.id, message_id, len(papers))

            await self._send(post, slot, channel, record, content=content)
        elif post.header_papers is not None and post.header_papers != len(papers):
            try:
                await channel.get_partial_message(post.header_message_id).edit(content=content)
            except discord.NotFound:
                log.info("the header of %s in %s is gone; not edited", post.day, channel.id)
            await self.db.posts.record_header_papers(post.id, len(papers))
        return await self._reload(post)

    async def _target(self, post: Post, channel: discord.TextChannel) -> Postable:
        """Where the day's papers go: its thread, a new thread, or the channel itself.

        Threads need both Create Public Threads and Send Messages in Threads (checked
        again at every pass: permissions change); without them, or when the day's
        thread is gone, archived or locked, the papers continue in the channel.
        """
        permissions = channel.permissions_for(channel.guild.me)
        if post.target_id == channel.id:
            return channel
        if post.target_id is not None:
            thread = await self._usable_thread(post.target_id, permissions)
            if thread is not None:
                return thread
            return await self._use_channel(post, channel, "the day's thread cannot take messages")
        if not (permissions.create_public_threads and permissions.send_messages_in_threads):
            return await self._use_channel(post, channel, "no permission to post in threads")
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
        if isinstance(thread, discord.Thread) and (thread.archived or thread.locked):
            return None
        return thread

    async def _use_channel(
        self, post: Post, channel: discord.TextChannel, why: str
    ) -> discord.TextChannel:
        log.info("post %s of %s continues in channel %s: %s", post.id, post.day, channel.id, why)
        await self.db.posts.record_target(post.id, None, channel.id)
        return channel

    async def _create_thread(self, post: Post, channel: discord.TextChannel) -> Postable:
        assert post.header_message_id is not None
        header = channel.get_partial_message(post.header_message_id)
        await self._note_sending(post, Slot("thread"))
        thread: Postable
        try:
            thread = await header.create_thread(name=render.thread_name(post.day))
        except discord.Forbidden:
            return await self._use_channel(post, channel, "Discord refused a thread")
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

    # -- papers and alerts -----------------------------------------------------------------

    async def _send_papers(
        self, post: Post, channel: discord.TextChannel, target: Postable, papers: list[Paper]
    ) -> Postable:
        for first, embeds in render.day_messages(papers, post.day, post.papers_sent):
            slot = Slot("papers", first=first, count=len(embeds))

            async def record(
                message_id: int, channel_id: int, first: int = first, count: int = len(embeds)
            ) -> None:
                await self.db.posts.record_message(post.id, first, count, message_id, channel_id)

            target = await self._send_in(post, channel, target, slot, record, embeds=embeds)
        return target

    async def _send_alerts(
        self, post: Post, channel: discord.TextChannel, target: Postable, papers: list[Paper]
    ) -> None:
        """Mention each subscriber whose keywords match the day, once per paper ever.

        Recomputed from scratch on every attempt minus what was recorded as sent, so a
        restart or a Discord error mid-alerts neither repeats nor drops an alert.
        """
        day = await self.alerts.decide(post.guild_id, papers)
        if not day.members:
            return
        cards = await self._card_urls(post, papers)
        for user_id in sorted(day.members):
            lines = await self.alerts.unsent(post.guild_id, user_id, papers, day.hits(user_id))
            if lines and await _still_member(channel.guild, user_id):
                alert = [
                    alert_text.AlertPaper(p, tuple(labels), cards.get(p.id)) for p, labels in lines
                ]
                target = await self._alert(post, channel, target, user_id, alert)

    async def _card_urls(self, post: Post, papers: list[Paper]) -> dict[int, str]:
        """paper id -> the jump URL of its card in this post."""
        cards = await self.db.posts.card_messages(post.id)
        return {
            papers[index].id: alert_text.card_url(post.guild_id, *cards[index])
            for index in range(len(papers))
            if index in cards
        }

    async def _alert(
        self,
        post: Post,
        channel: discord.TextChannel,
        target: Postable,
        user_id: int,
        papers: list[alert_text.AlertPaper],
    ) -> Postable:
        alert = alert_text.alert_message(post.day, papers, mention=user_id)
        slot = Slot("alert", user=user_id, papers=tuple(alert.paper_ids))

        async def record(message_id: int, _channel_id: int) -> None:
            await self._record_alert(post, slot, message_id)

        mentions = discord.AllowedMentions.none()
        mentions.users = [discord.Object(user_id)]  # exactly this member, nobody else
        extra: dict[str, Any] = (
            {"view": see_all(post.id, user_id, len(papers))} if alert.unlisted else {}
        )
        return await self._send_in(
            post,
            channel,
            target,
            slot,
            record,
            content=alert.content,
            allowed_mentions=mentions,
            **extra,
        )

    async def _record_alert(self, post: Post, slot: Slot, message_id: int) -> None:
        await self.db.subscriptions.record_alert(
            post.guild_id, slot.user, slot.papers, post.id, message_id
        )
        await self.db.posts.set_sending(post.id, None)

    async def _send_in(
        self,
        post: Post,
        channel: discord.TextChannel,
        target: Postable,
        slot: Slot,
        record: Record,
        **message: Any,
    ) -> Postable:
        """Send in the day's thread; when the thread refuses, continue in the channel."""
        try:
            await self._send(post, slot, target, record, **message)
            return target
        except (discord.Forbidden, discord.NotFound, discord.HTTPException) as error:
            if target is channel or not _thread_refused(error):
                raise
        fallback = await self._use_channel(post, channel, "the day's thread refused a message")
        await self._send(post, slot, fallback, record, **message)
        return fallback

    # -- one message, once ------------------------------------------------------------------

    async def _send(
        self, post: Post, slot: Slot, where: Postable, record: Record, **message: Any
    ) -> None:
        await self._note_sending(post, slot)
        sent = await where.send(nonce=nonce(post.id, slot.dump()), **message)
        if (view := message.get("view")) is not None:
            view.stop()  # its buttons are answered by a persistent handler (cogs/alerts.py)
        self.sent += 1
        try:
            await record(sent.id, where.id)
        except sqlite3.Error as error:
            self._unrecorded[post.id] = functools.partial(record, sent.id, where.id)
            raise PostFailed(
                f"Discord took a message but the database refused its record ({error}); "
                "it will be recorded, never sent again"
            ) from error

    async def _note_sending(self, post: Post, slot: Slot) -> None:
        try:
            await self.db.posts.set_sending(post.id, slot.dump())
        except sqlite3.Error as error:
            raise PostFailed(f"the database refused a write ({error}); nothing was sent") from error

    async def _record_owed(self, post_id: int) -> None:
        """Retry the record of a message sent in an earlier pass, before sending more."""
        owed = self._unrecorded.get(post_id)
        if owed is None:
            return
        try:
            await owed()
        except sqlite3.Error as error:
            raise PostFailed(f"the database still refuses a record ({error})") from error
        del self._unrecorded[post_id]

    async def _recover(self, post: Post, channel: discord.TextChannel) -> Post:
        """A message was in flight when the process stopped: record it if Discord has it."""
        slot = Slot.load(post.sending or "")
        found = await self._find_sent(post, channel, slot) if slot else None
        if slot is not None and found is not None:
            log.info("post %s: found its unrecorded %s message %s", post.id, slot.kind, found)
            await self._record_found(post, slot, *found)
        else:
            await self.db.posts.set_sending(post.id, None)
        return await self._reload(post)

    async def _find_sent(
        self, post: Post, channel: discord.TextChannel, slot: Slot
    ) -> tuple[int, int] | None:
        """(message id, channel id) of the slot's message, if Discord has it."""
        if slot.kind == "header":
            prefix = render.header_prefix(post.day)
            return await self._find_own(channel, None, lambda m: m.content.startswith(prefix))
        if slot.kind == "thread":
            thread = await self._existing(post.header_message_id)
            return (thread.id, thread.id) if isinstance(thread, discord.Thread) else None
        where = await self._existing(post.target_id)
        if where is None:
            return None
        if slot.kind == "papers":
            rank = f"{slot.first + 1}. "
            return await self._find_own(
                where,
                post.header_message_id,
                lambda m: bool(m.embeds) and (m.embeds[0].title or "").startswith(rank),
            )
        mention = f"<@{slot.user}>"
        return await self._find_own(where, post.header_message_id, lambda m: mention in m.content)

    async def _record_found(self, post: Post, slot: Slot, message_id: int, channel_id: int) -> None:
        if slot.kind == "header":
            await self.db.posts.record_header(post.id, message_id, slot.count)
        elif slot.kind == "thread":
            await self.db.posts.record_target(post.id, message_id, message_id)
        elif slot.kind == "papers":
            await self.db.posts.record_message(
                post.id, slot.first, slot.count, message_id, channel_id
            )
        else:
            await self._record_alert(post, slot, message_id)

    async def _existing(self, channel_id: int | None) -> Postable | None:
        if channel_id is None:
            return None
        try:
            return await self.channels.get(channel_id, "a channel")
        except PostFailed:
            return None

    async def _find_own(
        self,
        where: Postable,
        after: int | None,
        matches: Callable[[discord.Message], bool],
    ) -> tuple[int, int] | None:
        """(message id, channel id) of the bot's own message in `where` (after message
        `after`) that matches."""
        me = self.channels.me_id
        start = discord.Object(after) if after else None
        async for message in where.history(limit=HISTORY_LOOKED_AT, after=start):
            if message.author.id == me and matches(message):
                return message.id, where.id
        return None

    async def _reload(self, post: Post) -> Post:
        fresh = await self.db.posts.get(post.id)
        assert fresh is not None
        return fresh


MATCHES_BUTTON = "pb:matches:{post}:{user}"  # answered by cogs.alerts.AllMatchesButton


def see_all(post_id: int, user_id: int, count: int) -> discord.ui.View:
    """The alert's "See all" button: every paper of the day the member's alert covers."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=f"See all {count}",
            style=discord.ButtonStyle.secondary,
            custom_id=MATCHES_BUTTON.format(post=post_id, user=user_id),
        )
    )
    return view


def _thread_refused(error: discord.HTTPException) -> bool:
    """A thread that takes no more messages: deleted, locked, archived, or closed to us."""
    return isinstance(error, discord.Forbidden | discord.NotFound) or error.code == THREAD_ARCHIVED


async def _still_member(guild: discord.Guild, user_id: int) -> bool:
    """Members who left keep their subscriptions but get no alerts."""
    try:
        await guild.fetch_member(user_id)
    except discord.NotFound:
        return False
    return True
