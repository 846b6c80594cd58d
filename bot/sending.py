"""Sending a post's messages, each exactly once, whatever happens to their records.

Before a message is sent the post notes it as in flight (a `Slot`); the record of the
sent message clears it. When that record fails (another process holds the database,
a full disk) the record is kept in memory and retried before anything else is sent; a
post that finds a slot noted after a restart looks for that message among the bot's
own messages sent since the slot was noted, by the fingerprint of its text, and records
it instead of sending it again.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import discord

from bot.models import Post
from bot.storage import Database

log = logging.getLogger(__name__)

Postable = discord.TextChannel | discord.Thread
Record = Callable[[int, int], Awaitable[None]]  # records a sent message: its id, its channel
Owed = Callable[[], Awaitable[None]]  # a record with its message id bound

#: A message is looked for among this many sent after its slot was noted, oldest first
#: (five requests at most; it is usually among the first few).
HISTORY_LOOKED_AT = 500
#: How far before a slot's note its message is looked for: clocks differ a little.
CLOCK_MARGIN = dt.timedelta(minutes=2)
#: Discord's servers number messages apart: one created just after another may carry
#: an id from a few milliseconds earlier (a snowflake's milliseconds start at bit 22).
SNOWFLAKE_MARGIN = 100 << 22


class PostFailed(Exception):
    """A post could not go on now; the message says why, for `/setup`."""


class PostGone(Exception):
    """The post was deleted while it was being advanced (its day was paused away)."""


def nonce(*parts: object) -> str:
    """A stable nonce per message of a post; Discord refuses a repeat within minutes."""
    return "pb" + _digest(":".join(map(str, parts)))


def fingerprint(content: str | None, embeds: Sequence[discord.Embed] = ()) -> str:
    """What tells a message from the bot's others: its text and its embeds' titles."""
    titles = "\x1f".join(embed.title or "" for embed in embeds)
    return _digest(f"{(content or '').strip()}\x1e{titles}")


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=10).hexdigest()


@dataclass(frozen=True)
class Slot:
    """One message of a post, described well enough to find it again and record it."""

    kind: str  # header, thread, papers, alert or closing
    first: int = 0  # papers: index of the message's first paper
    count: int = 0  # papers: how many it holds; header: how many the day has
    user: int = 0  # alert: the member
    papers: tuple[int, ...] = ()  # alert: the ids of the papers it covers
    place: str = ""  # alert: "dm" when sent to the member privately
    mark: str = ""  # the fingerprint of the message
    after: int = 0  # a snowflake older than the message: it is looked for after this

    def dump(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    def key(self) -> str:
        """The slot without what changes between attempts: its nonce's source."""
        return replace(self, after=0).dump()

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
    """Sends and records messages for posts; `sent` counts, per server, those Discord
    accepted."""

    def __init__(self, db: Database, channels: Channels) -> None:
        self.db = db
        self.channels = channels
        self.sent: Counter[int] = Counter()
        self._unrecorded: dict[int, Owed] = {}  # post id -> the record still owed
        self._newest: dict[int, int] = {}  # post id -> the last message it sent

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
        mark = fingerprint(message.get("content"), message.get("embeds", ()))
        newest = max(self._newest.get(post.id, 0), post.header_message_id or 0)
        slot = replace(slot, mark=mark, after=_snowflake_before(newest))
        await self.note(post, slot)
        sent = await where.send(nonce=nonce(post.id, slot.key()), **message)
        if (view := message.get("view")) is not None:
            view.stop()  # its buttons are answered by a persistent handler (cogs/alerts.py)
        self.sent[post.guild_id] += 1
        self._newest[post.id] = sent.id
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
            await posts.finish(post.id, slot.count)
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
        if fresh is None:
            raise PostGone(post.id)
        return fresh

    async def _find_sent(
        self, post: Post, channel: discord.TextChannel, slot: Slot
    ) -> tuple[int, int] | None:
        """(message id, channel id) of the slot's message, if Discord has it."""
        if slot.kind == "thread":
            thread = await self.channels.existing(post.header_message_id)
            return (thread.id, thread.id) if isinstance(thread, discord.Thread) else None
        if not slot.mark:
            return None  # noted but never sent: nothing to look for
        if slot.kind == "header":
            return await self._find_own(channel, slot)
        if slot.kind == "alert" and slot.place == "dm":
            return await self._find_direct(channel.guild, slot)
        where = await self.channels.existing(post.target_id)
        return await self._find_own(where, slot) if where is not None else None

    async def _find_direct(self, guild: discord.Guild, slot: Slot) -> tuple[int, int] | None:
        """A private alert to the member, if Discord has it. Discord's passing errors
        propagate: the post is retried rather than the alert sent twice."""
        try:
            member = await guild.fetch_member(slot.user)
        except discord.NotFound:
            return None  # the member left: whatever was sent, nothing more will be
        direct = member.dm_channel or await member.create_dm()
        return await self._find_own(direct, slot)

    async def _find_own(self, where: discord.abc.Messageable, slot: Slot) -> tuple[int, int] | None:
        """(message id, channel id) of the bot's message with the slot's fingerprint,
        among those sent in `where` after the slot was noted."""
        me = self.channels.me_id
        try:
            async for message in where.history(
                limit=HISTORY_LOOKED_AT, after=discord.Object(slot.after)
            ):
                if message.author.id == me and _fingerprint_of(message) == slot.mark:
                    return message.id, message.channel.id
        except discord.NotFound:
            return None  # the channel is gone, and the message with it
        except discord.Forbidden:
            raise PostFailed(
                "I cannot read the message history of the digest channel, so I cannot check "
                "what I sent before a stop: grant me Read Message History there"
            ) from None
        return None


def _fingerprint_of(message: discord.Message) -> str:
    return fingerprint(message.content, message.embeds)


def _snowflake_before(newest: int) -> int:
    """A message id older than any sent from now on: from two minutes ago (clocks
    differ a little), or from just before the newest message the post sent."""
    floor = discord.utils.time_snowflake(discord.utils.utcnow() - CLOCK_MARGIN)
    return max(floor, newest - SNOWFLAKE_MARGIN)
