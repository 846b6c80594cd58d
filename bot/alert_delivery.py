"""Sending a day's alerts: to each member whose subscriptions match, where they chose.

In the day's thread (a mention of exactly that member), by direct message, or not at
all. A member whose direct messages are closed gets the thread mention that day, and
`/subscriptions` tells them. Alerts are recomputed on every attempt minus what was
recorded as sent, so a restart or a Discord error neither repeats nor drops one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot import alert_text
from bot.alert_text import AlertPaper
from bot.alerts import Alerts
from bot.models import Paper, Post
from bot.sending import Postable, Sender, Slot
from bot.storage.connection import now_text

log = logging.getLogger(__name__)

MATCHES_BUTTON = "pb:matches:{post}:{user}"  # answered by cogs.alerts.AllMatchesButton

#: Sends a message in the day's thread (or the channel when the thread refuses it).
InThread = Callable[..., Awaitable[Postable]]


class AlertSender:
    """The alerts of a post, member by member."""

    def __init__(self, alerts: Alerts, sender: Sender) -> None:
        self.alerts = alerts
        self.sender = sender

    async def send_all(
        self,
        post: Post,
        guild: discord.Guild,
        papers: list[Paper],
        shown: list[Paper],
        in_thread: InThread,
    ) -> None:
        """Alert every member that `papers` (the whole day) match, once per paper ever;
        titles of `shown` papers (the post's cards) link to their cards."""
        day = await self.alerts.decide(post.guild_id, papers)
        if not day.members:
            return
        cards = await self._card_urls(post, shown)
        places = await self.alerts.places(post.guild_id, sorted(day.members))
        for user_id in sorted(day.members):
            place = places.get(user_id, "thread")
            if place == "off":
                continue  # nothing sent and nothing recorded: switching back floods nothing
            lines = await self.alerts.unsent(post.guild_id, user_id, papers, day.hits(user_id))
            member = await _member(guild, user_id) if lines else None
            if member is None:
                continue  # members who left keep their subscriptions but get no alerts
            items = [AlertPaper(p, tuple(labels), cards.get(p.id)) for p, labels in lines]
            if place == "dm" and await self._direct(post, member, items, guild.name):
                continue
            await self._in_thread(post, user_id, items, in_thread)

    async def _in_thread(
        self, post: Post, user_id: int, items: list[AlertPaper], in_thread: InThread
    ) -> None:
        alert = alert_text.alert_message(post.day, items, mention=user_id)
        slot = Slot("alert", user=user_id, papers=tuple(alert.paper_ids))
        mentions = discord.AllowedMentions.none()
        mentions.users = [discord.Object(user_id)]  # exactly this member, nobody else
        await in_thread(
            slot,
            self._recorder(post, slot),
            content=alert.content,
            allowed_mentions=mentions,
            **_see_all(post.id, user_id, len(items), alert.unlisted),
        )

    async def _direct(
        self, post: Post, member: discord.Member, items: list[AlertPaper], server: str
    ) -> bool:
        """The alert by direct message; False when Discord refuses it (closed DMs)."""
        alert = alert_text.alert_message(post.day, items, mention=None, server=server)
        slot = Slot("alert", user=member.id, papers=tuple(alert.paper_ids), place="dm")
        try:
            direct = member.dm_channel or await member.create_dm()
            await self.sender.send(
                post,
                slot,
                direct,
                self._recorder(post, slot),
                content=alert.content,
                allowed_mentions=discord.AllowedMentions.none(),
                **_see_all(post.id, member.id, len(items), alert.unlisted),
            )
        except discord.Forbidden as error:
            # Closed DMs (50007) and any other refusal: the member still gets the alert.
            log.info(
                "member %s: no direct message (%s); alerting in the thread", member.id, error.code
            )
            await self.alerts.note_direct_message(post.guild_id, member.id, now_text())
            return False
        await self.alerts.note_direct_message(post.guild_id, member.id, None)
        return True

    def _recorder(self, post: Post, slot: Slot) -> Callable[[int, int], Awaitable[None]]:
        async def record(message_id: int, _channel_id: int) -> None:
            await self.sender.record_alert(post, slot, message_id)

        return record

    async def _card_urls(self, post: Post, shown: list[Paper]) -> dict[int, str]:
        """paper id -> the jump URL of its card in this post."""
        cards = await self.sender.db.posts.card_messages(post.id)
        return {
            shown[index].id: alert_text.card_url(post.guild_id, *cards[index])
            for index in range(len(shown))
            if index in cards
        }


def _see_all(post_id: int, user_id: int, count: int, unlisted: int) -> dict[str, Any]:
    """The alert's "See all" button, when some papers are counted but not listed."""
    if not unlisted:
        return {}
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label=f"See all {count}",
            style=discord.ButtonStyle.secondary,
            custom_id=MATCHES_BUTTON.format(post=post_id, user=user_id),
        )
    )
    return {"view": view}


async def _member(guild: discord.Guild, user_id: int) -> discord.Member | None:
    try:
        return await guild.fetch_member(user_id)
    except discord.NotFound:
        return None
