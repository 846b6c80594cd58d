"""Sending a post's messages, each exactly once, whatever happens to their records.

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

from bot import render
from bot.dates import format_day
from bot.models import Post
from bot.storage import Database

log = logging.getLogger(__name__)

Postable = discord.TextChannel | discord.Thread
Record = Callable[[int, int], Awaitable[None]]  # records a sent message: its id, its channel
Owed = Callable[[], Awaitable[None]]  # a record with its message id bound

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

    kind: str  # header, thread, papers, alert or closing
    first: int = 0  # papers: index of the message's first paper
    count: int = 0  # papers: how many it holds; header: how many the day has
    user: int = 0  # alert: the member
    papers: tuple[int, ...] = ()  # alert: the ids of the papers it covers
    place: str = ""  # alert: "dm" when sent to the member privately

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

    async def existing(self, channel_id: int | None) -> Postable | None:
        if channel_id is None:
            return None
        try:
            return await self.get(channel_id, "a channel")
        except PostFailed:
            return None


class Sender:
    """Sends and records messages for posts; `sent` counts those Discord accepted."""

    def __init__(self, db: Database, channels: Channels) -> None:
        self.db = db
        self.channels = channels
        self.sent = 0
        self._unrecorded: dict[int, Owed] = {}  # post id -> the record still owed

    async def send(
        self,
        post: Post,
        slot: Slot,
        where: discord.abc.Messageable,
        record: Record,
        **message: Any,
    ) -> discord.Message:
        """Note `slot`, send the message, record it; a record the database refuses is
        owed, and the post fails until it is paid (see `settle`)."""
        await self.note(post, slot)
        sent = await where.send(nonce=nonce(post.id, slot.dump()), **message)
        if (view := message.get("view")) is not None:
            view.stop()  # its buttons are answered by a persistent handler (cogs/alerts.py)
        self.sent += 1
        try:
            await record(sent.id, sent.channel.id)
        except sqlite3.Error as error:
            self._unrecorded[post.id] = functools.partial(record, sent.id, sent.channel.id)
            raise PostFailed(
                f"Discord took a message but the database refused its record ({error}); "
                "it will be recorded, never sent again"
            ) from error
        return sent

    async def note(self, post: Post, slot: Slot) -> None:
        """Note the message about to be sent; a database that refuses sends nothing."""
        try:
            await self.db.posts.set_sending(post.id, slot.dump())
        except sqlite3.Error as error:
            raise PostFailed(f"the database refused a write ({error}); nothing was sent") from error

    async def settle(self, post: Post, channel: discord.TextChannel) -> Post:
        """Before a post sends more: pay a record owed since an earlier pass, and record
        (not resend) a message noted in flight when the process stopped."""
        owed = self._unrecorded.get(post.id)
        if owed is not None:
            try:
                await owed()
            except sqlite3.Error as error:
                raise PostFailed(f"the database still refuses a record ({error})") from error
            del self._unrecorded[post.id]
            post = await self.reload(post)
        if post.sending:
            slot = Slot.load(post.sending)
            found = await self._find_sent(post, channel, slot) if slot else None
            if slot is not None and found is not None:
                log.info("post %s: found its unrecorded %s message %s", post.id, slot.kind, found)
                await self.record_found(post, slot, *found)
            else:
                await self.db.posts.set_sending(post.id, None)
            post = await self.reload(post)
        return post

    async def record_found(self, post: Post, slot: Slot, message_id: int, channel_id: int) -> None:
        """Record a message of `slot` that Discord has (sent before a stop)."""
        posts = self.db.posts
        if slot.kind == "header":
            await posts.record_header(post.id, message_id, slot.count)
        elif slot.kind == "thread":
            await posts.record_target(post.id, message_id, message_id)
        elif slot.kind == "papers":
            await posts.record_message(post.id, slot.first, slot.count, message_id, channel_id)
        elif slot.kind == "closing":
            await posts.finish(post.id)
        else:
            await self.record_alert(post, slot, message_id)

    async def record_alert(self, post: Post, slot: Slot, message_id: int) -> None:
        """An alert went out: its papers are never alerted to that member again."""
        await self.db.subscriptions.record_alert(
            post.guild_id, slot.user, slot.papers, post.id, message_id
        )
        await self.db.posts.set_sending(post.id, None)

    async def reload(self, post: Post) -> Post:
        fresh = await self.db.posts.get(post.id)
        assert fresh is not None
        return fresh

    async def _find_sent(
        self, post: Post, channel: discord.TextChannel, slot: Slot
    ) -> tuple[int, int] | None:
        """(message id, channel id) of the slot's message, if Discord has it."""
        if slot.kind == "header":
            prefix = render.header_prefix(post.day)
            return await self._find_own(channel, None, lambda m: m.content.startswith(prefix))
        if slot.kind == "thread":
            thread = await self.channels.existing(post.header_message_id)
            return (thread.id, thread.id) if isinstance(thread, discord.Thread) else None
        if slot.kind == "alert" and slot.place == "dm":
            return await self._find_direct(post, channel.guild, slot.user)
        where = await self.channels.existing(post.target_id)
        if where is None:
            return None
        if slot.kind == "papers":
            rank = f"{slot.first + 1}. "
            return await self._find_own(
                where,
                post.header_message_id,
                lambda m: bool(m.embeds) and (m.embeds[0].title or "").startswith(rank),
            )
        if slot.kind == "closing":
            return await self._find_own(
                where, post.header_message_id, lambda m: "/subscribe" in m.content
            )
        mention = f"<@{slot.user}>"
        return await self._find_own(where, post.header_message_id, lambda m: mention in m.content)

    async def _find_direct(
        self, post: Post, guild: discord.Guild, user_id: int
    ) -> tuple[int, int] | None:
        """A private alert to the member about this post's day, if Discord has it."""
        try:
            member = await guild.fetch_member(user_id)
            direct = member.dm_channel or await member.create_dm()
        except discord.HTTPException:
            return None
        day = format_day(post.day)
        return await self._find_own(direct, None, lambda m: day in m.content.split("\n", 1)[0])

    async def _find_own(
        self,
        where: discord.abc.Messageable,
        after: int | None,
        matches: Callable[[discord.Message], bool],
    ) -> tuple[int, int] | None:
        """(message id, channel id) of the bot's own message in `where` (after message
        `after`, else among the newest) that matches."""
        me = self.channels.me_id
        start = discord.Object(after) if after else None
        async for message in where.history(limit=HISTORY_LOOKED_AT, after=start):
            if message.author.id == me and matches(message):
                return message.id, message.channel.id
        return None
