"""Members' keyword subscriptions, and the alerts each member was sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.matching import Keyword, Subscription
from bot.models import Subscribed
from bot.storage.connection import Connection, now_text

_COLUMNS = "id, guild_id, user_id, label, keyword_key, exclude"
_USERS_PER_QUERY = 400


class Subscriptions:
    """subscriptions and alerts_sent."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    async def add(self, guild_id: int, user_id: int, keyword: Keyword, limit: int) -> Subscribed:
        """Store a subscription unless the member has it already or has `limit`."""
        async with self._db.transaction():
            if await self._db.scalar(
                "SELECT 1 FROM subscriptions WHERE guild_id = ? AND user_id = ? "
                "AND keyword_key = ?",
                (guild_id, user_id, keyword.key),
            ):
                return Subscribed.DUPLICATE
            count = await self._db.scalar(
                "SELECT count(*) FROM subscriptions WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
            if count >= limit:
                return Subscribed.LIMIT
            await self._db.execute(
                "INSERT INTO subscriptions(guild_id, user_id, label, keyword_key, term_count, "
                "exclude, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    user_id,
                    keyword.label,
                    keyword.key,
                    len(keyword.terms),
                    " ".join(keyword.exclude),
                    now_text(),
                ),
            )
        return Subscribed.ADDED

    async def remove(self, guild_id: int, user_id: int, keyword_key: str) -> bool:
        async with self._db.transaction():
            written = await self._db.execute(
                "DELETE FROM subscriptions WHERE guild_id = ? AND user_id = ? AND keyword_key = ?",
                (guild_id, user_id, keyword_key),
            )
        return written.rowcount > 0

    async def of_member(self, guild_id: int, user_id: int) -> list[Subscription]:
        rows = await self._db.rows(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE guild_id = ? AND user_id = ? "
            "ORDER BY label",
            (guild_id, user_id),
        )
        return [_subscription(row) for row in rows]

    async def keyword_rows(self, guild_id: int) -> list[tuple[str, str, int]]:
        """(keyword key, exclude terms, member) of every subscription in the server,
        read from the covering index."""
        rows = await self._db.rows(
            "SELECT keyword_key, exclude, user_id FROM subscriptions WHERE guild_id = ?",
            (guild_id,),
        )
        return [(row[0], row[1], row[2]) for row in rows]

    async def already_alerted(
        self, guild_id: int, user_ids: Sequence[int], paper_ids: Sequence[int]
    ) -> set[tuple[int, int]]:
        """(user, paper) pairs among these that were already alerted in this server."""
        if not user_ids or not paper_ids:
            return set()
        pairs: set[tuple[int, int]] = set()
        paper_marks = ",".join("?" * len(paper_ids))
        for start in range(0, len(user_ids), _USERS_PER_QUERY):
            chunk = list(user_ids[start : start + _USERS_PER_QUERY])
            rows = await self._db.rows(
                "SELECT user_id, paper_id FROM alerts_sent WHERE guild_id = ? "
                f"AND user_id IN ({','.join('?' * len(chunk))}) AND paper_id IN ({paper_marks})",
                (guild_id, *chunk, *paper_ids),
            )
            pairs.update((row[0], row[1]) for row in rows)
        return pairs

    async def record_alert(
        self, guild_id: int, user_id: int, paper_ids: Iterable[int], post_id: int, message_id: int
    ) -> None:
        """An alert message was sent: these papers are never alerted to this member again."""
        async with self._db.transaction():
            await self._db.execute_many(
                "INSERT INTO alerts_sent(guild_id, user_id, paper_id, post_id, message_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(guild_id, user_id, paper_id, post_id, message_id) for paper_id in paper_ids],
            )


def _subscription(row: Sequence[Any]) -> Subscription:
    keyword = Keyword(row[3], tuple(row[4].split()), tuple(row[5].split()))
    return Subscription(row[0], row[1], row[2], keyword)
