"""Members' keyword subscriptions, and the alerts each member was sent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.matching import AUTHOR_PREFIX, Keyword, Subscription
from bot.models import Subscribed
from bot.storage.connection import Connection, now_text

_COLUMNS = "id, guild_id, user_id, label, keyword_key, exclude, kind"
ALERT_PLACES = ("thread", "dm", "off")
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
                "exclude, created_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    guild_id,
                    user_id,
                    keyword.label,
                    keyword.key,
                    len(keyword.terms),
                    " ".join(keyword.exclude),
                    now_text(),
                    keyword.kind,
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

    # -- where each member's alerts go ---------------------------------------------------

    async def set_alerts_place(self, guild_id: int, user_id: int, place: str) -> None:
        """Send the member's alerts in this server to `place`: thread, dm or off."""
        async with self._db.transaction():
            await self._db.execute(
                "INSERT INTO member_settings(guild_id, user_id, alerts) VALUES (?, ?, ?) "
                "ON CONFLICT(guild_id, user_id) DO UPDATE SET alerts = excluded.alerts, "
                "dm_failed_at = NULL",
                (guild_id, user_id, place),
            )

    async def alerts_places(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        """Where these members' alerts go, for those who chose (the rest: the thread)."""
        places: dict[int, str] = {}
        for start in range(0, len(user_ids), _USERS_PER_QUERY):
            chunk = list(user_ids[start : start + _USERS_PER_QUERY])
            rows = await self._db.rows(
                "SELECT user_id, alerts FROM member_settings WHERE guild_id = ? "
                f"AND user_id IN ({','.join('?' * len(chunk))})",
                (guild_id, *chunk),
            )
            places.update((row[0], row[1]) for row in rows)
        return places

    async def note_dm(self, guild_id: int, user_id: int, failed_at: str | None) -> None:
        """A direct message to the member failed (at `failed_at`) or went through (None)."""
        async with self._db.transaction():
            await self._db.execute(
                "UPDATE member_settings SET dm_failed_at = ? WHERE guild_id = ? AND user_id = ?",
                (failed_at, guild_id, user_id),
            )

    async def alert_settings(self, guild_id: int, user_id: int) -> tuple[str, str | None]:
        """(where the member's alerts go, when a direct message to them last failed)."""
        rows = await self._db.rows(
            "SELECT alerts, dm_failed_at FROM member_settings WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return (rows[0][0], rows[0][1]) if rows else ("thread", None)

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
    kind, key = row[6], row[4]
    terms = (key.removeprefix(AUTHOR_PREFIX),) if kind == "author" else tuple(key.split())
    keyword = Keyword(row[3], terms, tuple(row[5].split()), kind)
    return Subscription(row[0], row[1], row[2], keyword)
