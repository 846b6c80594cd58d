"""A server's posting settings as `/setup` changes them: read, checked whole, then stored.

Every value is checked before anything is written, so an invalid one changes nothing.
A new posting time applies to the days waiting for theirs; pausing passes over the
days not yet started, so nothing old is posted on resuming.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot import schedule, zones
from bot.errors import UserError
from bot.models import GuildChannel
from bot.storage import Database

TOP_FORMS = "a number from 1 to 100, or `all`"
MAX_TOP = 100


@dataclass(frozen=True)
class Typed:
    """The /setup options given (None: not given); `ping_role_id` 0 means `none`."""

    time: str | None = None
    timezone: str | None = None
    top: str | None = None
    ping_role_id: int | None = None
    paused: bool | None = None

    @property
    def any(self) -> bool:
        return any(value is not None for value in vars(self).values())


@dataclass(frozen=True)
class Changes:
    """The settings to store, parsed (only those given)."""

    values: dict[str, object] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.values


def parse_top(typed: str) -> int | None:
    """`10` -> 10, `all` -> None (every paper of the day)."""
    text = typed.strip().lower()
    if text == "all":
        return None
    if text.isascii() and text.isdecimal() and 1 <= int(text) <= MAX_TOP:
        return int(text)
    raise UserError(f"“{text[:10]}” is not a number of papers. Use {TOP_FORMS}.")


def parse(typed: Typed) -> Changes:
    """The changes `typed` asks for; UserError names the first invalid value."""
    values: dict[str, object] = {}
    if typed.time is not None:
        values["post_time"] = zones.parse_post_time(typed.time)
    if typed.timezone is not None:
        values["timezone"] = zones.parse_zone(typed.timezone).key
    if typed.top is not None:
        values["top"] = parse_top(typed.top)
    if typed.ping_role_id is not None:
        values["ping_role_id"] = typed.ping_role_id or None
    if typed.paused is not None:
        values["paused"] = typed.paused
    return Changes(values)


async def apply(
    db: Database, server: GuildChannel, changes: Changes, now: dt.datetime
) -> GuildChannel:
    """Store the changes; returns the server's settings after them."""
    if not changes.values:
        return server
    await db.posts.update_settings(server.guild_id, **changes.values)
    updated = await db.posts.guild_channel(server.guild_id)
    assert updated is not None
    if "post_time" in changes or "timezone" in changes:
        due = None
        if updated.post_time is not None:
            due = schedule.due_at(now, updated.post_time, zones.zone_of(updated.timezone))
        await db.posts.reschedule_unstarted(server.guild_id, due)
    if changes.values.get("paused") is True and not server.paused:
        await db.posts.skip_unstarted(server.guild_id)
    return updated


def describe(server: GuildChannel) -> list[str]:
    """The server's posting settings, a short line each."""
    time = zones.describe_time(server.post_time, server.timezone)
    top = f"the top {server.top} by upvotes" if server.top else "every paper of the day"
    ping = f"<@&{server.ping_role_id}>" if server.ping_role_id else "nobody"
    lines = [f"Posting time: {time}.", f"Each post shows {top}; the header pings {ping}."]
    if server.paused:
        lines.append(
            "Automatic posts are **paused**: days that arrive meanwhile are not posted later "
            "(`/post` posts one). `/setup paused: False` resumes."
        )
    return lines
