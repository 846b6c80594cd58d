"""Servers' digest channels and the progress of every day's post in them."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.models import GuildChannel, Post, SkippedDay
from bot.storage.connection import Connection, now_text

_POST_COLUMNS = (
    "id, guild_id, day, channel_id, header_message_id, thread_id, target_id, "
    "papers_sent, status, error, sending, header_papers, due_at, paper_ids, closing_papers"
)
_CHANNEL_COLUMNS = (
    "guild_id, channel_id, since_day, failures, retry_after, last_error, "
    "post_time, timezone, top_papers, ping_role_id, paused"
)
# /setup's settings and their columns.
SETTING_COLUMNS = {
    "post_time": "post_time",
    "timezone": "timezone",
    "top": "top_papers",
    "ping_role_id": "ping_role_id",
    "paused": "paused",
}


class Posts:
    """guild_channels, posts and post_messages."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    # -- servers ------------------------------------------------------------------------

    async def set_channel(
        self, guild_id: int, channel_id: int, user_id: int, since_day: dt.date | None
    ) -> GuildChannel | None:
        """Point a server's digests at a channel; returns the previous setting.

        The first setup remembers `since_day` (days up to it are not posted
        automatically); moving the channel keeps it, and unfinished posts move along.
        """
        previous = await self.guild_channel(guild_id)
        since = since_day.isoformat() if since_day else None
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO guild_channels(guild_id, channel_id, since_day, configured_by, "
                "configured_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "configured_by = excluded.configured_by, configured_at = excluded.configured_at, "
                "failures = 0, retry_after = NULL, last_error = NULL",
                (guild_id, channel_id, since, user_id, now_text()),
            )
            if previous and previous.channel_id != channel_id:
                await self._db.execute(
                    "UPDATE posts SET channel_id = ?, header_message_id = NULL, thread_id = NULL, "
                    "target_id = NULL WHERE guild_id = ? AND status = 'pending'",
                    (channel_id, guild_id),
                )
        return previous

    async def guild_channel(self, guild_id: int) -> GuildChannel | None:
        rows = await self._db.rows(
            f"SELECT {_CHANNEL_COLUMNS} FROM guild_channels WHERE guild_id = ?", (guild_id,)
        )
        return _guild_channel(rows[0]) if rows else None

    async def guild_channels(self) -> list[GuildChannel]:
        rows = await self._db.rows(
            f"SELECT {_CHANNEL_COLUMNS} FROM guild_channels ORDER BY guild_id"
        )
        return [_guild_channel(row) for row in rows]

    async def record_guild_failure(
        self, guild_id: int, error: str, retry_after: dt.datetime, failures: int
    ) -> None:
        """Posting in the server failed `failures` times in a row; retry at `retry_after`."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE guild_channels SET failures = ?, last_error = ?, "
                "retry_after = ? WHERE guild_id = ?",
                (failures, error, retry_after.isoformat(), guild_id),
            )

    async def clear_guild_failure(self, guild_id: int) -> None:
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE guild_channels SET failures = 0, last_error = NULL, retry_after = NULL "
                "WHERE guild_id = ? AND failures > 0",
                (guild_id,),
            )

    # -- posts --------------------------------------------------------------------------

    async def schedule_automatic(
        self,
        guild_id: int,
        channel_id: int,
        days: Iterable[dt.date],
        due_at: dt.datetime | None = None,
    ) -> None:
        """Create the automatic post of each day, once ever per server and day, to start
        at `due_at` (None: at once)."""
        due = due_at.isoformat() if due_at else None
        async with self._db.transaction():
            await self._db.execute_many(
                "INSERT INTO posts(guild_id, day, channel_id, created_at, due_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(guild_id, day.isoformat(), channel_id, now_text(), due) for day in days],
            )

    async def update_settings(self, guild_id: int, **settings: object) -> None:
        """Change some of a server's posting settings (names: SETTING_COLUMNS)."""
        columns = [SETTING_COLUMNS[name] for name in settings]
        values = [_setting_value(value) for value in settings.values()]
        async with self._db.transaction():
            await self._db.execute(
                f"UPDATE guild_channels SET {', '.join(f'{c} = ?' for c in columns)} "
                "WHERE guild_id = ?",
                (*values, guild_id),
            )

    async def reschedule_unstarted(self, guild_id: int, due_at: dt.datetime | None) -> None:
        """Automatic posts that sent nothing yet start at `due_at` (a new posting time)."""
        due = due_at.isoformat() if due_at else None
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE posts SET due_at = ? WHERE guild_id = ? AND status = 'pending' "
                "AND requested_by IS NULL AND header_message_id IS NULL",
                (due, guild_id),
            )

    async def skip_unstarted(self, guild_id: int) -> list[dt.date]:
        """Pausing: automatic posts that sent nothing yet become days passed over."""
        async with self._db.transaction():
            rows = await self._db.rows(
                "SELECT id, day FROM posts WHERE guild_id = ? AND status = 'pending' "
                "AND requested_by IS NULL AND header_message_id IS NULL",
                (guild_id,),
            )
            await self._db.execute_many(
                "INSERT INTO skipped_days(guild_id, day, reason, newer_day, created_at) "
                "VALUES (?, ?, 'paused', ?, ?) ON CONFLICT DO NOTHING",
                [(guild_id, row[1], row[1], now_text()) for row in rows],
            )
            await self._db.execute_many(
                "DELETE FROM posts WHERE id = ?", [(row[0],) for row in rows]
            )
        return [dt.date.fromisoformat(row[1]) for row in rows]

    async def choose_papers(self, post_id: int, paper_ids: Sequence[int]) -> None:
        """The papers a post shows, chosen once, before it sends anything."""
        await self._update(post_id, "paper_ids = ?", json.dumps(list(paper_ids)))

    async def automatic_days(self, guild_id: int) -> set[dt.date]:
        """The days that have an automatic post in this server (sent or not)."""
        rows = await self._db.rows(
            "SELECT day FROM posts WHERE guild_id = ? AND requested_by IS NULL", (guild_id,)
        )
        return {dt.date.fromisoformat(row[0]) for row in rows}

    async def skip_days(self, guild_id: int, skipped: Iterable[SkippedDay]) -> None:
        """Remember days the server's automatic posts pass over, once each."""
        async with self._db.transaction():
            await self._db.execute_many(
                "INSERT INTO skipped_days(guild_id, day, reason, newer_day, created_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (guild_id, s.day.isoformat(), s.reason, s.newer_day.isoformat(), now_text())
                    for s in skipped
                ],
            )

    async def skipped_days(self, guild_id: int) -> list[SkippedDay]:
        """The days passed over in this server, newest first."""
        rows = await self._db.rows(
            "SELECT day, reason, newer_day FROM skipped_days WHERE guild_id = ? ORDER BY day DESC",
            (guild_id,),
        )
        return [
            SkippedDay(dt.date.fromisoformat(row[0]), row[1], dt.date.fromisoformat(row[2]))
            for row in rows
        ]

    async def request(self, guild_id: int, channel_id: int, day: dt.date, user_id: int) -> Post:
        """An admin's request to post a day now: the day's unfinished post if it has one
        (one day has one post per channel), else a new post, even of a day posted before."""
        async with self._db.transaction():
            pending = await self._db.scalar(
                "SELECT id FROM posts WHERE guild_id = ? AND day = ? AND status = 'pending' "
                "ORDER BY id LIMIT 1",
                (guild_id, day.isoformat()),
            )
            if pending is None:
                written = await self._db.execute(
                    "INSERT INTO posts(guild_id, day, channel_id, requested_by, created_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (guild_id, day.isoformat(), channel_id, user_id, now_text()),
                )
                pending = written.lastrowid
        post = await self.get(int(pending))
        assert post is not None
        return post

    async def get(self, post_id: int) -> Post | None:
        rows = await self._db.rows(f"SELECT {_POST_COLUMNS} FROM posts WHERE id = ?", (post_id,))
        return _post(rows[0]) if rows else None

    async def open_for(self, guild_id: int) -> list[Post]:
        """Unfinished posts of a server, oldest day first."""
        rows = await self._db.rows(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE guild_id = ? AND status = 'pending' "
            "ORDER BY day, id",
            (guild_id,),
        )
        return [_post(row) for row in rows]

    async def latest_finished(self, guild_id: int) -> Post | None:
        """The server's most recently finished post."""
        rows = await self._db.rows(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE guild_id = ? AND status = 'posted' "
            "ORDER BY id DESC LIMIT 1",
            (guild_id,),
        )
        return _post(rows[0]) if rows else None

    async def latest(self, guild_id: int) -> Post | None:
        rows = await self._db.rows(
            f"SELECT {_POST_COLUMNS} FROM posts WHERE guild_id = ? ORDER BY id DESC LIMIT 1",
            (guild_id,),
        )
        return _post(rows[0]) if rows else None

    async def set_sending(self, post_id: int, slot: str | None) -> None:
        """Note the message about to be sent (None: nothing is in flight)."""
        await self._update(post_id, "sending = ?", slot)

    async def record_header(
        self, post_id: int, message_id: int | None, papers: int | None = None
    ) -> None:
        """The day's header was sent (or, with None, must be sent again)."""
        await self._update(
            post_id, "header_message_id = ?, header_papers = ?, sending = NULL", message_id, papers
        )

    async def record_header_papers(self, post_id: int, papers: int) -> None:
        """The header was edited to name `papers` papers."""
        await self._update(post_id, "header_papers = ?", papers)

    async def record_target(
        self, post_id: int, thread_id: int | None, target_id: int | None
    ) -> None:
        """Where the day's papers go from now on: a thread, or the channel."""
        await self._update(
            post_id, "thread_id = ?, target_id = ?, sending = NULL", thread_id, target_id
        )

    async def record_error(self, post_id: int, error: str | None) -> None:
        await self._update(post_id, "error = ?", error)

    async def record_message(
        self, post_id: int, first_paper: int, paper_count: int, message_id: int, channel_id: int
    ) -> None:
        """One message of a post was sent: remember it before sending the next."""
        async with self._db.transaction():
            await self._db.execute(
                "INSERT OR REPLACE INTO post_messages(post_id, first_paper, paper_count, "
                "message_id, channel_id) VALUES (?, ?, ?, ?, ?)",
                (post_id, first_paper, paper_count, message_id, channel_id),
            )
            await self._db.execute(
                "UPDATE posts SET papers_sent = max(papers_sent, ?), error = NULL, "
                "sending = NULL WHERE id = ?",
                (first_paper + paper_count, post_id),
            )

    async def card_messages(self, post_id: int) -> dict[int, tuple[int, int]]:
        """paper index -> (channel id, message id) of the message holding its card."""
        rows = await self._db.rows(
            "SELECT first_paper, paper_count, message_id, channel_id FROM post_messages "
            "WHERE post_id = ? AND channel_id IS NOT NULL",
            (post_id,),
        )
        return {index: (row[3], row[2]) for row in rows for index in range(row[0], row[0] + row[1])}

    async def finish(self, post_id: int, closing_papers: int | None) -> None:
        """The post is done; its closing line counted `closing_papers` papers."""
        await self._update(
            post_id,
            "status = 'posted', error = NULL, sending = NULL, closing_papers = ?",
            closing_papers,
        )

    async def reopen_grown(self, days: Sequence[dt.date] | None = None) -> int:
        """Finished posts whose header counts fewer papers than their day now has
        continue with the new ones (of `days`, or of every day); returns how many.

        Only posts in their server's current digest channel: a day posted in a channel
        the server has since left is not continued there.
        """
        grown = (
            "status = 'posted' AND header_papers < "
            "(SELECT count(*) FROM appearances WHERE appearances.day = posts.day) "
            "AND channel_id = "
            "(SELECT channel_id FROM guild_channels WHERE guild_id = posts.guild_id)"
        )
        params = [day.isoformat() for day in days or ()]
        if days is not None:
            grown += f" AND day IN ({', '.join('?' * len(params))})"
        async with self._db.transaction():
            written = await self._db.execute(
                f"UPDATE posts SET status = 'pending' WHERE {grown}", params
            )
        return max(written.rowcount, 0)

    async def _update(self, post_id: int, assignments: str, *values: Any) -> None:
        async with self._db.transaction():
            await self._db.execute(
                f"UPDATE posts SET {assignments} WHERE id = ?", (*values, post_id)
            )


def _post(row: Sequence[Any]) -> Post:
    return Post(
        id=row[0],
        guild_id=row[1],
        day=dt.date.fromisoformat(row[2]),
        channel_id=row[3],
        header_message_id=row[4],
        thread_id=row[5],
        target_id=row[6],
        papers_sent=row[7],
        status=row[8],
        error=row[9],
        sending=row[10],
        header_papers=row[11],
        due_at=dt.datetime.fromisoformat(row[12]) if row[12] else None,
        paper_ids=tuple(json.loads(row[13])) if row[13] else None,
        closing_papers=row[14],
    )


def _setting_value(value: object) -> object:
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, bool):
        return int(value)
    return value


def _guild_channel(row: Sequence[Any]) -> GuildChannel:
    return GuildChannel(
        guild_id=row[0],
        channel_id=row[1],
        since_day=dt.date.fromisoformat(row[2]) if row[2] else None,
        failures=row[3],
        retry_after=dt.datetime.fromisoformat(row[4]) if row[4] else None,
        last_error=row[5],
        post_time=dt.time.fromisoformat(row[6]) if row[6] else None,
        timezone=row[7],
        top=row[8],
        ping_role_id=row[9],
        paused=bool(row[10]),
    )
